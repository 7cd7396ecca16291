"""``config`` and ``s3_config`` keep secrets out of their reprs (a notebook cell that shows
``config`` must not print the Argo token or the S3 secret key)."""
from __future__ import annotations

import pprint

import pytest

from dflow_nb import config, s3_config

TOKEN, SECRET, HEADER = "tok-Zq81x", "s3-Zq81x", "hdr-Zq81x"


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(config, "token", TOKEN)
    monkeypatch.setitem(config, "k8s_token", TOKEN)
    monkeypatch.setitem(config, "http_headers", {"Authorization": f"Bearer {HEADER}",
                                                 "X-Trace": "visible"})
    monkeypatch.setitem(s3_config, "secret_key", SECRET)


def shown(obj: object) -> str:
    from IPython.lib.pretty import pretty
    return "\n".join([repr(obj), str(obj), f"{obj}", pprint.pformat(obj), pretty(obj)])


def test_reprs_mask_secrets(secrets_set: None) -> None:
    text = shown(config) + shown(s3_config)
    for secret in (TOKEN, SECRET, HEADER):
        assert secret not in text
    assert "'token': '***'" in repr(config) and "'secret_key': '***'" in repr(s3_config)
    assert "'X-Trace': 'visible'" in repr(config)   # only secrets are hidden
    assert "'namespace': 'argo'" in repr(config)


def test_values_stay_usable(secrets_set: None) -> None:
    assert config["token"] == TOKEN and s3_config["secret_key"] == SECRET
    assert dict(config)["http_headers"]["Authorization"] == f"Bearer {HEADER}"
    assert isinstance(config, dict) and isinstance(s3_config, dict)

"""Global settings, Dflow-compatible: ``config`` and ``s3_config`` dicts plus ``DFLOW_*`` env vars.

Every key can be preset in the environment as ``DFLOW_<KEY>`` (``DFLOW_MODE=debug``,
``DFLOW_HOST=https://argo:2746``) or ``DFLOW_S3_<KEY>`` for ``s3_config``; values are coerced
to the type of the default.

Both dicts keep secrets out of their reprs (a notebook cell showing ``config`` prints ``***`` for
the token); the values themselves stay as given.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

#: A key (or an HTTP header) whose name holds one of these words holds a secret.
SECRET_WORDS = ("token", "secret", "password", "passphrase", "authorization", "cookie",
                "api_key", "apikey")
MASK = "***"

#: The local engine's default work directory: hidden in the current (notebook) folder, so the
#: state database and the step folders stay out of the user's file browser.
DEFAULT_WORKDIR = ".dflow_nb"
#: The state database's file name (its -wal and -shm files sit beside it).
STATE_DB = "dflow_nb.db"


class Settings(dict[str, Any]):
    """A settings dict whose repr shows ``***`` for secret values (at any depth)."""

    def __repr__(self) -> str:
        return repr(masked(dict(self)))

    __str__ = __repr__


def masked(value: Any) -> Any:
    """A copy of ``value`` with the strings under secret-looking keys replaced by ``***``."""
    if not isinstance(value, dict):
        return value
    return {k: MASK if isinstance(v, str) and v and isinstance(k, str)
            and any(w in k.lower() for w in SECRET_WORDS) else masked(v)
            for k, v in value.items()}


config: dict[str, Any] = Settings({
    "mode": "default",               # "debug" selects the local engine (as in Dflow)
    "host": "",                      # Argo Server URL; empty means: use the local engine
    "namespace": "argo",
    "token": None,                   # Argo bearer token; never printed
    "argo_verify": True,             # check the Argo Server's TLS certificate
    "argo_ca": None,                 # a CA bundle for it (path)
    "k8s_token": None,               # Kubernetes API token (reuse caches); default: token
    "k8s_verify": None,              # None: as argo_verify
    "k8s_ca": None,                  # None: as argo_ca
    "k8s_api_server": None,
    "util_image": "python:3.8",
    "util_image_pull_policy": None,
    "save_keys_in_global_outputs": True,
    "detach": False,
    "debug_workdir": DEFAULT_WORKDIR,  # where local runs keep their state db and step dirs
    "debug_copy_method": "copy",     # how local artifacts reach a consumer: copy|link|symlink
    "debug_pool_workers": 0,         # warm Python workers; 0 = number of CPUs
    "debug_max_processes": 0,        # concurrent shell/script subprocesses; 0 = 2 x CPUs
    "debug_s3": False,               # local engine, but artifacts in S3 (as Dflow's debug_s3)
    "archive_mode": "tar",
    # untrusted archives (step outputs, downloads) are refused beyond these; 0 turns one off
    "archive_max_bytes": 16 << 30,   # bytes one archive may expand to (all its files)
    "archive_max_members": 100_000,  # entries in one archive
    "archive_max_ratio": 100,        # expanded / compressed size, checked once an archive ...
    "archive_ratio_min_bytes": 1 << 30,  # ... has expanded beyond this many bytes
    "http_headers": {},
    "workflow_annotations": {},
    "workflow_templates_dir": None,  # a folder of WorkflowTemplate manifests (templateRef)
    "artifact_register": {},         # URN protocol -> "module.Class" (CustomArtifact.from_urn)
})

s3_config: dict[str, Any] = Settings({
    "endpoint": "127.0.0.1:9000",
    "console": "http://127.0.0.1:9001",
    "access_key": "admin",
    "secret_key": "password",
    "secure": False,
    "region": "",
    "bucket_name": "my-bucket",
    "access_key_secret": None,       # {"name": ..., "key": ...}: what manifests reference
    "secret_key_secret": None,
    "part_size": 16 * 1024 * 1024,   # multipart upload part size
    "repo_key": None,
    "repo": None,
    "repo_type": "s3",
    "repo_prefix": "",
    "prefix": "",
    "storage_client": None,
    "extra_prefixes": [],
})


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, (dict, list)):
        import json
        return json.loads(raw)
    return raw


def _load_env(target: dict[str, Any], prefix: str) -> None:
    for key, default in list(target.items()):
        raw = os.environ.get(prefix + key.upper())
        if raw is not None:
            target[key] = _coerce(raw, default)


def set_config(**kwargs: Any) -> None:
    """Update ``config``; unknown keys are an error so typos do not pass silently."""
    _update(config, kwargs, "config")


def set_s3_config(**kwargs: Any) -> None:
    """Update ``s3_config``; unknown keys are an error so typos do not pass silently."""
    _update(s3_config, kwargs, "s3_config")


def _update(target: dict[str, Any], values: dict[str, Any], label: str) -> None:
    unknown = sorted(set(values) - set(target))
    if unknown:
        raise KeyError(f"{label} has no key {', '.join(map(repr, unknown))}; "
                       f"known keys: {', '.join(sorted(target))}")
    target.update(values)


def local_mode() -> bool:
    """The local engine runs when asked for (debug mode) or when no Argo host is configured."""
    return config["mode"] == "debug" or not config["host"]


def runs_dir(folder: Union[str, Path]) -> Path:
    """Where the local runs of the notebooks in ``folder`` live: its hidden ``.dflow_nb``
    folder, or ``folder`` itself when it holds a state database from before that default
    (its runs stay readable where they are; nothing is moved)."""
    folder = Path(folder)
    hidden = folder / DEFAULT_WORKDIR
    if not (hidden / STATE_DB).exists() and (folder / STATE_DB).exists():
        return folder
    return hidden


def work_directory(workdir: Optional[Union[str, Path]] = None) -> Path:
    """The local engine's work directory: ``workdir`` if given, else ``debug_workdir`` (Dflow's
    setting, used as given); left at its default, ``runs_dir`` of the current folder."""
    chosen = workdir if workdir is not None else config["debug_workdir"]
    if workdir is None and str(chosen) == DEFAULT_WORKDIR:
        return runs_dir(".")
    return Path(chosen)


_load_env(config, "DFLOW_")
_load_env(s3_config, "DFLOW_S3_")

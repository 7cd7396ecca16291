"""Submitting to Argo uploads what the manifest downloads: packages and local artifacts land in a
real S3 server (SeaweedFS, as in tests/storage) under the very keys the manifest references,
before the (fake) Argo Server sees the workflow."""
import io
import json
import secrets
import tarfile
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from dflow_nb import LocalArtifact, Step, Workflow, config, s3_config, upload_artifact
from dflow_nb.argo.backend import ArgoBackend
from dflow_nb.argo.compile import UPLOADS_ANNOTATION
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate
from tests.argo.argo_server import FakeArgo, run_to_end, swagger_path

TOKEN = "uploads-t0ken-secret"

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")


class CountLines(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"data": Artifact(Path), "more": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"n": len(Path(op_in["data"]).read_text().splitlines())})


@pytest.fixture
def s3_argo(seaweedfs, monkeypatch) -> Iterator[Any]:
    """Argo mode on the fake Argo Server, artifacts in the SeaweedFS bucket under a fresh prefix."""
    fake = FakeArgo(token=TOKEN).start()
    for k, v in seaweedfs.s3_config().items():
        monkeypatch.setitem(s3_config, k, v)
    monkeypatch.setitem(s3_config, "storage_client", None)
    monkeypatch.setitem(s3_config, "prefix", f"up-{secrets.token_hex(3)}/")
    monkeypatch.setitem(config, "mode", "default")
    monkeypatch.setitem(config, "host", fake.url)
    monkeypatch.setitem(config, "token", TOKEN)
    monkeypatch.setitem(config, "namespace", "argo")
    yield fake
    fake.stop()
    assert fake.violations == []


def _s3_keys(manifest: Dict[str, Any]) -> List[str]:
    """Every ``s3.key`` of the manifest (template inputs and step/task arguments)."""
    keys: List[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            s3 = node.get("s3")
            if isinstance(s3, dict) and "key" in s3 and "{{" not in s3["key"]:
                keys.append(s3["key"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(manifest["spec"]["templates"])
    return sorted(set(keys))


def _names(blob: bytes) -> List[str]:
    with tarfile.open(fileobj=io.BytesIO(blob)) as tf:
        return tf.getnames()


def test_submit_uploads_packages_and_local_artifacts_to_s3(s3_argo, seaweedfs, tmp_path):
    pkg = tmp_path / "mylib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("ANSWER = 42\n")
    data = tmp_path / "data.txt"
    data.write_text("a\nb\nc\n")
    more = tmp_path / "more.txt"
    more.write_text("local\n")
    remote = upload_artifact(str(data))          # S3 mode: goes to the bucket at once
    assert type(remote).__name__ == "S3Artifact"
    local = LocalArtifact(str(more))             # a local snapshot: the backend uploads it
    store = seaweedfs.client()
    at_create: List[List[str]] = []

    def on_create(wf: Dict[str, Any]) -> Dict[str, Any]:
        at_create.append(sorted(store.list(s3_config["prefix"], recursive=True)))
        return run_to_end(wf, {"count": {"n": "3"}})

    s3_argo.suffixes = ["s3up1"]
    s3_argo.on_create = on_create
    wf = Workflow("uploads")
    wf.add(Step("count", PythonOPTemplate(CountLines, image="python:3.11",
                                          python_packages=[str(pkg)]),
                artifacts={"data": remote, "more": local}))
    wf.submit(wait=False)
    assert isinstance(wf.backend, ArgoBackend)
    assert wf.query_status() == "Succeeded"

    created = s3_argo.calls("WorkflowService_CreateWorkflow")[0].body["workflow"]
    listed = json.loads(created["metadata"]["annotations"][UPLOADS_ANNOTATION])
    keys = _s3_keys(created)
    assert set(listed) <= set(keys)
    assert all(k.startswith(s3_config["prefix"]) for k in keys), keys
    # everything the manifest downloads exists in S3, and existed when the workflow was created
    present = set(at_create[0])
    for key in keys:
        assert key in present or any(p.startswith(key.rstrip("/") + "/") for p in present), key
        assert store.list(key, recursive=True), key
    blobs = {}
    for key in listed:
        out = tmp_path / "dl" / key.replace("/", "_")
        out.parent.mkdir(exist_ok=True)
        store.download(key, str(out))
        blobs[key] = _names(out.read_bytes())
    pkg_key = next(k for k in listed if "/packages/" in k)
    assert "dflow_python_packages/mylib/__init__.py" in blobs[pkg_key]
    assert "dflow_python_packages/dflow_nb/__init__.py" in blobs[pkg_key]  # upload_dflow
    assert not any("__pycache__" in n for n in blobs[pkg_key])
    art_key = next(k for k in listed if "/upload/" in k)
    assert blobs[art_key] == ["more.txt"]
    # the manifest names no credential
    text = json.dumps(created)
    assert seaweedfs.secret_key not in text and TOKEN not in text

"""Dflow's ``OSSClient`` (``dflow_nb.plugins.oss``) speaks the S3 API that OSS offers; a real
S3 server (SeaweedFS) stands in for Alibaba Cloud here."""
import pytest

from dflow_nb.plugins.oss import OSSClient
from dflow_nb.storage import StorageAuthError, StorageClient


def test_oss_client_stores_and_lists_objects(seaweedfs, tmp_path, prefix):
    client = OSSClient(endpoint=f"http://{seaweedfs.endpoint}", bucket_name=seaweedfs.bucket,
                       access_key_id=seaweedfs.access_key,
                       access_key_secret=seaweedfs.secret_key)
    assert isinstance(client, StorageClient)
    assert seaweedfs.secret_key not in repr(client)
    src = tmp_path / "a.txt"
    src.write_text("over oss")
    client.upload(f"{prefix}/a.txt", str(src))
    client.copy(f"{prefix}/a.txt", f"{prefix}/b.txt")
    assert client.list(f"{prefix}/", recursive=True) == [f"{prefix}/a.txt", f"{prefix}/b.txt"]
    client.download(f"{prefix}/b.txt", str(tmp_path / "b.txt"))
    assert (tmp_path / "b.txt").read_text() == "over oss"


def test_oss_client_takes_the_environment_and_refuses_bad_keys(seaweedfs, monkeypatch, tmp_path):
    monkeypatch.setenv("OSS_ENDPOINT", f"http://{seaweedfs.endpoint}")
    monkeypatch.setenv("OSS_BUCKET_NAME", seaweedfs.bucket)
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", seaweedfs.access_key)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "not-the-secret")
    (tmp_path / "x").write_text("x")
    with pytest.raises(StorageAuthError):
        OSSClient(retries=0).upload("denied/x", str(tmp_path / "x"))
    monkeypatch.delenv("OSS_BUCKET_NAME")
    with pytest.raises(ValueError, match="bucket_name"):
        OSSClient()

"""The artifact repository a manifest references (never literal credentials), and the local store."""
import hashlib
import json

import pytest

from dflow_nb import ValidationError
from dflow_nb.storage import KeyNotFound, LocalStorageClient, StorageClient, artifact_repository, s3_location

BASE = {"endpoint": "minio.argo:9000", "access_key": "AKIAEXAMPLE", "secret_key": "TOP-SECRET-VALUE",
        "secure": False, "bucket_name": "my-bucket", "repo_key": None, "repo": None,
        "repo_type": "s3", "repo_prefix": "", "prefix": ""}


def test_default_repository_is_an_empty_reference():
    assert artifact_repository(BASE) == {}
    assert s3_location("upload/x.tgz", artifact_repository(BASE)) == {"key": "upload/x.tgz"}


def test_repo_key_becomes_artifact_repository_ref():
    assert artifact_repository({**BASE, "repo_key": "my-repo"}) == {
        "artifactRepositoryRef": {"key": "my-repo"}}
    assert artifact_repository({**BASE, "repo_key": "repos-cm/minio"}) == {
        "artifactRepositoryRef": {"configMap": "repos-cm", "key": "minio"}}
    with pytest.raises(ValidationError, match="repo_key"):
        artifact_repository({**BASE, "repo_key": "a b"})


def test_explicit_repository_by_secret_reference():
    repo = artifact_repository({**BASE, "access_key_secret": {"name": "minio-cred", "key": "accesskey"},
                                "secret_key_secret": "minio-cred/secretkey"})
    assert repo == {"s3": {"endpoint": "minio.argo:9000", "bucket": "my-bucket", "insecure": True,
                           "accessKeySecret": {"name": "minio-cred", "key": "accesskey"},
                           "secretKeySecret": {"name": "minio-cred", "key": "secretkey"}}}
    loc = s3_location("wf/pod/out.tgz", repo)
    assert loc["key"] == "wf/pod/out.tgz" and loc["bucket"] == "my-bucket"
    text = json.dumps(repo)
    assert "TOP-SECRET-VALUE" not in text and "AKIAEXAMPLE" not in text
    with pytest.raises(ValidationError, match="both secret references"):
        artifact_repository({**BASE, "access_key_secret": "minio-cred/accesskey"})


def test_repo_dict_with_literal_credentials_is_refused():
    repo = {"s3": {"endpoint": "minio:9000", "bucket": "b", "keyFormat": "{{workflow.name}}",
                   "accessKeySecret": {"name": "c", "key": "a"}, "secretKeySecret": {"name": "c", "key": "s"}}}
    out = artifact_repository({**BASE, "repo": repo, "repo_key": "k"})
    assert out["artifactRepositoryRef"] == {"key": "k"}
    assert out["s3"] == {"endpoint": "minio:9000", "bucket": "b", "accessKeySecret": {"name": "c", "key": "a"},
                         "secretKeySecret": {"name": "c", "key": "s"}}
    with pytest.raises(ValidationError, match="literal credentials") as e:
        artifact_repository({**BASE, "repo": {"s3": {"bucket": "b", "secretKey": "TOP-SECRET-VALUE"}}})
    assert "TOP-SECRET-VALUE" not in str(e.value)


def test_local_store_follows_the_protocol(tmp_path):
    store = LocalStorageClient(str(tmp_path / "store"))
    assert isinstance(store, StorageClient)
    f = tmp_path / "f.txt"
    f.write_text("abc")
    for k in ("a/x.txt", "a/b/y.txt", "ab.txt"):
        store.upload(k, str(f))
    assert store.list("a/", recursive=True) == ["a/b/y.txt", "a/x.txt"]
    assert store.list("a/") == ["a/b/", "a/x.txt"]
    assert store.list("a") == ["a/", "ab.txt"]
    store.copy("a/x.txt", "c/z.txt")
    store.download("c/z.txt", str(tmp_path / "out" / "z.txt"))
    assert (tmp_path / "out" / "z.txt").read_text() == "abc"
    assert store.get_md5("c/z.txt") == hashlib.md5(b"abc").hexdigest()
    with pytest.raises(KeyNotFound):
        store.download("missing", str(tmp_path / "m"))
    for bad in ("../escape", "/abs", "a/../../x"):
        with pytest.raises(ValueError):
            store.upload(bad, str(f))

"""The MinIO-SDK StorageClient against a real S3 server (SeaweedFS): data, listing, errors, secrets."""
import hashlib
import io
import logging
import pickle
import socket
import time
import traceback

import pytest

from dflow_nb.storage import (
    BucketNotFound,
    KeyNotFound,
    S3StorageClient,
    Secret,
    StorageAuthError,
    StorageClient,
    StorageUnreachable,
    client_from_config,
    download_tree,
    upload_tree,
)

MiB = 1024 * 1024


def _write(path, size, seed=0):
    block = hashlib.sha256(str(seed).encode()).digest() * (MiB // 32)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[:min(left, len(block))])
            left -= len(block)
    return path


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def test_is_a_storage_client(store):
    assert isinstance(store, StorageClient)


def test_multipart_upload_download_and_md5(store, prefix, tmp_path):
    """A 20 MiB file with 5 MiB parts goes up in 4 parts and comes back byte for byte."""
    src = _write(tmp_path / "big.bin", 20 * MiB + 123, seed=1)
    key = f"{prefix}/big.bin"
    store.upload(key, str(src))
    assert store.etag(key).endswith("-5")   # 4 full parts + the 123-byte tail: a multipart ETag
    store.download(key, str(tmp_path / "back" / "big.bin"))
    assert _md5(tmp_path / "back" / "big.bin") == _md5(src)
    assert store.get_md5(key) == _md5(src)   # the real content MD5, not the multipart ETag


def test_small_upload_is_single_part(store, prefix, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("hello")
    store.upload(f"{prefix}/a.txt", str(src))
    assert "-" not in store.etag(f"{prefix}/a.txt")
    assert store.get_md5(f"{prefix}/a.txt") == hashlib.md5(b"hello").hexdigest()


def test_md5_of_objects_uploaded_by_others(store, prefix, tmp_path):
    """Objects without our metadata: the ETag when single-part, else the content is hashed."""
    data = b"x" * 1000
    store._minio.put_object(store.bucket, f"{prefix}/plain", io.BytesIO(data), len(data))
    assert store.get_md5(f"{prefix}/plain") == hashlib.md5(data).hexdigest()
    big = _write(tmp_path / "big", 11 * MiB, seed=2)
    store._minio.fput_object(store.bucket, f"{prefix}/multi", str(big), part_size=5 * MiB)
    assert "-" in store.etag(f"{prefix}/multi")
    assert store.get_md5(f"{prefix}/multi") == _md5(big)


def test_list_prefix_and_recursive(store, prefix, tmp_path):
    f = tmp_path / "f"
    f.write_text("1")
    for k in ("a/x.txt", "a/b/y.txt", "a/b/c/z.txt", "ab.txt", "other/q.txt"):
        store.upload(f"{prefix}/{k}", str(f))
    assert store.list(f"{prefix}/a/", recursive=True) == [
        f"{prefix}/a/b/c/z.txt", f"{prefix}/a/b/y.txt", f"{prefix}/a/x.txt"]
    assert store.list(f"{prefix}/a/") == [f"{prefix}/a/b/", f"{prefix}/a/x.txt"]
    assert store.list(f"{prefix}/a") == [f"{prefix}/a/", f"{prefix}/ab.txt"]
    assert store.list(f"{prefix}/nothing/", recursive=True) == []


def test_copy(store, prefix, tmp_path):
    src = tmp_path / "s.txt"
    src.write_text("copy me")
    store.upload(f"{prefix}/s.txt", str(src))
    store.copy(f"{prefix}/s.txt", f"{prefix}/d/s2.txt")
    store.download(f"{prefix}/d/s2.txt", str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_text() == "copy me"
    assert store.get_md5(f"{prefix}/d/s2.txt") == hashlib.md5(b"copy me").hexdigest()
    with pytest.raises(KeyNotFound, match="no object"):
        store.copy(f"{prefix}/missing", f"{prefix}/x")


def test_tree_round_trip(store, prefix, tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("A")
    (d / "sub" / "b.txt").write_text("B")
    (d / "link.txt").symlink_to(d / "a.txt")
    keys = upload_tree(store, d, f"{prefix}/tree")
    assert keys == [f"{prefix}/tree/a.txt", f"{prefix}/tree/link.txt", f"{prefix}/tree/sub/b.txt"]
    files = download_tree(store, f"{prefix}/tree", tmp_path / "back")
    assert sorted(p.relative_to(tmp_path / "back").as_posix() for p in files) == [
        "a.txt", "link.txt", "sub/b.txt"]
    assert (tmp_path / "back" / "link.txt").read_text() == "A"


def test_missing_key(store, prefix, tmp_path):
    with pytest.raises(KeyNotFound) as e:
        store.download(f"{prefix}/nope.txt", str(tmp_path / "x"))
    assert f"{prefix}/nope.txt" in str(e.value) and store.bucket in str(e.value)
    assert isinstance(e.value, FileNotFoundError)
    assert not store.exists(f"{prefix}/nope.txt")


def test_wrong_secret_key_is_a_clear_error(seaweedfs, tmp_path):
    bad = seaweedfs.client(secret_key=Secret("wrong-" + seaweedfs.secret_key))
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(StorageAuthError) as e:
        bad.upload("k", str(f))
    msg = str(e.value)
    assert msg.startswith(f"S3 rejected the access key {seaweedfs.access_key!r} for bucket "
                          f"{seaweedfs.bucket!r} at endpoint {seaweedfs.endpoint!r}")
    assert "secret key does not match" in msg and "s3_config['secret_key']" in msg
    assert isinstance(e.value, PermissionError)


def test_unknown_access_key_is_a_clear_error(seaweedfs):
    bad = seaweedfs.client(access_key="nobody")
    with pytest.raises(StorageAuthError) as e:
        bad.list("", recursive=False)
    assert str(e.value).startswith(f"S3 rejected the access key 'nobody' for bucket {seaweedfs.bucket!r} "
                                   f"at endpoint {seaweedfs.endpoint!r}")
    assert "does not know this key" in str(e.value)


def test_missing_bucket_is_a_clear_error(seaweedfs, tmp_path):
    c = seaweedfs.client(bucket="no-such-bucket")
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(BucketNotFound) as e:
        c.upload("k", str(f))
    assert "no bucket 'no-such-bucket'" in str(e.value) and seaweedfs.endpoint in str(e.value)
    assert "s3_config['bucket_name']" in str(e.value)


def test_unreachable_endpoint_is_a_clear_and_quick_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # closed again when the block ends: nothing listens there
    c = S3StorageClient(f"127.0.0.1:{port}", "k", Secret("s"), "some-bucket")
    t = time.monotonic()
    with pytest.raises(StorageUnreachable) as e:
        c.list("x/")
    assert time.monotonic() - t < 3
    assert f"cannot reach S3 endpoint http://127.0.0.1:{port}" in str(e.value)
    assert "Is the server running?" in str(e.value) and "refused" in str(e.value).lower()
    assert isinstance(e.value, ConnectionError)


def test_secret_never_shows(seaweedfs, tmp_path, caplog):
    """Not in repr/str, not in error messages or tracebacks, not in DEBUG logs, not pickled."""
    secret = seaweedfs.secret_key
    caplog.set_level(logging.DEBUG)
    good = client_from_config(seaweedfs.s3_config())
    bad = seaweedfs.client(secret_key=Secret(secret + "x"))
    assert secret not in repr(good) and secret not in str(good)
    assert "***" in repr(good) and seaweedfs.access_key in repr(good)
    assert secret not in repr(good.secret_key) and secret not in f"{good.secret_key}"
    texts = []
    f = tmp_path / "f"
    f.write_text("x")
    for call in (lambda: bad.upload("k", str(f)), lambda: bad.list("k"),
                 lambda: good.download("missing/key", str(tmp_path / "y")),
                 lambda: seaweedfs.client(bucket="no-such-bucket").get_md5("k")):
        with pytest.raises(Exception) as e:
            call()
        texts.append("".join(traceback.format_exception(e.value)))
        texts.append(repr(e.value))
    good.upload("ok", str(f))
    assert all(secret not in t for t in texts)
    assert secret not in caplog.text
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(good)
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(good.secret_key)


def test_from_config_and_environment(seaweedfs, monkeypatch):
    """s3_config (filled from DFLOW_S3_*) builds a client; a scheme in the endpoint sets secure."""
    c = client_from_config(seaweedfs.s3_config())
    assert isinstance(c, S3StorageClient) and c.bucket == seaweedfs.bucket
    assert client_from_config(seaweedfs.s3_config()) is c   # cached per endpoint/credentials
    monkeypatch.setenv("DFLOW_S3_REGION", "eu-west-1")
    c2 = S3StorageClient.from_config({**seaweedfs.s3_config(), "endpoint": "https://example.org:9000/"})
    assert (c2.secure, c2.endpoint, c2.region) == (True, "example.org:9000", "eu-west-1")
    assert c.list("definitely-absent/") == []


def test_custom_storage_client_from_config(tmp_path):
    """s3_config['storage_client'] may be an instance, a class or an import path (as in Dflow)."""
    from dflow_nb.storage import LocalStorageClient
    inst = LocalStorageClient(str(tmp_path / "store"))
    assert client_from_config({"storage_client": inst}) is inst
    with pytest.raises(TypeError, match="must provide upload"):
        client_from_config({"storage_client": object()})


def test_part_size_minimum():
    with pytest.raises(ValueError, match="at least 5 MiB"):
        S3StorageClient("127.0.0.1:1", "k", Secret("s"), "bucket", part_size=1024)


def test_tls_to_a_plain_http_server_is_a_clear_error(seaweedfs):
    c = seaweedfs.client(secure=True)
    with pytest.raises(StorageUnreachable) as e:
        c.list("x/")
    assert f"TLS to S3 endpoint https://{seaweedfs.endpoint} failed" in str(e.value)
    assert "s3_config['secure'] = False" in str(e.value)

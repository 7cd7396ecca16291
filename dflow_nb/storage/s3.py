"""A ``StorageClient`` for any S3 server (MinIO, SeaweedFS, AWS, OSS...) on the MinIO SDK.

Errors come back in the user's terms (which key, which bucket, which endpoint, what to check);
the secret key is held in a ``Secret`` and never appears in a repr, an error or a log line.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error

from dflow_nb.config import s3_config
from dflow_nb.storage.base import (
    BucketNotFound,
    KeyNotFound,
    Secret,
    StorageAuthError,
    StorageError,
    StorageUnreachable,
    check_key,
)
from dflow_nb.storage.local import file_md5

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
MD5_META = "dflow-md5"   # x-amz-meta-dflow-md5: the content MD5, which multipart ETags are not

_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
               "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidSecurity", "Forbidden"}


@dataclass(repr=False)
class S3StorageClient:
    """Objects in one bucket of an S3 server.

    ``part_size``: files larger than this are uploaded in parts of this size (at least 5 MiB),
    several in parallel; ``retries`` applies to connection failures and 5xx answers.
    """

    endpoint: str
    access_key: str
    secret_key: Secret
    bucket: str
    secure: bool = False
    region: Optional[str] = None
    part_size: int = 16 * MiB
    parallel_uploads: int = 3
    cert_check: bool = True
    ca_file: Optional[str] = None
    connect_timeout: float = 5.0
    read_timeout: float = 300.0
    retries: int = 2
    _minio: Minio = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret_key, Secret):
            self.secret_key = Secret(str(self.secret_key))
        if self.part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least 5 MiB (S3's minimum), given {self.part_size}")
        endpoint = self.endpoint
        for scheme in ("https://", "http://"):
            if endpoint.startswith(scheme):
                endpoint = endpoint[len(scheme):]
                self.secure = scheme == "https://"
        self.endpoint = endpoint.rstrip("/")
        kwargs: Dict[str, Any] = {}
        if self.secure:
            kwargs["cert_reqs"] = "CERT_REQUIRED" if self.cert_check else "CERT_NONE"
            ca = self.ca_file or os.environ.get("SSL_CERT_FILE")
            if ca:
                kwargs["ca_certs"] = ca
            elif self.cert_check:
                try:
                    import certifi
                    kwargs["ca_certs"] = certifi.where()
                except ImportError:  # pragma: no cover - certifi comes with minio
                    pass
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout),
            maxsize=max(10, self.parallel_uploads + 2),
            retries=urllib3.Retry(total=self.retries, connect=self.retries, read=self.retries,
                                  backoff_factor=0.1, status_forcelist=[500, 502, 503, 504]),
            **kwargs)
        self._minio = Minio(self.endpoint, access_key=self.access_key,
                            secret_key=self.secret_key.reveal(), secure=self.secure,
                            region=self.region, http_client=http, cert_check=self.cert_check)

    @classmethod
    def from_config(cls, s3: Optional[Mapping[str, Any]] = None, **overrides: Any) -> "S3StorageClient":
        """Build from ``s3_config`` (itself filled from ``DFLOW_S3_*``), with keyword overrides."""
        given = s3_config if s3 is None else s3
        cfg = {**dict(given), **{k: v for k, v in overrides.items() if v is not None}}
        region = cfg.get("region") or os.environ.get("DFLOW_S3_REGION") or None
        extra = {k: cfg[k] for k in ("part_size", "parallel_uploads", "cert_check", "ca_file",
                                     "connect_timeout", "read_timeout", "retries") if k in cfg}
        return cls(endpoint=cfg["endpoint"], access_key=cfg["access_key"],
                   secret_key=Secret(str(cfg["secret_key"])), bucket=cfg["bucket_name"],
                   secure=bool(cfg.get("secure", False)), region=region, **extra)

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        return (f"S3StorageClient(endpoint='{scheme}://{self.endpoint}', bucket={self.bucket!r}, "
                f"access_key={self.access_key!r}, secret_key='***')")

    __str__ = __repr__

    def __getstate__(self) -> None:
        raise TypeError("an S3StorageClient is not pickled (it holds credentials); "
                        "rebuild it from s3_config where it is needed")

    # -- the StorageClient protocol ------------------------------------------------------------

    def upload(self, key: str, path: str) -> None:
        check_key(key)
        size = os.path.getsize(path)
        meta: Dict[str, Union[str, List[str], Tuple[str]]] = {MD5_META: file_md5(path)}  # SDK's type
        with self._errors("upload", key):
            self._minio.fput_object(self.bucket, key, str(path), metadata=meta,
                                    part_size=self.part_size if size > self.part_size else 0,
                                    num_parallel_uploads=self.parallel_uploads)

    def download(self, key: str, path: str) -> None:
        check_key(key)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with self._errors("download", key):
            self._minio.fget_object(self.bucket, key, str(path))

    def list(self, prefix: str, recursive: bool = False) -> List[str]:
        with self._errors("list", prefix):  # sorted: servers differ in where they put prefixes
            return sorted(o.object_name for o in
                    self._minio.list_objects(self.bucket, prefix=prefix or None, recursive=recursive)
                    if o.object_name is not None)

    def copy(self, src: str, dst: str) -> None:
        check_key(src)
        check_key(dst)
        with self._errors("copy", src):
            self._minio.copy_object(self.bucket, dst, CopySource(self.bucket, src))

    def get_md5(self, key: str) -> str:
        """From our upload metadata, else a plain (single-part, unencrypted) ETag, else by reading."""
        check_key(key)
        with self._errors("stat", key):
            st = self._minio.stat_object(self.bucket, key)
        meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
        md5 = meta.get("x-amz-meta-" + MD5_META)
        if md5:
            return str(md5)
        etag = (st.etag or "").strip('"')
        if len(etag) == 32 and "-" not in etag and "x-amz-server-side-encryption" not in meta:
            return etag
        h = hashlib.md5()
        for chunk in self.stream(key):
            h.update(chunk)
        return h.hexdigest()

    # -- extras ----------------------------------------------------------------------------------

    def stream(self, key: str, chunk_size: int = MiB) -> Iterator[bytes]:
        """The object's bytes in chunks, without a temporary file."""
        with self._errors("download", key):
            resp = self._minio.get_object(self.bucket, key)
        try:
            yield from resp.stream(chunk_size)
        finally:
            resp.close()
            resp.release_conn()

    def exists(self, key: str) -> bool:
        try:
            with self._errors("stat", key):
                self._minio.stat_object(self.bucket, key)
            return True
        except KeyNotFound:
            return False

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self._minio.remove_object(self.bucket, key)

    def etag(self, key: str) -> str:
        with self._errors("stat", key):
            return str(self._minio.stat_object(self.bucket, key).etag).strip('"')

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (for tests and first-time setups)."""
        with self._errors("create bucket", ""):
            if not self._minio.bucket_exists(self.bucket):
                self._minio.make_bucket(self.bucket)

    # -- errors in the user's terms --------------------------------------------------------------

    def _where(self) -> str:
        return f"bucket {self.bucket!r} at endpoint {self.endpoint!r}"

    def _errors(self, action: str, key: str) -> "_Translate":
        return _Translate(self, action, key)


class _Translate:
    """Turns MinIO/urllib3 exceptions into StorageErrors that name key, bucket and endpoint."""

    def __init__(self, client: S3StorageClient, action: str, key: str) -> None:
        self.c, self.action, self.key = client, action, key

    def __enter__(self) -> None:
        return None

    def __exit__(self, tp: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is None or isinstance(exc, StorageError) or not isinstance(exc, Exception):
            return
        err = self.translate(exc)
        if err is None:
            return
        err.__cause__ = None
        err.__suppress_context__ = True
        raise err

    def translate(self, exc: Exception) -> Optional[StorageError]:
        c = self.c
        what = f"{self.action} {self.key!r}" if self.key else self.action
        if isinstance(exc, S3Error):
            code = exc.code or ""
            if code == "InvalidAccessKeyId":
                return StorageAuthError(
                    f"S3 rejected the access key {c.access_key!r} for {c._where()}: the server does "
                    f"not know this key ({what} failed). Check s3_config['access_key'] "
                    f"(DFLOW_S3_ACCESS_KEY).")
            if code == "SignatureDoesNotMatch":
                return StorageAuthError(
                    f"S3 rejected the access key {c.access_key!r} for {c._where()}: the secret key "
                    f"does not match it ({what} failed). Check s3_config['secret_key'] "
                    f"(DFLOW_S3_SECRET_KEY).")
            if code in _AUTH_CODES:
                return StorageAuthError(
                    f"S3 denied {what} to access key {c.access_key!r} for {c._where()} ({code}). "
                    f"Check the key's permissions on the bucket.")
            if code == "NoSuchBucket":
                return BucketNotFound(
                    f"S3 has no bucket {c.bucket!r} at endpoint {c.endpoint!r} ({what} failed). "
                    f"Create it, or set s3_config['bucket_name'] (DFLOW_S3_BUCKET_NAME).")
            if code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return KeyNotFound(f"no object {self.key!r} in {c._where()}")
            return StorageError(f"S3 {what} failed for {c._where()}: {code}: {exc.message}")
        if isinstance(exc, urllib3.exceptions.HTTPError):
            reason = getattr(exc, "reason", None) or exc
            scheme = "https" if c.secure else "http"
            if isinstance(reason, urllib3.exceptions.SSLError) or "SSL" in type(reason).__name__:
                return StorageUnreachable(
                    f"TLS to S3 endpoint {scheme}://{c.endpoint} failed ({_short(reason)}). If the "
                    f"server speaks plain HTTP set s3_config['secure'] = False; for a private CA "
                    f"pass ca_file.")
            return StorageUnreachable(
                f"cannot reach S3 endpoint {scheme}://{c.endpoint} to {what} ({_short(reason)}). "
                f"Is the server running? Check s3_config['endpoint'] (DFLOW_S3_ENDPOINT) and "
                f"s3_config['secure'].")
        if isinstance(exc, ValueError) and "bucket name" in str(exc):
            return BucketNotFound(f"{c.bucket!r} is not a valid S3 bucket name (3-63 characters: "
                                  f"lower-case letters, digits, '.', '-'); set s3_config['bucket_name']")
        return None


def _short(reason: object) -> str:
    text = str(reason)
    for marker in ("Failed to establish a new connection: ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()\"' ")[:200]

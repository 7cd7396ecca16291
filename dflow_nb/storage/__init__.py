"""Artifact storage: the ``StorageClient`` protocol, local and S3 stores, Argo-style archives.

S3 mode (artifacts live in the S3 repository instead of the local work directory) is on when
Argo is the backend (``config["mode"] != "debug"`` and ``config["host"]`` set, as in Dflow) or
when ``config["debug_s3"]`` is true (local engine, S3 artifacts).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from dflow_nb.config import config, local_mode, s3_config
from dflow_nb.storage._tarread import ArchiveLimits
from dflow_nb.storage.archive import ArchiveEntry, archive_name, make_tgz, pack_tgz
from dflow_nb.storage.base import (
    ArchiveLimitError,
    BucketNotFound,
    KeyNotFound,
    Secret,
    StorageAuthError,
    StorageClient,
    StorageError,
    StorageUnreachable,
    UnsafeArchiveError,
    check_key,
    download_tree,
    join_key,
    upload_tree,
)
from dflow_nb.storage.extract import (
    ExtractResult,
    extract_artifact,
    extract_as_artifact,
    read_members,
    safe_extract,
)
from dflow_nb.storage.local import LocalStorageClient, file_md5
from dflow_nb.storage.repository import (
    artifact_repository,
    output_artifact_key,
    render_key_format,
    s3_location,
)

if TYPE_CHECKING:
    from dflow_nb.storage.s3 import S3StorageClient


def s3_mode() -> bool:
    """Whether upload/download_artifact go to S3 (Argo backend, or ``debug_s3``)."""
    return bool(config.get("debug_s3")) or not local_mode()


_clients: Dict[Tuple[Any, ...], "S3StorageClient"] = {}


def __getattr__(name: str) -> Any:
    """``S3StorageClient`` loads the MinIO SDK (~130 ms): only when someone asks for it."""
    if name == "S3StorageClient":
        from dflow_nb.storage.s3 import S3StorageClient
        return S3StorageClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def client_from_config(s3: Optional[Mapping[str, Any]] = None, **overrides: Any) -> StorageClient:
    """The store ``s3_config`` names: its ``storage_client`` (an instance, a class or an import
    path ``"pkg.mod.Class"``), else an S3 client for endpoint/bucket/credentials (cached).
    """
    if s3 is None:
        s3 = s3_config
    custom = overrides.pop("storage_client", None) or s3.get("storage_client")
    if custom is not None:
        if isinstance(custom, str):
            mod, _, name = custom.rpartition(".")
            custom = getattr(importlib.import_module(mod), name)
        if isinstance(custom, type):
            custom = custom()
        if not isinstance(custom, StorageClient):
            raise TypeError(f"s3_config['storage_client'] must provide upload, download, list, copy "
                            f"and get_md5; given {type(custom).__name__}")
        return custom
    cfg = {**dict(s3), **{k: v for k, v in overrides.items() if v is not None}}
    ident = tuple((k, repr(cfg.get(k)) if k != "secret_key" else hash(str(cfg.get(k))))
                  for k in ("endpoint", "access_key", "secret_key", "secure", "bucket_name", "region",
                            "part_size"))
    client = _clients.get(ident)
    if client is None:
        from dflow_nb.storage.s3 import S3StorageClient
        client = _clients[ident] = S3StorageClient.from_config(cfg)
    return client


__all__ = [
    "ArchiveEntry", "ArchiveLimitError", "ArchiveLimits", "BucketNotFound", "ExtractResult",
    "KeyNotFound", "LocalStorageClient", "S3StorageClient", "Secret", "StorageAuthError",
    "StorageClient", "StorageError", "StorageUnreachable", "UnsafeArchiveError", "archive_name",
    "artifact_repository", "check_key", "client_from_config", "download_tree", "extract_artifact",
    "extract_as_artifact", "file_md5", "join_key", "make_tgz", "output_artifact_key", "pack_tgz",
    "read_members", "render_key_format", "s3_location", "s3_mode", "safe_extract", "upload_tree",
]

"""Dflow's ``upload_s3`` / ``download_s3`` / ``copy_s3``: files as plain objects in the store.

Unlike ``upload_artifact`` there is no archive and no catalog: a file is one object, a directory
is one object per file under the key. The store is the call's ``storage_client``, else
``s3_config``'s. On the local engine without ``debug_s3`` the store is the work directory's
upload area, as in Dflow's debug mode, and the key is the absolute path of the copy.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Dict, Optional, Union

from dflow_nb.config import s3_config, work_directory
from dflow_nb.hub.artifacts import storage_for
from dflow_nb.python.catalog import CATALOG_DIR, copy_path
from dflow_nb.storage import check_key, download_tree, join_key, s3_mode, upload_tree

PathLike = Union[str, "os.PathLike[str]"]


def _local(kwargs: Dict[str, Any]) -> bool:
    return kwargs.get("storage_client") is None and not s3_mode()


def upload_s3(path: PathLike, key: Optional[str] = None, prefix: Optional[str] = None,
              **kwargs: Any) -> str:
    """Store a file, or a directory's files, under ``key`` (default
    ``<s3 prefix>upload/<uuid>/<name>``, or ``<prefix>/<name>``); returns the key."""
    src = Path(path)
    if not src.exists():
        raise FileNotFoundError(f"upload_s3: {str(path)!r} does not exist")
    if key is None:
        key = join_key(prefix, src.name) if prefix is not None else \
            f"upload/{uuid.uuid4()}/{src.name}"
    if _local(kwargs):
        target = work_directory().resolve() / "upload" / check_key(key)
        copy_path(src, target)
        return str(target)
    store_prefix = str(s3_config.get("prefix") or "")
    if prefix is None and not key.startswith(store_prefix):
        key = store_prefix + key
    upload_tree(storage_for(kwargs), src, key)
    return key


def download_s3(key: str, path: PathLike = ".", recursive: bool = True,
                skip_exists: bool = False, keep_dir: bool = False, **kwargs: Any) -> str:
    """Fetch the object ``key`` into ``path`` under its own name, or (``recursive``) every
    object under ``key/`` into ``path`` (into ``path/<name>`` with ``keep_dir``); returns where."""
    name = key.rstrip("/").rsplit("/", 1)[-1]
    src = Path(key)
    if _local(kwargs) and src.is_absolute() and src.exists():
        if src.is_file() or keep_dir:
            dest = Path(path) / name
        else:
            dest = Path(path)
        if not (skip_exists and dest.is_file()):
            copy_path(src, dest)
        return str(dest)
    client = storage_for(kwargs)
    if not recursive or not client.list(key.rstrip("/") + "/", recursive=True):
        dest = Path(path) / name
        if not (skip_exists and dest.is_file()):
            client.download(key, str(dest))
        return str(dest)
    dest = Path(path) / name if keep_dir else Path(path)
    download_tree(client, key, dest)
    return str(dest)


def copy_s3(src_key: str, dst_key: str, recursive: bool = True, ignore_catalog: bool = False,
            **kwargs: Any) -> None:
    """Copy an object, or (``recursive``) every object under ``src_key/`` to ``dst_key/``
    (server-side); ``ignore_catalog`` leaves artifact catalogs behind."""
    src = Path(src_key)
    if _local(kwargs) and src.is_absolute() and src.exists():
        if src.is_file() or not ignore_catalog:
            copy_path(src, Path(dst_key))
        for entry in src.iterdir() if src.is_dir() and ignore_catalog else ():
            if entry.name != CATALOG_DIR:
                copy_path(entry, Path(dst_key) / entry.name)
        return
    client = storage_for(kwargs)
    prefix = src_key.rstrip("/") + "/"
    keys = client.list(prefix, recursive=True) if recursive else []
    if not keys:
        client.copy(src_key, dst_key)
        return
    for k in keys:
        if ignore_catalog and f"/{CATALOG_DIR}/" in "/" + k[len(prefix):]:
            continue
        client.copy(k, join_key(dst_key, k[len(prefix):]))


__all__ = ["copy_s3", "download_s3", "upload_s3"]

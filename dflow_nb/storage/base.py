"""The storage contract every artifact store meets, and the errors it raises in the user's terms.

A ``StorageClient`` moves single objects by key. Directories, archives and catalogs are built on
top of it (``upload_tree``/``download_tree`` here, ``archive.py``, ``dflow_nb.hub.artifacts``), so a
user's own client (Dflow's ``s3_config["storage_client"]``) only has to implement five methods.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import List, NoReturn, Protocol, Union, runtime_checkable

from dflow_nb.errors import DflowNbError

PathLike = Union[str, "os.PathLike[str]"]


@runtime_checkable
class StorageClient(Protocol):
    """Object storage by key. Subclass it (as in Dflow) or just provide the five methods."""

    def upload(self, key: str, path: str) -> None:
        """Store the local file ``path`` under ``key`` (replacing any object there)."""
        ...

    def download(self, key: str, path: str) -> None:
        """Write the object ``key`` to the local file ``path`` (parents are created)."""
        ...

    def list(self, prefix: str, recursive: bool = False) -> List[str]:
        """Keys under ``prefix``; without ``recursive`` sub-"directories" end with ``/``."""
        ...

    def copy(self, src: str, dst: str) -> None:
        """Server-side copy of one object."""
        ...

    def get_md5(self, key: str) -> str:
        """The hex MD5 of the object's content (what ``hashlib.md5`` gives for the file)."""
        ...


class StorageError(DflowNbError, OSError):
    """A storage operation failed; the message says where and what to check."""


class StorageAuthError(StorageError, PermissionError):
    """The server rejected the credentials or denied the operation."""


class StorageUnreachable(StorageError, ConnectionError):
    """The endpoint could not be reached (refused, DNS, TLS, timeout)."""


class BucketNotFound(StorageError, FileNotFoundError):
    """The configured bucket does not exist on the server."""


class KeyNotFound(StorageError, FileNotFoundError):
    """No object under that key."""


class UnsafeArchiveError(StorageError):
    """An archive member would land outside the destination, or is not a plain file/dir/link."""


class ArchiveLimitError(UnsafeArchiveError):
    """An archive would expand past a limit of ``dflow_nb.config`` (bytes, entries, ratio)."""


class Secret:
    """Holds a credential so that it never shows in a repr, a str, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("credentials are not pickled; pass them through s3_config or the environment")


def check_key(key: str) -> str:
    """Keys are relative, slash-separated and free of ``..`` so no store can be escaped."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"a storage key must be a non-empty string, given {key!r}")
    if key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"storage key {key!r} must be relative and use '/' separators")
    if any(part == ".." for part in key.split("/")):
        raise ValueError(f"storage key {key!r} must not contain '..'")
    return key


def join_key(*parts: str) -> str:
    """Join key parts with single slashes (empty parts skipped)."""
    out = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return out


def upload_tree(client: StorageClient, path: PathLike, key: str) -> List[str]:
    """Upload a file to ``key`` or a directory's files under ``key/`` (links followed, as Argo).

    Returns the keys written, in a stable order.
    """
    src = Path(path)
    if src.is_file():
        client.upload(check_key(key), str(src))
        return [key]
    if not src.is_dir():
        raise FileNotFoundError(f"cannot upload {str(src)!r}: no such file or directory")
    written: List[str] = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(src, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink loop: visit each real directory once
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames.sort()
        rel = os.path.relpath(dirpath, src)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full):  # dangling links, sockets, fifos
                continue
            k = join_key(key, "" if rel == "." else rel.replace(os.sep, "/"), name)
            client.upload(check_key(k), full)
            written.append(k)
    return written


def download_tree(client: StorageClient, key: str, path: PathLike) -> List[Path]:
    """Download the object ``key`` to ``path``, or every object under ``key/`` into ``path/``.

    Returns the local files written. A missing key and an empty prefix are a ``KeyNotFound``.
    """
    dest = Path(path)
    prefix = key.rstrip("/") + "/"
    keys = client.list(prefix, recursive=True)
    if not keys:
        client.download(key, str(dest))
        return [dest]
    out: List[Path] = []
    for k in keys:
        rel = k[len(prefix):]
        if not rel or rel.endswith("/"):
            continue
        norm = posixpath.normpath(rel)
        if norm.startswith("../") or norm == ".." or posixpath.isabs(norm):
            raise StorageError(f"refusing to download {k!r}: it would land outside {str(dest)!r}")
        target = dest.joinpath(*norm.split("/"))
        client.download(k, str(target))
        out.append(target)
    return out

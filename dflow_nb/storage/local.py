"""A ``StorageClient`` on a local directory: same keys and listing rules as S3, no server.

Useful for tests, for a shared filesystem between hosts, and as the reference the S3 client is
compared against.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List

from dflow_nb.storage.base import KeyNotFound, StorageError, check_key


@dataclass
class LocalStorageClient:
    """Objects are files under ``root``; a key ``a/b/c`` is the file ``root/a/b/c``."""

    root: str

    def __post_init__(self) -> None:
        self.root = str(Path(self.root).resolve())
        Path(self.root).mkdir(parents=True, exist_ok=True)

    def _file(self, key: str) -> Path:
        p = Path(self.root).joinpath(*check_key(key).split("/"))
        if not str(p.resolve()).startswith(self.root + os.sep):
            raise StorageError(f"key {key!r} resolves outside the store {self.root!r}")
        return p

    def upload(self, key: str, path: str) -> None:
        target = self._file(key)
        if target.is_dir():
            raise StorageError(f"cannot store {key!r}: a 'directory' of keys already uses that name")
        target.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename, so a reader never sees half an object
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def download(self, key: str, path: str) -> None:
        src = self._file(key)
        if not src.is_file():
            raise KeyNotFound(f"no object {key!r} in the local store {self.root!r}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, path)

    def list(self, prefix: str, recursive: bool = False) -> List[str]:
        base, _, stem = prefix.rpartition("/")
        start = Path(self.root).joinpath(*base.split("/")) if base else Path(self.root)
        if base:
            check_key(base)
        if not start.is_dir():
            return []
        out: List[str] = []
        for entry in sorted(start.iterdir()):
            if not entry.name.startswith(stem) or entry.name.startswith(".upload-"):
                continue
            key = f"{base}/{entry.name}" if base else entry.name
            if entry.is_dir():
                if recursive:
                    for f in sorted(entry.rglob("*")):
                        if f.is_file() and not f.name.startswith(".upload-"):
                            out.append(key + "/" + f.relative_to(entry).as_posix())
                else:
                    out.append(key + "/")
            elif entry.is_file():
                out.append(key)
        return sorted(out)

    def copy(self, src: str, dst: str) -> None:
        source = self._file(src)
        if not source.is_file():
            raise KeyNotFound(f"no object {src!r} in the local store {self.root!r}")
        self.upload(dst, str(source))

    def get_md5(self, key: str) -> str:
        src = self._file(key)
        if not src.is_file():
            raise KeyNotFound(f"no object {key!r} in the local store {self.root!r}")
        return file_md5(src)


def file_md5(path: "os.PathLike[str] | str") -> str:
    """Hex MD5 of a file, read in 1 MiB blocks."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

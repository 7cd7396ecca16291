"""tar.gz archives as Argo makes them: an output artifact's path as ``<basename>/...`` inside a
``.tgz``, and the key names Argo gives them. Extraction, which must distrust archives, lives in
``extract.py``.
"""
from __future__ import annotations

import io
import os
import posixpath
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class ArchiveEntry:
    """One thing to put in an archive: a local file or tree, or bytes, at ``arcname``."""

    arcname: str
    source: Optional[Path] = None
    data: Optional[bytes] = None
    mode: int = 0o644


def archive_name(artifact_name: str, archive: Optional[str] = "tar", path: str = "") -> str:
    """The file part of an output artifact's key, as Argo names it (SEMANTICS §4.7)."""
    if archive in (None, "none"):
        return posixpath.basename(path.rstrip("/")) or artifact_name
    if archive == "zip":
        return artifact_name + ".zip"
    return artifact_name + ".tgz"


def make_tgz(src: PathLike, out: PathLike, arcname: Optional[str] = None,
             compresslevel: int = 6) -> Path:
    """Archive a file or directory the way Argo's executor does: one top entry, its basename."""
    s = Path(src)
    if not (s.exists() or s.is_symlink()):
        raise FileNotFoundError(f"cannot archive {str(s)!r}: no such file or directory")
    return pack_tgz([ArchiveEntry(arcname or s.name, source=s)], out, compresslevel=compresslevel)


def pack_tgz(entries: Iterable[ArchiveEntry], out: PathLike, compresslevel: int = 6) -> Path:
    """Write a .tgz of ``entries``; links to files and directories are stored as what they point to."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz", compresslevel=compresslevel, format=tarfile.PAX_FORMAT) as tf:
        added: set = set()
        for e in entries:
            name = _clean_arcname(e.arcname)
            _add_parents(tf, name, added)
            if e.data is not None:
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(e.data), e.mode
                info.mtime = int(time.time())
                tf.addfile(info, io.BytesIO(e.data))
                added.add(name)
            elif e.source is not None:
                _add_path(tf, Path(e.source), name, added, set())
    return target


def _clean_arcname(name: str) -> str:
    norm = posixpath.normpath(name.replace(os.sep, "/")).lstrip("/")
    if norm in ("", ".") or norm == ".." or norm.startswith("../"):
        raise ValueError(f"archive entry name {name!r} is not a relative path inside the archive")
    return norm


def _add_parents(tf: tarfile.TarFile, name: str, added: set) -> None:
    parts = name.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d not in added:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
            tf.addfile(info)
            added.add(d)


def _add_path(tf: tarfile.TarFile, src: Path, name: str, added: set, seen: set) -> None:
    if src.is_symlink() and not src.exists():
        # a dangling link travels as a link; extraction will judge where it points
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(src)
        tf.addfile(info)
        added.add(name)
        return
    if src.is_dir():
        real = os.path.realpath(src)
        if real in seen:  # a link back to an ancestor: stop the loop
            return
        if name not in added:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, (src.stat().st_mode & 0o777) | 0o700
            info.mtime = int(src.stat().st_mtime)
            tf.addfile(info)
            added.add(name)
        for child in sorted(src.iterdir()):
            _add_path(tf, child, f"{name}/{child.name}", added, seen | {real})
        return
    if src.is_file():
        st = src.stat()  # follows links: the archive holds what they point to
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = st.st_size, st.st_mode & 0o777, int(st.st_mtime)
        with open(src, "rb") as f:
            tf.addfile(info, f)
        added.add(name)

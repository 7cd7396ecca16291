"""tar.gz archives as Argo makes them, and extraction that cannot write outside its destination.

Argo archives an output artifact's path as ``<basename>/...`` inside a ``.tgz``; on input, an
archive holding one top-level entry becomes the artifact path itself. Archives come from other
people's pods and buckets, so extraction checks every member first (no absolute names, no
``..``, no links leaving the destination, no devices) and then writes files itself: no chown,
no setuid bits, no writing through a link that was planted earlier in the same archive.
"""
from __future__ import annotations

import io
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

from dflow_nb.storage.base import StorageError

PathLike = Union[str, "os.PathLike[str]"]


class UnsafeArchiveError(StorageError):
    """An archive member would land outside the destination, or is not a plain file/dir/link."""


@dataclass
class ArchiveEntry:
    """One thing to put in an archive: a local file or tree, or bytes, at ``arcname``."""

    arcname: str
    source: Optional[Path] = None
    data: Optional[bytes] = None
    mode: int = 0o644


@dataclass
class ExtractResult:
    """What an extraction wrote, relative to the destination, in archive order."""

    names: List[str] = field(default_factory=list)

    @property
    def top_level(self) -> List[str]:
        tops: List[str] = []
        for n in self.names:
            t = n.split("/", 1)[0]
            if t not in tops:
                tops.append(t)
        return tops


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


# -- safe extraction ------------------------------------------------------------------------------

class _Escape(Exception):
    pass


def _resolve(parts: List[str], links: Dict[str, str], follow_last: bool = True, depth: int = 0) -> List[str]:
    """Follow ``parts`` from the destination root through the archive's symlinks, lexically.

    Raises _Escape if the path leaves the root (or loops).
    """
    if depth > 40:
        raise _Escape("a symlink loop")
    out: List[str] = []
    for i, part in enumerate(parts):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                raise _Escape("'..' above the destination")
            out.pop()
            continue
        out.append(part)
        joined = "/".join(out)
        last = i == len(parts) - 1
        if joined in links and (follow_last or not last):
            target = links[joined]
            if target.startswith("/") or _has_drive(target):
                raise _Escape(f"the absolute link {joined!r} -> {target!r}")
            out = _resolve(out[:-1] + target.split("/"), links, True, depth + 1)
    return out


def check_members(members: Iterable[tarfile.TarInfo]) -> List[tarfile.TarInfo]:
    """Refuse the whole archive if any member could escape; returns the members to extract.

    Every name, link target and path through a link is resolved against the archive's final
    set of symlinks, so an order trick (a link made harmless first, re-pointed later) fails too.
    """
    ok = list(members)
    names: Dict[str, tarfile.TarInfo] = {}
    links: Dict[str, str] = {}
    for m in ok:
        name = _member_name(m)
        if m.issym():
            if not m.linkname or m.linkname.startswith("/") or _has_drive(m.linkname):
                raise UnsafeArchiveError(f"archive member {m.name!r} is a symlink to the absolute path "
                                         f"{m.linkname!r}; refusing to extract")
            links[name] = m.linkname
        elif m.islnk():
            target = posixpath.normpath(m.linkname)
            if target.startswith("/") or target == ".." or target.startswith("../") or _has_drive(target):
                raise UnsafeArchiveError(f"archive member {m.name!r} is a hard link to {m.linkname!r}, "
                                         f"outside the destination; refusing to extract")
            if target not in names or not names[target].isfile():
                raise UnsafeArchiveError(f"archive member {m.name!r} is a hard link to {m.linkname!r}, "
                                         f"which is not an earlier file of the archive; refusing")
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(f"archive member {m.name!r} is a device, fifo or other special "
                                     f"file; refusing to extract")
        names[name] = m
    try:  # key each link by where it really lands (a link may sit below a linked directory)
        links = {"/".join(_resolve(n.split("/"), links, follow_last=False)): t for n, t in links.items()}
    except _Escape:
        pass  # reported per member below
    for m in ok:
        name = _member_name(m)
        try:
            real = _resolve(name.split("/"), links, follow_last=False)
        except _Escape as why:
            raise UnsafeArchiveError(f"archive member {m.name!r} would be written outside the "
                                     f"destination ({why}); refusing to extract") from None
        try:
            if m.issym():
                _resolve(real[:-1] + m.linkname.split("/"), links)
            elif m.islnk():
                _resolve(posixpath.normpath(m.linkname).split("/"), links)
        except _Escape as why:
            raise UnsafeArchiveError(f"archive member {m.name!r} links to {m.linkname!r}, which "
                                     f"points outside the destination ({why}); refusing to extract") from None
    return ok


def _has_drive(p: str) -> bool:
    return len(p) >= 2 and p[1] == ":" and p[0].isalpha()


def _member_name(m: tarfile.TarInfo) -> str:
    raw = m.name
    if raw.startswith("/") or _has_drive(raw):
        raise UnsafeArchiveError(f"archive member {raw!r} has an absolute path; refusing to extract")
    if "\\" in raw:
        raise UnsafeArchiveError(f"archive member {raw!r} uses '\\' separators; refusing to extract")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"archive member {raw!r} contains '..'; refusing to extract")
    if not parts:
        return "."
    return "/".join(parts)


def safe_extract(archive: PathLike, dest: PathLike,
                 select: Optional[Callable[[str], bool]] = None) -> ExtractResult:
    """Extract a .tgz/.tar into ``dest``, refusing (before writing anything) unsafe archives.

    ``select(name)`` limits extraction to matching member names (e.g. one sub path).
    """
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(out)
    result = ExtractResult()
    try:
        tf = tarfile.open(archive, "r:*")
    except tarfile.TarError as exc:
        raise StorageError(f"{str(archive)!r} is not a tar archive ({exc})") from None
    with tf:
        members = check_members(tf.getmembers())
        extracted: Dict[str, Path] = {}
        for m in members:
            name = _member_name(m)
            if name == "." or (select is not None and not select(name)):
                continue
            target = out.joinpath(*name.split("/"))
            parent = os.path.realpath(target.parent) if target.parent.exists() else None
            if parent is not None and not _inside(parent, root):
                raise UnsafeArchiveError(f"archive member {m.name!r} would be written outside "
                                         f"{str(out)!r} through a link; refusing")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(os.path.realpath(target.parent), root):
                raise UnsafeArchiveError(f"archive member {m.name!r} would be written outside "
                                         f"{str(out)!r}; refusing")
            if m.isdir():
                if target.is_symlink():
                    raise UnsafeArchiveError(f"archive member {m.name!r} replaces a link with a dir")
                target.mkdir(exist_ok=True)
                os.chmod(target, (m.mode & 0o777) | 0o700)
            elif m.issym():
                _remove(target)
                os.symlink(m.linkname, target)
                real = os.path.realpath(target)
                if not _inside(real, root):
                    os.unlink(target)
                    raise UnsafeArchiveError(f"archive member {m.name!r} links outside {str(out)!r}")
            elif m.islnk():
                src = extracted.get(posixpath.normpath(m.linkname))
                if src is None:
                    raise UnsafeArchiveError(f"archive member {m.name!r} links to a member not extracted")
                _remove(target)
                shutil.copyfile(src, target)
                os.chmod(target, (m.mode & 0o777) | 0o600)
            else:
                _remove(target)
                f = tf.extractfile(m)
                assert f is not None
                with f, open(target, "wb") as w:
                    shutil.copyfileobj(f, w, 1 << 20)
                os.chmod(target, (m.mode & 0o777 & ~(stat.S_ISUID | stat.S_ISGID)) | 0o600)
                os.utime(target, (m.mtime, m.mtime))
            extracted[name] = target
            result.names.append(name)
    # the end state decides: no link may lead outside once every member is in place
    for name, target in extracted.items():
        if target.is_symlink() and not _inside(os.path.realpath(target), root):
            for t in extracted.values():
                if t.is_symlink():
                    t.unlink()
            raise UnsafeArchiveError(f"archive member {name!r} ends up linking outside {str(out)!r}; "
                                     f"refusing (its links were removed)")
    return result


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _remove(target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)


def read_members(archive: PathLike, want: Callable[[str], bool]) -> List[Tuple[str, bytes]]:
    """The bytes of the regular-file members whose (clean) names ``want`` accepts, unextracted."""
    out: List[Tuple[str, bytes]] = []
    with tarfile.open(archive, "r:*") as tf:
        for m in tf:
            if not m.isfile():
                continue
            try:
                name = _member_name(m)
            except UnsafeArchiveError:
                continue
            if want(name):
                f = tf.extractfile(m)
                if f is not None:
                    out.append((name, f.read()))
    return out


def extract_as_artifact(archive: PathLike, dest: PathLike) -> Path:
    """Argo's input rule: extract, and if the archive holds one top entry it becomes ``dest``."""
    target = Path(dest)
    with tempfile.TemporaryDirectory(dir=target.parent if target.parent.exists() else None) as tmp:
        res = safe_extract(archive, tmp)
        tops = res.top_level
        src = Path(tmp) / tops[0] if len(tops) == 1 else Path(tmp)
        if target.exists() or target.is_symlink():
            _remove(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(target))
        if src == Path(tmp):
            Path(tmp).mkdir()  # TemporaryDirectory cleans up its own path
    return target

"""Extraction of archives from other people's pods and buckets, which cannot write outside its
destination, fill the disk or the memory.

An archive is checked as a whole first (``_tarplan``: no absolute names, no ``..``, no links
leaving the destination, no devices, no sparse members, the byte and member limits), while its
decompressed stream is counted against the limits (``_tarread``); only then are files written,
by this module itself: no chown, no setuid bits, parents never crossed through a link that leads
outside. If anything fails midway, what the extraction created is removed again. When part of
the archive becomes the artifact path (Argo's single top directory, a sub path), its links are
checked against that part, since that is where they will be followed from.

Errors: ``StorageError`` (not a tar archive, damaged), ``UnsafeArchiveError`` (refused content),
``ArchiveLimitError`` (a limit of ``dflow_nb.config``; a subclass of ``UnsafeArchiveError``).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple, Union

from dflow_nb.storage._tarplan import (
    Plan,
    artifact_root,
    check_links_beneath,
    make_plan,
    member_name,
    subtree_links_stay_inside,
)
from dflow_nb.storage._tarread import (
    CHUNK,
    ArchiveLimits,
    iter_members,
    list_members,
    open_tar,
    reading,
    size_text,
)
from dflow_nb.storage.base import UnsafeArchiveError

PathLike = Union[str, "os.PathLike[str]"]

MAX_MEMBER_READ = 64 << 20   # read_members: one member held in memory (catalogs are far smaller)


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


def _label(archive: PathLike, label: Optional[str]) -> str:
    return label or f"the archive {str(archive)!r}"


def safe_extract(archive: PathLike, dest: PathLike, select: Optional[Callable[[str], bool]] = None,
                 *, limits: Optional[ArchiveLimits] = None, label: Optional[str] = None) -> ExtractResult:
    """Extract a .tar/.tgz into ``dest``, refusing unsafe or oversized archives.

    ``select(name)`` limits extraction to matching member names (e.g. one sub path); ``label``
    names the archive in errors (e.g. "the artifact 'wf/step/out.tgz'"); ``limits`` default to
    ``ArchiveLimits.from_config()``.
    """
    lim = limits or ArchiveLimits.from_config()
    what = _label(archive, label)
    with open_tar(archive, lim, what) as tf:
        plan = make_plan(list_members(tf, lim, what), lim, what)
        return _write(tf, plan, Path(dest), select, what, ())


def extract_artifact(archive: PathLike, stage: PathLike, sub_path: str = "", *,
                     limits: Optional[ArchiveLimits] = None, label: Optional[str] = None) -> Path:
    """Extract into ``stage`` and return the artifact's root in it (Argo's rule: an archive whose
    entries all sit in one top directory is that directory), narrowed to ``sub_path``.

    Every link under the returned path stays under it, so the caller may move it anywhere.
    The path may be a file, or missing if the archive has no ``sub_path``.
    """
    lim = limits or ArchiveLimits.from_config()
    what = _label(archive, label)
    with open_tar(archive, lim, what) as tf:
        plan = make_plan(list_members(tf, lim, what), lim, what)
        base = artifact_root(plan, [p for p in sub_path.split("/") if p not in ("", ".")], what)
        subtree_links_stay_inside(plan, base, what)
        _write(tf, plan, Path(stage), None, what, base)
    return Path(stage).joinpath(*base)


def extract_as_artifact(archive: PathLike, dest: PathLike, *, limits: Optional[ArchiveLimits] = None,
                        label: Optional[str] = None) -> Path:
    """Argo's input rule: the archive's single top entry (a directory or a file) becomes ``dest``;
    several entries become the contents of the directory ``dest``."""
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".dflow-extract-") as tmp:
        stage = Path(tmp) / "x"
        root = extract_artifact(archive, stage, limits=limits, label=label)
        if root == stage:
            entries = list(stage.iterdir())
            if len(entries) == 1 and entries[0].is_symlink():
                raise UnsafeArchiveError(f"{_label(archive, label)} holds only the link "
                                         f"{entries[0].name!r}; an artifact cannot be a link to "
                                         f"somewhere else; refusing to extract it")
            if len(entries) == 1 and entries[0].is_file():
                root = entries[0]
        if target.exists() or target.is_symlink():
            _remove(target)
        os.replace(root, target)
    return target


def read_members(archive: PathLike, want: Callable[[str], bool], *,
                 max_member_bytes: int = MAX_MEMBER_READ, limits: Optional[ArchiveLimits] = None,
                 label: Optional[str] = None) -> Iterator[Tuple[str, bytes]]:
    """The bytes of the regular-file members whose (clean) names ``want`` accepts, one at a time,
    without extracting; a member larger than ``max_member_bytes`` is refused, not read."""
    lim = limits or ArchiveLimits.from_config()
    what = _label(archive, label)
    with open_tar(archive, lim, what) as tf:
        for m in iter_members(tf, lim, what):
            if not m.isfile() or m.issparse():
                continue
            try:
                name = member_name(m, what)
            except UnsafeArchiveError:
                continue
            if not want(name):
                continue
            if m.size > max_member_bytes:
                raise UnsafeArchiveError(f"{what}: member {name!r} is too large to read into memory "
                                         f"({size_text(m.size)}, at most {size_text(max_member_bytes)}); "
                                         f"refusing")
            with reading(what):
                f = tf.extractfile(m)
                data = b"".join(iter(lambda: f.read(CHUNK), b"")) if f is not None else b""
            yield name, data


# -- writing -----------------------------------------------------------------------------------------

def _write(tf: tarfile.TarFile, plan: Plan, out: Path, select: Optional[Callable[[str], bool]],
           label: str, base: Tuple[str, ...]) -> ExtractResult:
    """Write the planned members under ``out``; undo everything on failure."""
    out.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(out)
    created: List[Path] = []
    result = ExtractResult()
    try:
        for e in plan.entries:
            if e.name == "." or (select is not None and not select(e.name)):
                continue
            target = out.joinpath(*e.real)
            _make_parents(out, root, e.real, e.name, created, label)
            m = e.member
            if m.isdir():
                if target.is_symlink():
                    raise UnsafeArchiveError(f"{label}: member {m.name!r} replaces a link with a "
                                             f"directory; refusing to extract")
                if not target.is_dir():
                    _remove(target)
                    target.mkdir()
                    created.append(target)
                os.chmod(target, (m.mode & 0o777) | 0o700)
            elif m.issym():
                _remove(target)
                os.symlink(m.linkname, target)
                created.append(target)
                if not _inside(os.path.realpath(target), root):
                    raise UnsafeArchiveError(f"{label}: member {m.name!r} links outside {str(out)!r}; "
                                             f"refusing to extract")
            else:
                _remove(target)
                created.append(target)
                if m.islnk():
                    _copy_link_source(out, e.source, target, m.name, label)
                else:
                    _copy_member(tf, m, target, label)
                mode = (m.mode & 0o777 & ~(stat.S_ISUID | stat.S_ISGID)) | 0o600
                os.chmod(target, mode)
                if not m.islnk():
                    with contextlib.suppress(OverflowError, ValueError):  # a time the OS cannot hold
                        os.utime(target, (m.mtime, m.mtime))
            result.names.append(e.name)
        new_links = [p for p in created if p.is_symlink()]
        sub = out.joinpath(*base)
        check_links_beneath(sub, [p for p in new_links if _inside(str(p), str(sub))], label)
        check_links_beneath(out, [p for p in new_links if not _inside(str(p), str(sub))], label)
    except BaseException:
        for p in reversed(created):
            with contextlib.suppress(OSError):
                _remove(p)
        raise
    return result


def _make_parents(out: Path, root: str, real: Tuple[str, ...], name: str, created: List[Path],
                  label: str) -> None:
    p = out
    for part in real[:-1]:
        p = p / part
        if p.is_symlink():
            where = os.path.realpath(p)
            if not _inside(where, root):
                raise UnsafeArchiveError(f"{label}: member {name!r} would be written outside "
                                         f"{str(out)!r} through a link; refusing to extract")
            if not os.path.isdir(where):
                raise UnsafeArchiveError(f"{label}: member {name!r} lies under a link that is not a "
                                         f"directory; refusing to extract")
        elif p.is_dir():
            continue
        elif p.exists():
            raise UnsafeArchiveError(f"{label}: member {name!r} lies under "
                                     f"{p.relative_to(out).as_posix()!r}, which the archive made a "
                                     f"file; refusing to extract")
        else:
            p.mkdir()
            created.append(p)


def _copy_member(tf: tarfile.TarFile, m: tarfile.TarInfo, target: Path, label: str) -> None:
    with reading(label):
        src = tf.extractfile(m)
    if src is None:
        raise UnsafeArchiveError(f"{label}: member {m.name!r} has no data; refusing to extract")
    with src, open(target, "xb") as w:
        while True:
            with reading(label):
                chunk = src.read(CHUNK)
            if not chunk:
                return
            w.write(chunk)


def _copy_link_source(out: Path, source: Tuple[str, ...], target: Path, name: str, label: str) -> None:
    src = out.joinpath(*source)
    if src.is_symlink() or not src.is_file():
        raise UnsafeArchiveError(f"{label}: member {name!r} is a hard link to "
                                 f"{'/'.join(source)!r}, which is not a file at that point; refusing")
    shutil.copyfile(src, target)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _remove(target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)

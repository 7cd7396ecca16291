"""What an untrusted archive would write, checked before anything is written.

Every member name, link target and path through a link is resolved lexically against the
archive's final set of symlinks (so an order trick — a link made harmless first, re-pointed later —
fails too), the way the kernel walks a path beneath a root: at most ``MAX_LINKS`` links per path,
and a work budget for the whole archive so a crafted web of links cannot make the check hang.
The same walk runs over the links on disk once extraction is done (``check_links_beneath``).
"""
from __future__ import annotations

import os
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from dflow_nb.storage._tarread import ArchiveLimits, limit_error, size_text
from dflow_nb.storage.base import UnsafeArchiveError

MAX_LINKS = 40        # links followed in one path walk (Linux's limit)
MAX_PATH = 4095       # bytes in a name, a link target or a resolved path (PATH_MAX - 1)
MAX_COMPONENT = 255   # bytes in one path component (NAME_MAX)
_STEPS_BASE = 1_000_000
_STEPS_PER_MEMBER = 256


class _Escape(Exception):
    """A path leaves the root, loops, or is too costly to follow; the text says which."""


class PathWalker:
    """Resolves a path lexically beneath a root; ``lookup(parts)`` gives a link's target or None."""

    def __init__(self, lookup: Callable[[Tuple[str, ...]], Optional[str]], budget: int) -> None:
        self.lookup = lookup
        self.budget = budget

    def resolve(self, parts: Sequence[str], follow_last: bool = True) -> List[str]:
        out: List[str] = []
        todo = list(reversed(parts))
        follows = 0
        while todo:
            part = todo.pop()
            self.budget -= 1
            if self.budget < 0:
                raise _Escape("its links take too many steps to check")
            if part in ("", "."):
                continue
            if part == "..":
                if not out:
                    raise _Escape("'..' above the destination")
                out.pop()
                continue
            out.append(part)
            if not todo and not follow_last:
                break
            target = self.lookup(tuple(out))
            if target is None:
                continue
            follows += 1
            if follows > MAX_LINKS:
                raise _Escape(f"more than {MAX_LINKS} links on one path (a loop?)")
            if _absolute(target):
                raise _Escape(f"the absolute link {'/'.join(out)!r} -> {target!r}")
            out.pop()
            parts_of_target = target.split("/")
            self.budget -= len(parts_of_target)
            todo.extend(reversed(parts_of_target))
        return out


def _absolute(p: str) -> bool:
    return p.startswith("/") or (len(p) >= 2 and p[1] == ":" and p[0].isalpha())


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8", "surrogateescape"))


def member_name(m: tarfile.TarInfo, label: str) -> str:
    """The member's name, cleaned ('.' for the root); refuses absolute, '..', NUL, overlong names."""
    raw = m.name
    if _absolute(raw):
        raise UnsafeArchiveError(f"{label}: member {raw!r} has an absolute path; refusing to extract")
    if "\\" in raw or "\0" in raw:
        raise UnsafeArchiveError(f"{label}: member {raw!r} has a '\\' or NUL in its name; "
                                 f"refusing to extract")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"{label}: member {raw!r} contains '..'; refusing to extract")
    if _nbytes(raw) > MAX_PATH or any(_nbytes(p) > MAX_COMPONENT for p in parts):
        raise UnsafeArchiveError(f"{label}: member {raw[:80]!r}... has a name longer than the system "
                                 f"allows; refusing to extract")
    return "/".join(parts) if parts else "."


def _check_header(m: tarfile.TarInfo, label: str) -> None:
    if m.issparse():
        raise UnsafeArchiveError(f"{label}: member {m.name!r} is a sparse file (it declares "
                                 f"{size_text(m.size)}); sparse members are refused: re-create the "
                                 f"archive without --sparse")
    if m.issym() or m.islnk():
        t = m.linkname
        if not t or "\0" in t or _nbytes(t) > MAX_PATH or any(_nbytes(p) > MAX_COMPONENT
                                                              for p in t.split("/")):
            raise UnsafeArchiveError(f"{label}: member {m.name!r} is a link with an empty, NUL-holding or "
                                     f"overlong target; refusing to extract")
        if _absolute(t):
            kind = "symlink" if m.issym() else "hard link"
            raise UnsafeArchiveError(f"{label}: member {m.name!r} is a {kind} to the absolute path "
                                     f"{t!r}; refusing to extract")
        if m.islnk():
            norm = posixpath.normpath(t)
            if norm == ".." or norm.startswith("../"):
                raise UnsafeArchiveError(f"{label}: member {m.name!r} is a hard link to {t!r}, "
                                         f"outside the destination; refusing to extract")
    elif not (m.isfile() or m.isdir()):
        raise UnsafeArchiveError(f"{label}: member {m.name!r} is a device, fifo or other special "
                                 f"file; refusing to extract")


@dataclass
class Entry:
    """One member and where it lands: ``real`` is its path through the archive's final links."""

    member: tarfile.TarInfo
    name: str
    real: Tuple[str, ...]
    source: Tuple[str, ...] = ()      # hard links: the file they are a copy of


@dataclass
class Plan:
    entries: List[Entry] = field(default_factory=list)
    links: Dict[Tuple[str, ...], str] = field(default_factory=dict)   # final symlinks, by real path
    kinds: Dict[Tuple[str, ...], str] = field(default_factory=dict)   # final dir|file|link, by real path
    write_bytes: int = 0

    def kind(self, real: Tuple[str, ...]) -> Optional[str]:
        """What the archive leaves at ``real``: dir|file|link, 'dir' for a parent it implies."""
        k = self.kinds.get(real)
        if k is None and any(e.real[:len(real)] == real for e in self.entries if len(e.real) > len(real)):
            return "dir"
        return k


def make_plan(members: Iterable[tarfile.TarInfo], limits: ArchiveLimits, label: str) -> Plan:
    """Check every member (refusing the whole archive on the first problem) and say where it lands."""
    named: List[Tuple[tarfile.TarInfo, str]] = []
    links_by_name: Dict[Tuple[str, ...], str] = {}
    for m in members:
        name = member_name(m, label)
        _check_header(m, label)
        if m.issym():
            links_by_name[tuple(name.split("/"))] = m.linkname
        else:  # a later member at the same name replaces the link
            links_by_name.pop(tuple(name.split("/")), None)
        named.append((m, name))
    first = PathWalker(links_by_name.get, _STEPS_BASE + _STEPS_PER_MEMBER * len(named))
    plan = Plan()
    try:  # key each link by where it really lands (a link may sit below a linked directory)
        plan.links = {tuple(first.resolve(n, follow_last=False)): t for n, t in links_by_name.items()}
    except _Escape:
        plan.links = dict(links_by_name)  # the member that escapes is reported below
    walker = PathWalker(plan.links.get, first.budget)
    parents: Dict[str, List[str]] = {}
    sizes: Dict[Tuple[str, ...], int] = {}
    for m, name in named:
        if name == ".":
            plan.entries.append(Entry(m, name, ()))
            continue
        parent, _, last = name.rpartition("/")
        try:
            if parent not in parents:
                parents[parent] = walker.resolve(parent.split("/")) if parent else []
            real = tuple(parents[parent] + [last])
        except _Escape as why:
            raise UnsafeArchiveError(f"{label}: member {m.name!r} would be written outside the "
                                     f"destination ({why}); refusing to extract") from None
        if sum(map(_nbytes, real)) + len(real) > MAX_PATH:
            raise UnsafeArchiveError(f"{label}: member {m.name!r} resolves through links to a path "
                                     f"longer than the system allows; refusing to extract")
        entry = Entry(m, name, real)
        try:
            if m.issym():
                walker.resolve(real[:-1] + tuple(m.linkname.split("/")))
            elif m.islnk():
                entry.source = tuple(walker.resolve(posixpath.normpath(m.linkname).split("/"),
                                                    follow_last=False))
        except _Escape as why:
            raise UnsafeArchiveError(f"{label}: member {m.name!r} links to {m.linkname!r}, which "
                                     f"points outside the destination ({why}); refusing to extract") from None
        if m.islnk() and plan.kinds.get(entry.source) != "file":
            raise UnsafeArchiveError(f"{label}: member {m.name!r} is a hard link to {m.linkname!r}, "
                                     f"which is not an earlier file of the archive; refusing to extract")
        if m.isfile() or m.islnk():  # a hard link is written as a copy of its file
            sizes[real] = sizes[entry.source] if m.islnk() else m.size
            plan.write_bytes += sizes[real]
            plan.kinds[real] = "file"
        else:
            plan.kinds[real] = "link" if m.issym() else "dir"
        plan.entries.append(entry)
    if limits.max_bytes and plan.write_bytes > limits.max_bytes:
        raise limit_error(label, "archive_max_bytes", limits.max_bytes,
                          f"would write {size_text(plan.write_bytes)} (hard links count as the copies "
                          f"they become)")
    return plan


def artifact_root(plan: Plan, sub: List[str], label: str) -> Tuple[str, ...]:
    """Where the artifact's root is in the archive: its single top directory if all entries sit
    in one (Argo's rule), then ``sub`` below it, followed through the archive's links."""
    tops = {e.real[0] for e in plan.entries if e.real}
    base: Tuple[str, ...] = ()
    if len(tops) == 1 and plan.kind((next(iter(tops)),)) == "dir":
        base = (next(iter(tops)),)
    if not sub:
        return base
    if ".." in sub:
        raise ValueError(f"sub path {'/'.join(sub)!r} must stay inside the artifact")
    try:
        return tuple(PathWalker(plan.links.get, _STEPS_BASE).resolve(base + tuple(sub)))
    except _Escape as why:
        raise UnsafeArchiveError(f"{label}: the sub path {'/'.join(sub)!r} leads outside the "
                                 f"artifact through its links ({why}); refusing to extract") from None


def subtree_links_stay_inside(plan: Plan, base: Tuple[str, ...], label: str) -> None:
    """Refuse if a link under ``base`` leads outside it: ``base`` is about to become the artifact."""
    if not base:
        return
    n = len(base)
    inner = {real[n:]: t for real, t in plan.links.items() if real[:n] == base and len(real) > n}
    walker = PathWalker(inner.get, _STEPS_BASE + _STEPS_PER_MEMBER * len(inner))
    for real, target in inner.items():
        try:
            walker.resolve(real[:-1] + tuple(target.split("/")))
        except _Escape as why:
            raise UnsafeArchiveError(
                f"{label}: the link {'/'.join(base + real)!r} -> {target!r} leads outside "
                f"{'/'.join(base)!r}, which becomes the artifact's path ({why}); "
                f"refusing to extract") from None


def check_links_beneath(root: Path, links: Iterable[Path], label: str) -> None:
    """The end state decides: each link on disk, followed as the kernel would, stays under ``root``."""
    links = [p for p in links if p.is_symlink()]

    def on_disk(parts: Tuple[str, ...]) -> Optional[str]:
        try:
            return os.readlink(root.joinpath(*parts))
        except OSError:  # not a link (or a name that cannot exist): nothing to follow
            return None

    walker = PathWalker(on_disk, _STEPS_BASE + _STEPS_PER_MEMBER * len(links))
    for link in links:
        rel = link.relative_to(root).parts
        try:
            walker.resolve(rel[:-1] + tuple(os.readlink(link).split("/")))
        except _Escape as why:
            raise UnsafeArchiveError(f"{label}: the link {'/'.join(rel)!r} ends up leading outside "
                                     f"{str(root)!r} ({why}); refusing to extract") from None

"""Property tests of the archive extractor (issue 17): whatever the archive, extraction either
succeeds with everything under the destination, or raises a documented error (``StorageError``,
of which ``UnsafeArchiveError`` and ``ArchiveLimitError`` are kinds) and leaves nothing behind —
and it never hangs. Bounded to a few seconds: small examples, a fixed number of them, and an
alarm that turns a hang into a failure.
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dflow_nb import config
from dflow_nb.storage import StorageError, extract_as_artifact, read_members, safe_extract
from dflow_nb.storage.extract import extract_artifact

FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
HANG_SECONDS = 10


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no ``except OSError`` on the way can hide it."""


@contextlib.contextmanager
def _no_hang() -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"extraction still running after {HANG_SECONDS} s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(autouse=True)
def small_limits(monkeypatch):
    """Low limits, so the limit checks are exercised by small examples too."""
    monkeypatch.setitem(config, "archive_max_bytes", 64 << 10)
    monkeypatch.setitem(config, "archive_max_members", 24)
    monkeypatch.setitem(config, "archive_max_ratio", 20)
    monkeypatch.setitem(config, "archive_ratio_min_bytes", 16 << 10)


# -- strategies ----------------------------------------------------------------------------------------

# mostly names that extract, so the interesting cases (links, replacements, hard links, limits)
# are reached; one name in twenty is hostile
PATH = st.lists(st.sampled_from(["a", "b", "top", "l", "sub", "."]), min_size=1, max_size=4).map("/".join)
HOSTILE = st.sampled_from(["/abs", "/", "", "top/", "./top/a", "top/../../e", "x" * 300, "é/\x00",
                           "a\\b", "c:/x"])
NAME = st.one_of(*[PATH] * 19, HOSTILE)
TARGET = st.one_of(NAME, st.sampled_from(["..", "../a", ".", "a/..", "../../x", "top/a", "l/l", "sub/.."]))
KIND = st.sampled_from(["file"] * 6 + ["dir"] * 4 + ["sym"] * 6 + ["lnk"] * 3 + ["fifo"])
PAX = st.dictionaries(  # pax records tarfile reads back: names, sizes, GNU sparse maps, charsets
    st.sampled_from(["comment", "path", "linkpath", "size", "mtime", "uid", "hdrcharset",
                     "GNU.sparse.major", "GNU.sparse.minor", "GNU.sparse.size", "GNU.sparse.realsize",
                     "GNU.sparse.map", "GNU.sparse.name", "GNU.sparse.numblocks", "GNU.sparse.offset",
                     "GNU.sparse.numbytes"]),
    st.sampled_from(["0", "1", "-1", "1e400", "x", "9" * 70, "BINARY", "../../e", "/abs", "top/a",
                     "0,10,20,5", "1,2,3", "10000000000000", "1.5"]),
    max_size=4)
MEMBER = st.tuples(NAME, KIND, TARGET, st.integers(min_value=0, max_value=40_000), PAX)


def _build(members: List[Tuple[str, str, str, int, Dict[str, str]]], compressed: bool) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if compressed else "w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, link, size, pax in members:
            info = tarfile.TarInfo(name)
            info.pax_headers = dict(pax)
            if kind == "file":
                info.size = size  # odd sizes: zeros (they compress well), even: noise
                data = bytes(size) if size % 2 else random.Random(size).randbytes(size)
                tf.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            info.linkname = link if kind in ("sym", "lnk") else ""
            tf.addfile(info)
    return buf.getvalue()


def _base_archive(compressed: bool) -> bytes:
    return _build([("top", "dir", "", 0, {}), ("top/a.txt", "file", "", 300, {}),
                   ("top/l", "sym", "a.txt", 0, {}), ("top/h", "lnk", "top/a.txt", 0, {}),
                   ("top/sub", "dir", "", 0, {}), ("top/sub/b", "file", "", 10, {"comment": "c"})],
                  compressed)


# -- the properties --------------------------------------------------------------------------------------

def _outside_writes(box: Path, allowed: str) -> List[str]:
    return sorted(p.name for p in box.iterdir() if p.name != allowed)


def _links_inside(root: Path) -> None:
    if not root.is_dir() or root.is_symlink():
        return
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                real = os.path.realpath(p)
                assert real == real_root or real.startswith(real_root + os.sep), (p, os.readlink(p))


def _extract_every_way(data: bytes, sub: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        arc = Path(tmp) / "in.tgz"
        arc.write_bytes(data)
        for way in ("safe", "artifact", "root", "members"):
            box = Path(tmp) / f"box-{way}"
            box.mkdir()
            dest = box / "dest"
            try:
                with _no_hang():
                    if way == "safe":
                        safe_extract(arc, dest)
                    elif way == "artifact":
                        extract_as_artifact(arc, dest)
                    elif way == "root":
                        extract_artifact(arc, dest, sub)
                    else:
                        for _, blob in read_members(arc, lambda n: True):
                            assert len(blob) <= 64 << 20
            except StorageError:
                if way == "safe":
                    assert [p for p in dest.rglob("*")] == [], "a refused archive left files behind"
                elif way == "artifact":
                    assert not (dest.exists() or dest.is_symlink())
            assert _outside_writes(box, "dest") == []
            _links_inside(dest)


@FUZZ
@given(members=st.lists(MEMBER, max_size=8), compressed=st.booleans(),
       sub=st.sampled_from(["", "sub", "a", "l/x"]))
def test_crafted_archives_extract_inside_or_fail_cleanly(members, compressed, sub):
    try:
        data = _build(members, compressed)
    except (ValueError, UnicodeError, tarfile.TarError):
        return  # tarfile cannot even write this one
    _extract_every_way(data, sub)


@FUZZ
@given(compressed=st.booleans(),
       edits=st.lists(st.tuples(st.integers(min_value=0, max_value=1 << 16), st.integers(0, 255)),
                      min_size=1, max_size=12),
       cut=st.one_of(st.none(), st.integers(min_value=0, max_value=1 << 16)))
def test_damaged_archives_fail_with_a_documented_error(compressed, edits, cut):
    data = bytearray(_base_archive(compressed))
    for pos, value in edits:
        data[pos % len(data)] = value
    if cut is not None:
        del data[cut % len(data):]
    _extract_every_way(bytes(data), "sub")


TYPEFLAGS = b"0123456LKSxgVMD\0"


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 511), st.integers(0, 255)),
                      min_size=1, max_size=10),
       types=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(list(TYPEFLAGS))), max_size=3))
@example(edits=[(1, 136, 255)], types=[])   # a base-256 mtime beyond time_t (found by this test)
def test_odd_headers_with_valid_checksums_fail_with_a_documented_error(edits, types):
    """Edits inside the headers of a plain tar, checksums fixed so tarfile parses them: odd
    sizes, types (GNU sparse, long names, pax, volume headers), modes, link names."""
    data = bytearray(_base_archive(False))
    heads = [i for i in range(0, len(data) - 511, 512) if data[i + 257:i + 262] == b"ustar"]
    for h, off, value in edits:
        data[heads[h % len(heads)] + off] = value
    for h, flag in types:
        data[heads[h % len(heads)] + 156] = flag
    for i in heads:
        data[i + 148:i + 156] = b" " * 8
        data[i + 148:i + 156] = b"%06o\0 " % sum(data[i:i + 512])
    _extract_every_way(bytes(data), "sub")


@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_fail_with_a_documented_error(data):
    _extract_every_way(data, "")

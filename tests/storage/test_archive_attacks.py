"""Attacks on archive extraction (issue 17, items 3 and 4): bombs that fill the disk or the memory,
and links that escape once the archive's single top directory becomes the artifact path.

Every test here reproduces an attack that worked before the fix; none writes more than a few
MB: the limits are lowered through ``config`` the way a user would.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tarfile
import tracemalloc
import zlib
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from dflow_nb import S3Artifact, config, download_artifact
from dflow_nb.storage import (
    LocalStorageClient,
    UnsafeArchiveError,
    extract_as_artifact,
    read_members,
    safe_extract,
)

MB = 1 << 20


# -- crafting ---------------------------------------------------------------------------------------

def _gzip(raw: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(raw) + c.flush()


def _zeros_tgz(path: Path, name: str, size: int) -> Path:
    """A .tgz whose one member is ``size`` zero bytes, streamed so the test never holds it."""
    with tarfile.open(path, "w:gz", compresslevel=9) as tf:
        info = tarfile.TarInfo(name)
        info.size = size
        tf.addfile(info, _Zeros(size))
    return path


class _Zeros(io.RawIOBase):
    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def _tar(path: Path, members: List[Tuple[str, str, str]]) -> Path:
    """members: (name, kind, payload) with kind file|dir|sym|lnk."""
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE}[kind]
            if kind in ("sym", "lnk"):
                info.linkname = payload
            else:
                info.mode = 0o755
            tf.addfile(info)
    return path


def _num(value: int, width: int) -> bytes:
    """A tar number field: octal when it fits, else GNU base-256."""
    text = b"%0*o" % (width - 1, value)
    if len(text) < width:
        return text + b"\0"
    return b"\x80" + value.to_bytes(width - 1, "big")


def _gnu_sparse_tgz(path: Path, name: str, real_size: int) -> Path:
    """An old-GNU sparse member ('S') that declares ``real_size`` bytes and stores one byte at its end.

    tarfile cannot write sparse members, so the 512-byte header is built by hand.
    """
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = h[116:124] = b"0000000\0"
    h[124:136] = _num(1, 12)                           # stored data: one byte
    h[136:148] = _num(0, 12)
    h[156:157] = b"S"
    h[257:265] = b"ustar  \0"                           # GNU magic + version
    h[386:398] = _num(real_size - 1, 12)               # sparse map: (offset, numbytes)
    h[398:410] = _num(1, 12)
    h[483:495] = _num(real_size, 12)                   # realsize
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    data = bytes(h) + b"x".ljust(512, b"\0") + bytes(1024)
    path.write_bytes(_gzip(data))
    return path


def _pax_bomb_tgz(path: Path, record_bytes: int) -> Path:
    """One tiny file whose pax extended header carries ``record_bytes`` of comment."""
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=9) as tf:
        info = tarfile.TarInfo("top/f.txt")
        info.size = 1
        info.pax_headers = {"comment": "0" * record_bytes}
        tf.addfile(info, io.BytesIO(b"F"))
    return path


def _files_under(root: Path) -> List[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()] if root.exists() else []


def _bytes_under(root: Path) -> int:
    return sum(p.stat().st_size for p in _files_under(root))


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no ``except OSError`` on the way can hide it."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a test failure (the main thread of a pytest worker owns SIGALRM)."""
    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s: the extractor hangs")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- item 3: bombs ------------------------------------------------------------------------------------

def test_gzip_bomb_stops_at_the_byte_limit_and_leaves_nothing(tmp_path, monkeypatch):
    """50 MB of zeros in a ~50 KB .tgz, against a 10 MB limit: refused, nothing left on disk."""
    monkeypatch.setitem(config, "archive_max_bytes", 10 * MB)
    tgz = _zeros_tgz(tmp_path / "bomb.tgz", "top/zeros.bin", 50 * MB)
    assert tgz.stat().st_size < 200_000
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match="archive_max_bytes") as err:
        safe_extract(tgz, dest)
    assert "bomb.tgz" in str(err.value)                     # names what was being extracted
    assert _bytes_under(tmp_path / "dest") <= 10 * MB + MB   # stopped at the limit ...
    assert _files_under(dest) == []                          # ... and took back what it wrote


def test_bomb_in_a_downloaded_artifact_names_the_artifact_key(tmp_path, monkeypatch):
    monkeypatch.setitem(config, "archive_max_bytes", 10 * MB)
    store = LocalStorageClient(str(tmp_path / "store"))
    key = "wf-1/wf-1-step-2/result.tgz"
    store.upload(key, str(_zeros_tgz(tmp_path / "b.tgz", "result/zeros.bin", 50 * MB)))
    dest = tmp_path / "dl"
    with pytest.raises(UnsafeArchiveError, match="archive_max_bytes") as err:
        download_artifact(S3Artifact(key=key, debug_s3=True), path=dest, storage_client=store)
    assert key in str(err.value)
    assert _bytes_under(dest) == 0 and list(dest.iterdir()) == []


def test_a_trusted_archive_extracts_once_the_limit_is_raised_as_the_error_says(tmp_path, monkeypatch):
    monkeypatch.setitem(config, "archive_max_bytes", 10 * MB)
    tgz = _zeros_tgz(tmp_path / "big.tgz", "top/zeros.bin", 12 * MB)
    with pytest.raises(UnsafeArchiveError, match=r"dflow_nb.config\['archive_max_bytes'\] = "):
        safe_extract(tgz, tmp_path / "dest")
    monkeypatch.setitem(config, "archive_max_bytes", 0)     # "0 turns the limit off"
    safe_extract(tgz, tmp_path / "dest")
    assert (tmp_path / "dest" / "top" / "zeros.bin").stat().st_size == 12 * MB


def test_compression_ratio_limit(tmp_path, monkeypatch):
    """20 MB of zeros (ratio ~1000) against archive_max_ratio 100, applied above 4 MB."""
    monkeypatch.setitem(config, "archive_max_ratio", 100)
    monkeypatch.setitem(config, "archive_ratio_min_bytes", 4 * MB)
    tgz = _zeros_tgz(tmp_path / "r.tgz", "top/zeros.bin", 20 * MB)
    with pytest.raises(UnsafeArchiveError, match="archive_max_ratio"):
        safe_extract(tgz, tmp_path / "dest")
    assert _files_under(tmp_path / "dest") == []


def test_member_count_limit(tmp_path, monkeypatch):
    monkeypatch.setitem(config, "archive_max_members", 100)
    tgz = _tar(tmp_path / "many.tgz", [(f"top/{i}", "file", "") for i in range(1000)])
    with pytest.raises(UnsafeArchiveError, match="archive_max_members"):
        safe_extract(tgz, tmp_path / "dest")
    assert _files_under(tmp_path / "dest") == []


def test_gnu_sparse_member_declaring_50_gb_is_refused(tmp_path):
    """152 bytes of .tgz that would write 50 GB of zeros (default limits)."""
    tgz = _gnu_sparse_tgz(tmp_path / "sparse.tgz", "top/huge.bin", 50 * (1 << 30))
    assert tgz.stat().st_size < 200
    with tarfile.open(tgz) as tf:                       # the crafted header is what tarfile sees
        m = tf.getmember("top/huge.bin")
        assert m.issparse() and m.size == 50 * (1 << 30)
    with pytest.raises(UnsafeArchiveError, match="sparse"):
        safe_extract(tgz, tmp_path / "dest")
    assert _bytes_under(tmp_path / "dest") == 0


def test_hard_links_cannot_multiply_one_file_past_the_limit(tmp_path, monkeypatch):
    """One 1 MB file and 50 hard links to it: each link is written as a copy, 51 MB in all."""
    monkeypatch.setitem(config, "archive_max_bytes", 10 * MB)
    members = [("top", "dir", ""), ("top/f", "file", "x" * MB)]
    members += [(f"top/h{i}", "lnk", "top/f") for i in range(50)]
    tgz = _tar(tmp_path / "links.tgz", members)
    with pytest.raises(UnsafeArchiveError, match="archive_max_bytes"):
        safe_extract(tgz, tmp_path / "dest")
    assert _files_under(tmp_path / "dest") == []


def test_a_huge_pax_header_is_not_read_into_memory(tmp_path):
    """A 64 MB pax record (~64 KB compressed) is refused without holding it (default limits)."""
    tgz = _pax_bomb_tgz(tmp_path / "pax.tgz", 64 * MB)
    assert tgz.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeArchiveError, match="header"):
            safe_extract(tgz, tmp_path / "dest")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, f"peak memory {peak / MB:.0f} MB"


def test_a_pax_header_full_of_digits_cannot_stall_the_parser(tmp_path):
    """CPython 3.11.7's tarfile searches each pax header with ``\\d+ hdrcharset=``, quadratic in
    a run of digits: 256 KB of digits (under the 1 MB header limit) took minutes."""
    tgz = _pax_bomb_tgz(tmp_path / "digits.tgz", 256 << 10)
    with _deadline(20):
        with pytest.raises(UnsafeArchiveError, match="digits"):
            safe_extract(tgz, tmp_path / "dest")
    assert _files_under(tmp_path / "dest") == []


def test_read_members_does_not_hold_a_huge_member(tmp_path):
    """A 'catalog' of 80 MB of zeros: read_members refuses it instead of returning 80 MB."""
    tgz = _zeros_tgz(tmp_path / "cat.tgz", "top/.dflow/x.json", 80 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeArchiveError, match="too large"):
            list(read_members(tgz, lambda n: "/.dflow/" in n))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, f"peak memory {peak / MB:.0f} MB"


def test_symlink_chain_that_doubles_at_each_step_does_not_hang(tmp_path):
    """l0 -> l1/../l1, l1 -> l2/../l2, ...: 2**30 steps when followed naively; the kernel
    stops at 40 links, and so must the extractor's own check."""
    n = 30
    members = [(f"l{i}", "sym", f"l{i + 1}/../l{i + 1}") for i in range(n)] + [(f"l{n}", "dir", "")]
    tgz = _tar(tmp_path / "chain.tgz", members)
    with _deadline(20):
        with pytest.raises(UnsafeArchiveError, match="links"):
            safe_extract(tgz, tmp_path / "dest")


# -- item 4: links re-anchored by the single-top-entry move --------------------------------------------

REANCHORED = {
    "link-to-the-tops-parent": [("top", "dir", ""), ("top/f", "file", "F"), ("top/l", "sym", "..")],
    "two-up-from-a-subdir": [("top", "dir", ""), ("top/d", "dir", ""), ("top/d/l", "sym", "../../x")],
    "out-and-back-in-by-the-tops-name": [("top", "dir", ""), ("top/f", "file", "F"),
                                          ("top/l", "sym", "../top/f")],
    "a-lone-link-as-the-only-entry": [("l", "sym", "sibling")],
}


@pytest.mark.parametrize("case", sorted(REANCHORED))
def test_extract_as_artifact_checks_links_against_the_final_path(tmp_path, case):
    tgz = _tar(tmp_path / "a.tgz", REANCHORED[case])
    box = tmp_path / "box"
    box.mkdir()
    dest = box / "inputs" / "artifacts" / "in"
    with pytest.raises(UnsafeArchiveError, match="refus"):
        extract_as_artifact(tgz, dest)
    assert not dest.exists() and not dest.is_symlink()
    assert sorted(p.name for p in (box / "inputs" / "artifacts").iterdir()) == []


def test_reanchored_link_was_a_real_escape(tmp_path):
    """What the checks stop: with the old move, a write through ``in/l`` landed beside ``in``."""
    tgz = _tar(tmp_path / "a.tgz", REANCHORED["link-to-the-tops-parent"])
    dest = tmp_path / "artifacts" / "in"
    try:
        extract_as_artifact(tgz, dest)
    except UnsafeArchiveError:
        return
    (dest / "l" / "planted").write_text("x")
    assert not (tmp_path / "artifacts" / "planted").exists(), "wrote outside the artifact"


@pytest.mark.parametrize("case", sorted(k for k in REANCHORED if not k.startswith("a-lone")))
def test_download_artifact_checks_links_against_the_destination(tmp_path, case):
    store = LocalStorageClient(str(tmp_path / "store"))
    store.upload("art/a.tgz", str(_tar(tmp_path / "a.tgz", REANCHORED[case])))
    dest = tmp_path / "box" / "dl"
    with pytest.raises(UnsafeArchiveError, match="refus"):
        download_artifact(S3Artifact(key="art/a.tgz", debug_s3=True), path=dest, storage_client=store)
    assert [p.name for p in dest.iterdir()] == []


def test_download_of_a_sub_path_checks_links_against_the_destination(tmp_path):
    """``top/sub/l -> ../x`` stays inside the archive, but ``sub`` becomes the destination."""
    store = LocalStorageClient(str(tmp_path / "store"))
    members = [("top", "dir", ""), ("top/sub", "dir", ""), ("top/x", "file", "X"),
               ("top/sub/l", "sym", "../x")]
    store.upload("art/a.tgz", str(_tar(tmp_path / "a.tgz", members)))
    dest = tmp_path / "box" / "dl"
    art = S3Artifact(key="art/a.tgz", debug_s3=True)
    with pytest.raises(UnsafeArchiveError, match="refus"):
        download_artifact(art, path=dest, storage_client=store, sub_path="sub")
    assert [p.name for p in dest.iterdir()] == []


@pytest.mark.parametrize("bad", ["<absolute>", "../outside.txt", "a/../../top/a/f"])
def test_catalog_paths_cannot_leave_the_artifact(tmp_path, bad):
    """A catalog item names the file a slice picks: ``/abs`` or ``..`` must not reach outside
    (before the fix an absolute path made the download delete that file)."""
    box = tmp_path / "box"
    box.mkdir()
    sentinel = box / "outside.txt"
    sentinel.write_text("keep")
    if bad == "<absolute>":
        bad = str(sentinel)
    store = LocalStorageClient(str(tmp_path / "store"))
    catalog = json.dumps({"items": [{"path": bad, "order": [0]}]})
    members = [("top", "dir", ""), ("top/a", "dir", ""), ("top/a/f", "file", "F"),
               ("top/.dflow", "dir", ""), ("top/.dflow/c.json", "file", catalog)]
    store.upload("art/a.tgz", str(_tar(tmp_path / "a.tgz", members)))
    dest = box / "dl"
    with pytest.raises(UnsafeArchiveError, match="catalog"):
        download_artifact(S3Artifact(key="art/a.tgz", debug_s3=True), path=dest,
                          storage_client=store, slice=0)
    assert sentinel.read_text() == "keep"
    assert sorted(os.listdir(box)) == ["dl", "outside.txt"]

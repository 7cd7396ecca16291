"""Reading an untrusted tar archive with bounded work and memory.

The archive's decompressed stream is counted as tarfile reads and seeks through it, and refused
as soon as it expands past the limits (``config["archive_max_bytes"]``, ``archive_max_ratio``
above ``archive_ratio_min_bytes``), before anything is written. tarfile reads a pax or GNU
long-name header whole into memory, so a single read larger than ``MAX_HEADER`` is refused; it
also searches each pax header with ``[0-9]+ hdrcharset=``, which takes time quadratic in a run of
digits (CPython before 3.11.10 / 3.12.6), so pax headers are refused if they hold a run of more
than ``MAX_DIGITS`` digits or, together, more than ``MAX_PAX_TOTAL`` bytes.
Everything tarfile and the decompressors raise on damaged input becomes a ``StorageError``.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import re
import tarfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator, List, Protocol, Union

from dflow_nb.config import config
from dflow_nb.storage.base import ArchiveLimitError, StorageError, UnsafeArchiveError

PathLike = Union[str, "os.PathLike[str]"]

MiB = 1 << 20
CHUNK = MiB          # member data is copied in pieces of this size
MAX_HEADER = MiB     # one pax / GNU long-name header; tarfile holds it in memory
MAX_PAX_TOTAL = 64 * MiB   # all pax headers of one archive (GNU tar's posix format: ~150 B/file)
MAX_DIGITS = 64      # longest run of digits in a pax header (real ones: 20, a 64-bit number)
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_BLOCK = tarfile.BLOCKSIZE


@dataclass(frozen=True)
class ArchiveLimits:
    """How far one archive may expand; 0 turns a limit off. ``from_config()`` reads the
    ``archive_*`` keys of ``dflow_nb.config``, which is what users set."""

    max_bytes: int
    max_members: int
    max_ratio: int
    ratio_min_bytes: int

    @classmethod
    def from_config(cls) -> "ArchiveLimits":
        return cls(max_bytes=int(config["archive_max_bytes"] or 0),
                   max_members=int(config["archive_max_members"] or 0),
                   max_ratio=int(config["archive_max_ratio"] or 0),
                   ratio_min_bytes=int(config["archive_ratio_min_bytes"] or 0))


def limit_error(label: str, key: str, limit: int, what: str) -> ArchiveLimitError:
    """The refusal for a limit, saying which setting it was and how to raise it."""
    return ArchiveLimitError(
        f"{label} {what} (config[{key!r}] = {limit}); refusing to extract it. If the archive "
        f"is trusted, raise the limit: dflow_nb.config[{key!r}] = ... or the environment variable "
        f"DFLOW_{key.upper()} (0 turns the limit off)")


def size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


class _Stream(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...
    def seek(self, pos: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...


class _Counted:
    """The decompressed tar stream as tarfile sees it; refuses to go past the limits."""

    def __init__(self, stream: _Stream, packed: int, limits: ArchiveLimits, label: str) -> None:
        self._f = stream
        self._packed = max(packed, 1)
        self._limits = limits
        self._label = label
        self._high = 0
        self.headers = True     # tarfile is parsing headers (set by iter_members)
        self._pax_next = False  # the next header read is a pax header's data
        self._pax_bytes = 0

    def _reach(self, pos: int) -> None:
        if pos <= self._high:
            return
        self._high = pos
        lim = self._limits
        if lim.max_bytes and pos > lim.max_bytes:
            raise limit_error(self._label, "archive_max_bytes", lim.max_bytes,
                              f"expands to more than {size_text(lim.max_bytes)}")
        if lim.max_ratio and pos > lim.ratio_min_bytes and pos > lim.max_ratio * self._packed:
            raise limit_error(self._label, "archive_max_ratio", lim.max_ratio,
                              f"expands past {size_text(lim.ratio_min_bytes)} (archive_ratio_min_bytes) "
                              f"to more than {lim.max_ratio} times its compressed size of "
                              f"{size_text(self._packed)}")

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > max(CHUNK, MAX_HEADER):
            raise ArchiveLimitError(f"{self._label} has a header block of {n} bytes (pax or GNU "
                                    f"long-name data; at most {size_text(MAX_HEADER)} is read into "
                                    f"memory); refusing to extract it")
        self._reach(self._f.tell() + n)
        data = self._f.read(n)
        if self.headers:
            self._check_pax(data)
        return data

    def _check_pax(self, data: bytes) -> None:
        """Refuse the pax data tarfile would take too long to parse; tarfile reads a header
        block, then (for a pax header) that header's data in one read."""
        if not self._pax_next:
            self._pax_next = len(data) == _BLOCK and data[156:157] in _PAX_TYPES
            return
        self._pax_next = False
        self._pax_bytes += len(data)
        if self._pax_bytes > MAX_PAX_TOTAL:
            raise ArchiveLimitError(f"{self._label} has more than {size_text(MAX_PAX_TOTAL)} of pax "
                                    f"headers; refusing to extract it")
        if _LONG_NUMBER.search(data):
            raise UnsafeArchiveError(f"{self._label} has a pax header holding more than {MAX_DIGITS} "
                                     f"digits in a row (Python's tarfile would take minutes to parse "
                                     f"it); refusing to extract it")

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            pos += self._f.tell()
        elif whence != os.SEEK_SET:
            raise OSError("a compressed archive cannot seek from its end")
        self._reach(pos)
        return self._f.seek(pos)

    def tell(self) -> int:
        return self._f.tell()


def _decompressed(raw: BinaryIO) -> _Stream:
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


@contextlib.contextmanager
def reading(label: str) -> Iterator[None]:
    """Damaged or non-tar input, whatever tarfile or a decompressor raises for it, in user terms."""
    try:
        yield
    except StorageError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise StorageError(f"{label} is not a tar archive, or is damaged "
                           f"({exc or type(exc).__name__}); refusing to extract it") from None


@contextlib.contextmanager
def open_tar(archive: PathLike, limits: ArchiveLimits, label: str) -> Iterator[tarfile.TarFile]:
    """A TarFile over ``archive`` (.tar, .tgz, .tbz2, .txz) whose reads count against ``limits``."""
    with open(archive, "rb") as raw:
        packed = os.fstat(raw.fileno()).st_size
        with reading(label):
            stream = _decompressed(raw)
        try:
            with reading(label):
                tf = tarfile.TarFile(fileobj=_Counted(stream, packed, limits, label),  # type: ignore[arg-type]
                                     mode="r")
            yield tf
        finally:
            if stream is not raw:
                stream.close()


def iter_members(tf: tarfile.TarFile, limits: ArchiveLimits, label: str) -> Iterator[tarfile.TarInfo]:
    """The archive's headers in order, at most ``archive_max_members`` of them."""
    counted = tf.fileobj
    assert isinstance(counted, _Counted), "open the archive with open_tar"
    it = iter(tf)
    count = 0
    while True:
        counted.headers = True
        with reading(label):
            m = next(it, None)
        counted.headers = False
        if m is None:
            return
        count += 1
        if limits.max_members and count > limits.max_members:
            raise limit_error(label, "archive_max_members", limits.max_members,
                              f"has more than {limits.max_members} entries")
        yield m


def list_members(tf: tarfile.TarFile, limits: ArchiveLimits, label: str) -> List[tarfile.TarInfo]:
    return list(iter_members(tf, limits, label))

"""Files of a step, written with as few system calls as possible: each one is a metadata
operation on a journaled file system, and a fan-out makes several per slice."""
from __future__ import annotations

import os


def write_text(path: str, text: str) -> None:
    """Create (or truncate) ``path`` holding ``text`` as UTF-8: open, write, close, with none of
    the buffered file object's stat, seek and terminal checks."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        data = memoryview(text.encode())
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def make_dir(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)`` in one call when the parent exists (the usual
    case), not a stat of every level first."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise

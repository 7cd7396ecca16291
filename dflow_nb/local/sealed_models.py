"""A run's stored model is a pickle, and loading a pickle runs code. So the engine seals each
model it stores with a key only this account can read, and loads only models carrying that
seal: a state database copied in from elsewhere (a downloaded project, a shared folder, a
notebook's companion files) still lists its runs and steps, but resuming, retrying or
resubmitting one of them cannot run code its author planted.

The key is 32 random bytes in ``$XDG_DATA_HOME/dflow_nb/model.key`` (``~/.local/share`` by
default; ``DFLOW_NB_MODEL_KEY_FILE`` names another file), created on first use with mode 0600.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Dict, Optional, Tuple

from dflow_nb.errors import DflowNbError

__all__ = ["UnsealedModel", "key_file", "seal", "unseal"]

_MAGIC = b"dflow-nb sealed model v1\n"
_MAC = hashlib.sha256().digest_size


class UnsealedModel(DflowNbError):
    """A stored model this account did not seal: it is not loaded."""


def key_file() -> Path:
    named = os.environ.get("DFLOW_NB_MODEL_KEY_FILE")
    return _key_file(named, os.environ.get("XDG_DATA_HOME"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _key_file(named: Optional[str], data_home: Optional[str], home: Optional[str]) -> Path:
    """The key's path for these settings (worked out once: every run seals its model)."""
    if named:
        return Path(named)
    data = data_home or str(Path.home() / ".local" / "share")
    return Path(data) / "dflow_nb" / "model.key"


_read: Dict[Path, Tuple[Tuple[int, int], bytes]] = {}   # key file -> (inode, mtime), key


def _key() -> bytes:
    """This account's key: read once per process, again if the file is replaced."""
    path = key_file()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        _create(path)
        st = os.stat(path)
    stamp = (st.st_ino, st.st_mtime_ns)
    known = _read.get(path)
    if known is None or known[0] != stamp:
        known = _read[path] = (stamp, path.read_bytes())
    return known[1]


def _create(path: Path) -> None:
    """A new random key, mode 0600; two processes starting together agree on one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)    # atomic: the first link wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def seal(blob: bytes) -> bytes:
    """The pickled model with this account's seal in front."""
    return _MAGIC + hmac.new(_key(), blob, hashlib.sha256).digest() + blob


def unseal(blob: bytes, wf_id: str) -> bytes:
    """The pickle inside ``blob`` if this account sealed it; otherwise say why it stays shut."""
    body = blob[len(_MAGIC) + _MAC:]
    mac = blob[len(_MAGIC):len(_MAGIC) + _MAC]
    if blob.startswith(_MAGIC) and hmac.compare_digest(
            mac, hmac.new(_key(), body, hashlib.sha256).digest()):
        return body
    raise UnsealedModel(
        f"the stored model of {wf_id} was not recorded by this account (it lacks the seal of "
        f"{key_file()}), so it is not loaded: a model is a pickle, and loading one runs its "
        f"code. Its steps and outputs can still be read; to run it again, build the workflow "
        f"in your notebook and submit it with reuse_step=Workflow(id={wf_id!r}).query_step() "
        f"to keep what succeeded")

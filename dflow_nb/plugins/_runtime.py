"""What the ``*_run`` modules share where a rendered step runs: its parameters and slice, file
moves that survive containers and remote machines, and failure reports the backends pick up.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from dflow_nb.plugins._render import ARGO_SLICE_ENV, argo_slice


def log(message: str) -> None:
    """A line of the step's log (stderr: stdout is the step's result)."""
    print(f"[dflow-nb] {message}", file=sys.stderr, flush=True)


def report(message: str) -> None:
    """A failure message for the step: in its log and its termination log (the step's message
    on both backends)."""
    log(message)
    target = os.environ.get("DFLOW_NB_TERMINATION_LOG")
    if target is None and os.path.isdir("/dev") and os.access("/dev/termination-log", os.W_OK):
        target = "/dev/termination-log"
    if target:
        try:
            Path(target).write_text(message[:4096])
        except OSError:
            pass


def param_values(names: List[str]) -> Dict[str, str]:
    """The step's input parameter values (passed as DFLOW_NB_P<i> environment variables)."""
    return {n: os.environ.get(f"DFLOW_NB_P{i}", "") for i, n in enumerate(names)}


def slice_from_env() -> Optional[Dict[str, Any]]:
    """This step's one slice (SliceSpec fields): the local engine's DFLOW_NB_SLICE, else on
    Argo the compiler's ``dflow_slice`` argument (still a ``{{...}}`` tag when there is none)."""
    one = os.environ.get("DFLOW_NB_SLICE")
    if one:
        return json.loads(one)
    argo = os.environ.get(ARGO_SLICE_ENV, "")
    return argo_slice(argo) if argo and "{{" not in argo else None


def link_or_copy(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` cheaply (hard links), following symlinks: a container or a
    remote machine cannot follow a link into this machine's file system."""
    dst.parent.mkdir(parents=True, exist_ok=True)

    def one(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True, copy_function=one)
    else:
        one(str(src), str(dst))


def move_into(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``, replacing whatever is there."""
    if dst.exists() or dst.is_symlink():
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        else:
            dst.unlink()
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))

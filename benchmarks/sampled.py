"""Run a benchmark child in a fresh process tree and sample its memory (bench-only: psutil)."""
from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping

SAMPLE_S = 0.02


def tree_rss(root: Any) -> int:
    """Summed RSS (bytes) of ``root`` (a psutil.Process) and its live descendants."""
    import psutil
    total = 0
    with contextlib.suppress(psutil.Error):
        for p in [root] + root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
    return total


def run_sampled(cmd: List[str], out: Path, *, cwd: str, env: Mapping[str, str],
                timeout: float) -> Dict[str, Any]:
    """Run ``cmd``, which writes a JSON object to ``out``; return it with ``peak_rss`` (the
    maximum summed RSS of the process tree, sampled every 20 ms), or ``{"timeout": s}`` (the
    tree is killed) or ``{"error": its stderr's end}``."""
    import psutil
    proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak, began = 0, time.monotonic()
    while proc.poll() is None:
        if time.monotonic() - began > timeout:
            with contextlib.suppress(psutil.Error):
                for p in root.children(recursive=True) + [root]:
                    with contextlib.suppress(psutil.Error):
                        p.kill()
            proc.wait()
            return {"timeout": timeout}
        peak = max(peak, tree_rss(root))
        time.sleep(SAMPLE_S)
    assert proc.stderr is not None
    if proc.returncode != 0 or not out.exists():
        return {"error": proc.stderr.read().decode(errors="replace")[-600:]}
    result = json.loads(out.read_text())
    result["peak_rss"] = peak
    return result

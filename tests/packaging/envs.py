"""Clean checkouts, fresh virtualenvs and Jupyter's own extension listings, for the packaging
tests and for the JupyterLab the browser tests drive (a wheel install, not the source tree)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = "dflow-nb"
SERVER_EXTENSION = "dflow_nb.jupyter"
WIDGETS_LABEXTENSION = "@jupyter-widgets/jupyterlab-manager"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(cmd: Sequence[str], *, cwd: Optional[Path] = None, env: Optional[Mapping[str, str]] = None,
        timeout: float = 600) -> str:
    """Run a command; its output then its error output (one after the other, never interleaved:
    Jupyter's listings go to either), or an AssertionError that shows their ends."""
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=None if env is None else dict(env),
                         capture_output=True, text=True, timeout=timeout)
    out = _ANSI.sub("", res.stdout + "\n" + res.stderr)
    if res.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {res.returncode} in {cwd}:\n"
                             f"{out[-6000:]}")
    return out


def clean_clone(dest: Path, repo: Path = REPO) -> Path:
    """``git clone`` of the checkout plus its uncommitted changes and its new files that git does
    not ignore (what ``git add -A && git commit`` would hold; in CI, a plain clone): nothing that
    a build left in the work tree (node_modules, the built extension, egg-info) comes along."""
    run(["git", "clone", "--quiet", str(repo), str(dest)], timeout=120)
    changed = (run(["git", "diff", "--name-only", "--no-renames", "-z", "HEAD"], cwd=repo, timeout=60)
               + "\0" + run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=repo,
                            timeout=60))
    for rel in sorted({r.strip() for r in changed.split("\0")} - {""}):
        src, dst = repo / rel, dest / rel
        if src.is_file() or src.is_symlink():
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.is_symlink() or dst.exists():
                dst.unlink()
            shutil.copy2(src, dst, follow_symlinks=False)
        elif dst.is_file() or dst.is_symlink():
            dst.unlink()
    return dest


def new_venv(path: Path) -> Path:
    """A fresh virtualenv (no system site-packages) from this interpreter's base Python."""
    run([sys.executable, "-m", "venv", str(path)], timeout=300)
    return path


def pip_install(venv: Path, *args: str, cwd: Optional[Path] = None,
                env_extra: Optional[Mapping[str, str]] = None, timeout: float = 900) -> str:
    """``pip install ARGS`` with the venv's own pip (build isolation as a user gets it)."""
    return run([venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check",
                *args], cwd=cwd, env={**os.environ, **(env_extra or {})}, timeout=timeout)


def jupyter_env(venv: Path, home: Path) -> Dict[str, str]:
    """The environment of a Jupyter command from ``venv`` that sees only that venv's config and
    data (not the user's or this test run's): empty config, data and runtime directories."""
    for sub in ("config", "data", "runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_PLATFORM_DIRS": "1",
                "PATH": os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])})
    env.pop("PYTHONPATH", None)
    return env


def labextensions(venv: Path, home: Path) -> Dict[str, str]:
    """``jupyter labextension list`` run in ``venv``: each extension installed in the venv's own
    ``share/jupyter/labextensions``, with the rest of its line (version, enabled, OK, source)."""
    out = run([venv / "bin" / "jupyter", "labextension", "list"], env=jupyter_env(venv, home),
              timeout=120)
    return _section(out, str(venv / "share" / "jupyter" / "labextensions"), r"\s+(\S+)\s+(.*)$")


def server_extensions(venv: Path, home: Path) -> Dict[str, str]:
    """``jupyter server extension list`` run in ``venv``: each server extension the venv's own
    ``etc/jupyter`` enables, with its status and the result of its validation."""
    out = run([venv / "bin" / "jupyter", "server", "extension", "list"],
              env=jupyter_env(venv, home), timeout=120)
    found: Dict[str, str] = {}
    for name, status in _section(out, f"Config dir: {venv / 'etc' / 'jupyter'}",
                                 r"\s+(\S+)\s+(enabled|disabled)$").items():
        ok = re.search(rf"^\s+{re.escape(name)}\s.*\b(OK|X)\s*$", out, re.M)
        found[name] = f"{status} {ok.group(1) if ok else 'not validated'}"
    return found


def _section(out: str, header: str, item: str) -> Dict[str, str]:
    """The items listed under ``header`` in a Jupyter listing, up to the next header."""
    lines: List[str] = out.splitlines()
    found: Dict[str, str] = {}
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == header.strip())
    except StopIteration:
        raise AssertionError(f"no section {header!r} in:\n{out}") from None
    for line in lines[start + 1:]:
        if line and not line[0].isspace():
            break
        m = re.match(item, line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found

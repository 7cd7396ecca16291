"""A real one-node Slurm cluster, shared by the test session's workers.

The first pytest-xdist worker to need it starts munge, slurmctld and slurmd (through
scripts/services/slurm.sh) under the session's shared temp directory; the others find it
running. A file lock serialises start and stop; a user count lets the last worker stop the
daemons, by their PIDs. Tests skip (saying why) when Slurm is not installed.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # executor_helpers, shared with executors/

REPO = Path(__file__).resolve().parents[2]
SLURM_SH = REPO / "scripts" / "services" / "slurm.sh"


@contextmanager
def locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def shared_dir(tmp_path_factory, name: str) -> Path:
    """A directory all xdist workers of this session see (the parent of their basetemps)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """SLURM_CONF of a running one-node cluster on 127.0.0.1."""
    missing = [c for c in ("slurmctld", "slurmd", "sbatch", "munged") if shutil.which(c) is None]
    if missing:
        pytest.skip(f"Slurm is not installed ({', '.join(missing)} missing): "
                    "run scripts/setup/40-slurm.sh")
    d = shared_dir(tmp_path_factory, "slurm")
    lock, users = d.parent / "slurm.lock", d.parent / "slurm.users"
    with locked(lock):
        running = all(_alive(d / f"{n}.pid") for n in ("munged", "slurmctld", "slurmd"))
        if not running:
            env = dict(os.environ, SLURMCTLD_PORT=str(free_port()), SLURMD_PORT=str(free_port()))
            done = subprocess.run(["bash", str(SLURM_SH), "start", str(d)], env=env,
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                pytest.fail(f"could not start Slurm: {done.stderr[-2000:]}")
        count = json.loads(users.read_text()) if users.exists() else 0
        users.write_text(json.dumps(count + 1))
    yield str(d / "slurm.conf")
    with locked(lock):
        count = json.loads(users.read_text()) - 1
        users.write_text(json.dumps(count))
        if count <= 0:
            subprocess.run(["bash", str(SLURM_SH), "stop", str(d)], capture_output=True,
                           timeout=60)


@pytest.fixture
def slurm(slurm_cluster, monkeypatch, tmp_path):
    """Per test: the cluster in the environment, and DPDispatcher's ~/.dpdispatcher in tmp."""
    monkeypatch.setenv("SLURM_CONF", slurm_cluster)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return slurm_cluster

"""Real services for the executor tests, shared by the test session's workers.

Slurm: the first pytest-xdist worker to need it starts munge, slurmctld and slurmd (through
scripts/services/slurm.sh) under the session's shared temp directory; the others find it
running. A file lock serialises start and stop; a user count lets the last worker stop the
daemons, by their PIDs.

Podman: scripts/services/podman.sh writes a containers.conf (runc, no network, ulimits this
machine allows) and a storage.conf whose image store lives in the temp directory, then builds
the image from a static busybox rootfs with ``podman import``: no registry is involved. The
first worker builds it under a file lock; the others reuse it.

Tests skip (saying why) when a service is not installed. The OPs and templates the tests share
live in ``tests.plugins.executor_helpers``.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLURM_SH = REPO / "scripts" / "services" / "slurm.sh"
PODMAN_SH = REPO / "scripts" / "services" / "podman.sh"
IMAGE = "localhost/dflow-nb-test-busybox:1"


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


@pytest.fixture(scope="session")
def podman_env(tmp_path_factory):
    """The environment that points podman at the session's confined configuration."""
    missing = [c for c in ("podman", "runc", "busybox") if shutil.which(c) is None]
    if missing:
        pytest.skip(f"podman is not installed ({', '.join(missing)} missing): "
                    "run scripts/setup/41-podman.sh")
    d = shared_dir(tmp_path_factory, "podman")
    d.mkdir(parents=True, exist_ok=True)
    with locked(d.parent / "podman.lock"):
        out = subprocess.run(["bash", str(PODMAN_SH), "env", str(d)], capture_output=True,
                             text=True, check=True).stdout
        env = dict(line.split("=", 1) for line in out.split())
        if not (d / "image.done").exists():
            done = subprocess.run(["bash", str(PODMAN_SH), "image", str(d), IMAGE],
                                  env=dict(os.environ, **env), capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"could not build the test image: {done.stderr[-2000:]}")
            (d / "image.done").write_text(IMAGE)
    return env


@pytest.fixture
def podman(podman_env, monkeypatch):
    """Per test: podman's environment set; the test image's name."""
    for k, v in podman_env.items():
        monkeypatch.setenv(k, v)
    return IMAGE

"""Real podman, confined to the session's temp directory, with a locally built image.

scripts/services/podman.sh writes a containers.conf (runc, no network, ulimits this machine
allows) and a storage.conf whose image store lives in the temp directory, then builds the
image from a static busybox rootfs with ``podman import``: no registry is involved. The first
xdist worker builds it under a file lock; the others reuse it.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))  # executor_helpers

REPO = Path(__file__).resolve().parents[2]
PODMAN_SH = REPO / "scripts" / "services" / "podman.sh"
IMAGE = "localhost/dflow-nb-test-busybox:1"


@pytest.fixture(scope="session")
def podman_env(tmp_path_factory):
    missing = [c for c in ("podman", "runc", "busybox") if shutil.which(c) is None]
    if missing:
        pytest.skip(f"podman is not installed ({', '.join(missing)} missing): "
                    "run scripts/setup/41-podman.sh")
    base = tmp_path_factory.getbasetemp()
    d = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "podman"
    d.mkdir(parents=True, exist_ok=True)
    with open(d.parent / "podman.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = subprocess.run(["bash", str(PODMAN_SH), "env", str(d)], capture_output=True,
                             text=True, check=True).stdout
        env = dict(line.split("=", 1) for line in out.split())
        if not (d / "image.done").exists():
            done = subprocess.run(["bash", str(PODMAN_SH), "image", str(d), IMAGE],
                                  env=dict(os.environ, **env), capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"could not build the test image: {done.stderr[-2000:]}")
            (d / "image.done").write_text(IMAGE)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return env


@pytest.fixture
def podman(podman_env, monkeypatch):
    for k, v in podman_env.items():
        monkeypatch.setenv(k, v)
    return IMAGE

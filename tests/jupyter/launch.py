"""Start a real Jupyter server (or JupyterLab) for a test, on a free loopback port with a
token, isolated config/runtime dirs; stopped by PID. Shared by tests/jupyter and tests/browser."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import httpx

ENABLE_FILE = Path(sys.prefix, "etc", "jupyter", "jupyter_server_config.d", "dflow_nb.json")
SETUP_HINT = "install dflow_nb into this venv first (pip install -e .)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Jupyter:
    """A ``jupyter server`` or ``jupyter lab`` subprocess; ``url`` and ``token`` once started."""

    def __init__(self, root: Path, home: Path, app: str = "server",
                 env: Optional[Dict[str, str]] = None, args: Optional[List[str]] = None,
                 python: Optional[Path] = None) -> None:
        self.root, self.home, self.app = root, home, app
        self.python = str(python or sys.executable)   # the interpreter of the venv to serve from
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / f"jupyter-{app}.log"
        self.extra_env = dict(env or {})
        self.args = list(args or [])
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 90) -> "Jupyter":
        env = dict(os.environ)
        env.update({"JUPYTER_CONFIG_DIR": str(self.home / "config"),
                    "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
                    "JUPYTER_DATA_DIR": str(self.home / "data"),
                    "IPYTHONDIR": str(self.home / "ipython"),
                    "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1"})
        env.update(self.extra_env)
        module = "jupyterlab" if self.app == "lab" else "jupyter_server"
        cmd = [self.python, "-m", module, "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
               f"--IdentityProvider.token={self.token}"]
        if self.app == "lab":
            cmd += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                    "--LabApp.news_url=None"]
        cmd += self.args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter {self.app} exited: {self.log_tail()}")
            try:
                r = httpx.get(f"{self.url}/api/status", headers=self.headers, timeout=2)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter {self.app} did not start in {timeout}s: {self.log_tail()}")

    @property
    def headers(self) -> Dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:].replace(self.token, "<token>")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the server's own process (then SIGKILL), by PID; kernels go with it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()

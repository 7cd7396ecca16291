"""Fixtures for the Dflow compatibility suite: every test runs on the local engine in a tmp dir."""
import os

import pytest

from dflow_nb import config


@pytest.fixture(autouse=True)
def local_run(tmp_path):
    """Debug mode (Dflow's local engine) with all run state under a per-test tmp dir."""
    saved = {k: config[k] for k in ("mode", "debug_workdir")}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    config["mode"] = "debug"
    config["debug_workdir"] = str(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)
        config.update(saved)


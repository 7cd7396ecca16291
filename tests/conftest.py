"""Every test runs in its own directory, with the local engine writing its state there."""
import pytest

from dflow_nb import config


@pytest.fixture(autouse=True)
def local_workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(config, "mode", "debug")
    monkeypatch.setitem(config, "debug_workdir", str(tmp_path))
    return tmp_path

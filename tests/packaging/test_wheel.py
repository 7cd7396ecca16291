"""A plain ``pip install`` of the wheel gives JupyterLab both extensions, enabled; an editable
install (README command 1) builds no JavaScript unless asked."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.packaging.envs import (
    LABEXTENSION,
    SERVER_EXTENSION,
    clean_clone,
    labextensions,
    new_venv,
    pip_install,
    run,
    server_extensions,
)
from tests.packaging.lab_venv import LabVenv

pytestmark = pytest.mark.slow

SHARE = f"share/jupyter/labextensions/{LABEXTENSION}"
ENABLE = "etc/jupyter/jupyter_server_config.d/dflow_nb.json"


def test_wheel_built_from_a_clean_clone_carries_the_built_extension(lab_venv: LabVenv) -> None:
    assert run(["git", "ls-files", "dflow_nb/labextension"], cwd=lab_venv.clone).strip() == "", \
        "the built extension is tracked by git: the wheel would not prove that the build makes it"
    with zipfile.ZipFile(lab_venv.wheel) as whl:
        data = next(n.split("/", 1)[0] for n in whl.namelist() if ".data/" in n) + "/data/"
        names = set(whl.namelist())
        built = json.loads(whl.read(f"{data}{SHARE}/package.json"))
        enable = json.loads(whl.read(f"{data}{ENABLE}"))
    source = json.loads((lab_venv.clone / "labextension" / "package.json").read_text())
    assert (built["name"], built["version"]) == (source["name"], source["version"])
    assert built["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")
    assert f"{data}{SHARE}/{built['jupyterlab']['_build']['load']}" in names
    assert f"{data}{SHARE}/install.json" in names
    assert enable == {"ServerApp": {"jpserver_extensions": {SERVER_EXTENSION: True}}}
    assert not [n for n in names if "node_modules" in n or n.startswith(("tests/", "labextension/"))]


def test_plain_install_lists_both_extensions_enabled(lab_venv: LabVenv, tmp_path: Path) -> None:
    where = run([lab_venv.python, "-c", "import dflow_nb.jupyter as m; print(m.__file__)"],
                cwd=tmp_path).split()[0]
    assert Path(where).is_relative_to(lab_venv.venv), f"dflow_nb imported from {where}"
    lab = labextensions(lab_venv.venv, tmp_path)
    assert LABEXTENSION in lab, f"{LABEXTENSION} is not in the venv's labextensions: {lab}"
    version, *status = lab[LABEXTENSION].split()
    assert status[:2] == ["enabled", "OK"] and "(python, dflow-nb)" in lab[LABEXTENSION], lab
    server = server_extensions(lab_venv.venv, tmp_path)
    assert server.get(SERVER_EXTENSION) == "enabled OK", server


def test_editable_install_builds_the_extension_only_when_asked(tmp_path: Path) -> None:
    clone = clean_clone(tmp_path / "clone")
    venv = new_venv(tmp_path / "venv")
    built = clone / "dflow_nb" / "labextension" / "package.json"
    installed = venv / SHARE / "package.json"

    deps = ("--no-deps", "editables")   # the editable finder; dflow_nb's own deps are not needed
    pip_install(venv, *deps, "-e", str(clone))
    assert not built.exists() and not installed.exists(), "an editable install ran the JS build"
    assert (venv / ENABLE).is_file(), "the editable install did not enable the server extension"

    pip_install(venv, *deps, "-e", str(clone), env_extra={"DFLOW_NB_BUILD_LABEXTENSION": "1"})
    assert built.is_file() and installed.is_file()
    assert json.loads(installed.read_text())["name"] == LABEXTENSION

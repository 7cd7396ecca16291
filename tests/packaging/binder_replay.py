"""Replay, in a fresh virtualenv, the image mybinder.org would build from ``binder/``.

``repo2docker --no-build --no-run --debug .`` on a git checkout prints the Dockerfile that
repo2docker would build, without Docker. The replay reads it:

- the base environment (a conda lock file shipped with repo2docker: Python, Node, JupyterLab,
  ipywidgets, ...) becomes a venv from this machine's Python with the lock's versions of the
  Jupyter packages pip-installed, once this machine's Python and Node are shown to have the
  lock's versions (major.minor and major);
- the apt packages (``binder/apt.txt``) are installed, as the image does, or must be present;
- each ``pip install`` and ``postBuild`` step runs as written, with ``${KERNEL_PYTHON_PREFIX}``
  and ``${NB_PYTHON_PREFIX}`` pointing at the venv, in a directory that holds only what the
  Dockerfile has copied so far (single files before ``COPY src/``, the checkout after);
- any other step after the base environment stops the replay: it has to be taught the step.
"""
from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

from tests.packaging.envs import new_venv, pip_install, run

# Jupyter packages of the base environment whose versions the replay pins (conda-forge names,
# the same on PyPI); what the image gives JupyterLab, its widgets and the server extension.
BASE_PINS = ("pip", "jupyterlab", "jupyter_server", "notebook", "ipykernel", "ipywidgets",
             "jupyterlab_widgets", "widgetsnbextension")
LOCK_DEST = "/tmp/env/environment.lock"


@dataclass
class Replay:
    dockerfile: str
    venv: Path
    repo: Path                                  # ${REPO_DIR}: the replayed image's checkout
    base: Dict[str, str] = field(default_factory=dict)     # the lock's versions, pinned
    apt: List[str] = field(default_factory=list)
    steps: List[str] = field(default_factory=list)         # the RUN steps replayed, as written


def dockerfile(checkout: Path) -> str:
    """What ``repo2docker --no-build --no-run --debug .`` prints for ``checkout``."""
    exe = Path(sys.executable).with_name("repo2docker")
    if not exe.exists():
        raise AssertionError(f"jupyter-repo2docker is not installed next to {sys.executable} "
                             "(it is in the test extra: pip install -e '.[test]')")
    out = subprocess.run([str(exe), "--no-build", "--no-run", "--debug", "."], cwd=checkout,
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0 or "FROM " not in out.stdout:
        raise AssertionError(f"repo2docker failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return out.stdout


def instructions(text: str) -> List[Tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            found.append((keyword.upper(), args.strip()))
    return found


def base_lock(steps: List[Tuple[str, str]]) -> Dict[str, str]:
    """name -> version in the conda lock file the Dockerfile installs as its base environment
    (found by the build-context name repo2docker gives each file it ships)."""
    from repo2docker.buildpacks import conda
    from repo2docker.buildpacks.base import BuildPack
    wanted = next((args.split()[-2] for kw, args in steps
                   if kw == "COPY" and args.split()[-1] == LOCK_DEST), None)
    if wanted is None:
        raise AssertionError(f"the Dockerfile copies no {LOCK_DEST}: unknown base environment")
    locks = {BuildPack.generate_build_context_filename(str(p))[0]: p
             for p in Path(conda.__file__).parent.glob("*.lock")}
    if wanted not in locks:
        raise AssertionError(f"{wanted} is none of repo2docker's lock files")
    versions = {}
    for line in locks[wanted].read_text().splitlines():
        if line.startswith("http"):
            name, version, _build = line.split("#")[0].rsplit("/", 1)[1].rsplit("-", 2)
            versions[name] = version
    return versions


def check_toolchain(lock: Dict[str, str]) -> None:
    """This machine's Python and Node are the base environment's (else no faithful replay)."""
    python = ".".join(lock["python"].split(".")[:2])
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert python == here, (f"Binder's image runs Python {python} (binder/runtime.txt), this "
                            f"replay has {here}: make them agree")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=60)
    major = node.stdout.strip().lstrip("v").split(".")[0]
    assert major == lock["nodejs"].split(".")[0], \
        f"Binder's image has Node {lock['nodejs']}, this machine {node.stdout.strip()}"


def install_apt(packages: List[str]) -> None:
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout.strip() != "install ok installed"]
    if not missing:
        return
    assert os.geteuid() == 0 and shutil.which("apt-get"), \
        f"binder/apt.txt needs {missing}: install them (scripts/setup/) or run as root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        run(["apt-get", "update", "-qq"], env=env)
        run(cmd, env=env)


def replay(checkout: Path, work: Path) -> Replay:
    """Replay ``checkout``'s binder/ into ``work``/venv, with ``work``/repo as ${REPO_DIR}."""
    text = dockerfile(checkout)
    steps = instructions(text)
    lock = base_lock(steps)
    check_toolchain(lock)
    result = Replay(text, new_venv(work / "venv"), work / "repo")
    result.base = {name: lock[name] for name in BASE_PINS if name in lock}
    pip_install(result.venv, *(f"{n}=={v}" for n, v in result.base.items()))

    result.repo.mkdir()
    env = dict(os.environ, KERNEL_PYTHON_PREFIX=str(result.venv), NB_PYTHON_PREFIX=str(result.venv),
               REPO_DIR=str(result.repo), NB_USER=getpass.getuser(),
               PATH=os.pathsep.join([str(result.venv / "bin"), os.environ.get("PATH", "")]))
    env.pop("PYTHONPATH", None)
    workdir = next(i for i, (kw, args) in enumerate(steps) if kw == "WORKDIR" and "REPO_DIR" in args)
    for kw, args in steps[workdir + 1:]:
        if kw == "COPY" and args.split()[-2].startswith("src/"):
            src = checkout / args.split()[-2][len("src/"):]
            if src.is_dir():
                shutil.copytree(src, result.repo, symlinks=True, dirs_exist_ok=True)
            else:
                dest = result.repo / src.relative_to(checkout)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        elif kw == "RUN" and args.startswith("chown "):
            continue   # image ownership, nothing to replay
        elif kw == "RUN" and "apt-get install" in args:
            packages = re.search(r"apt-get install --yes --no-install-recommends (.+?) &&", args)
            assert packages, f"cannot read the apt packages of: {args}"
            result.apt = packages.group(1).split()
            install_apt(result.apt)
        elif kw == "RUN" and ("/bin/pip install" in args or "postBuild" in args):
            result.steps.append(args)
            run(["bash", "-c", args], cwd=result.repo, env=env, timeout=1200)
        elif kw == "RUN":
            raise AssertionError(f"the replay does not know this Binder build step: {args}\n"
                                 f"(teach tests/packaging/binder_replay.py)")
    return result

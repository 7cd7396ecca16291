"""DispatcherExecutor's SSH secrets (password, key passphrase, TOTP secret) never reach the
local engine's state: not the database (its pickled model), not a step directory. A run keeps
them in memory; a detached engine is handed them out of band; a run resumed by another process
asks for them again, by name."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.plugins.dispatcher import DispatcherExecutor

REPO = Path(__file__).resolve().parents[2]
# A literal SSH password: the Argo compiler refuses it on purpose (it would sit in the manifest).
pytestmark = pytest.mark.no_manifest_check

PASSWORD = "pw-Sekr1t-4711"
PASSPHRASE = "pp-Sekr1t-0815"


def executor() -> DispatcherExecutor:
    return DispatcherExecutor(
        password=PASSWORD, check_interval=0.2, submission_timeout=90,
        machine_dict={"batch_type": "Shell", "context_type": "LazyLocalContext",
                      "remote_profile": {"passphrase": PASSPHRASE}})


def files_holding_secrets(root: Path) -> List[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if PASSWORD.encode() in data or PASSPHRASE.encode() in data:
                found.append(str(path.relative_to(root)))
    return found


def gated(name: str, workdir: Path, flag: Path) -> Workflow:
    """A plain step that fails until ``flag`` exists, then the dispatched step."""
    wf = Workflow(name, workdir=workdir)
    gate = ShellOPTemplate(name="gate", script='test -f "$FLAG"', envs={"FLAG": str(flag)})
    wf.add(Step("gate", gate))
    wf.add(Step("hello", ShellOPTemplate(name="hello", script="echo hello"), executor=executor()))
    return wf


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))   # DPDispatcher writes ~/.dpdispatcher


def test_secrets_stay_out_of_the_state_database(tmp_path: Path) -> None:
    wf = Workflow("ssh-secrets", workdir=tmp_path / "runs")
    wf.add(Step("hello", ShellOPTemplate(name="hello", script="echo hello"), executor=executor()))
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded", [s.message for s in wf.query_step()]
    assert (tmp_path / "runs" / "dflow_nb.db").exists()
    assert files_holding_secrets(tmp_path / "runs") == []


def test_a_detached_engine_gets_the_secrets_out_of_band(tmp_path: Path) -> None:
    wf = Workflow("ssh-detached", workdir=tmp_path / "runs")
    wf.add(Step("hello", ShellOPTemplate(name="hello", script="echo hello"), executor=executor()))
    wf.submit(detach=True)
    assert wf.wait(timeout=120) == "Succeeded", [s.message for s in wf.query_step()]
    assert files_holding_secrets(tmp_path / "runs") == []


RESUME = """
import sys
from dflow_nb import Workflow
wf = Workflow(id=sys.argv[1], workdir=sys.argv[2])
wf.resume(detach=False)
print("PHASE", wf.wait(timeout=120))
for s in wf.query_step(name="hello"):
    print("MESSAGE", s.phase, s.message)
"""


def resume_elsewhere(wf: Workflow, workdir: Path, env: Dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DFLOW_NB_SSH_")}
    out = subprocess.run([sys.executable, "-c", RESUME, wf.id, str(workdir)],
                         env={**base, "PYTHONPATH": str(REPO), **env}, capture_output=True,
                         text=True, timeout=180, cwd=workdir)
    return out.stdout + out.stderr


def test_resuming_in_another_process_asks_for_the_secrets(tmp_path: Path) -> None:
    workdir, flag = tmp_path / "runs", tmp_path / "flag"
    wf = gated("ssh-resume", workdir, flag)
    wf.submit(wait=True)
    assert wf.query_status() == "Failed"
    flag.write_text("ok")
    text = resume_elsewhere(wf, workdir, {})
    assert "PHASE Succeeded" not in text
    assert "DFLOW_NB_SSH_PASSWORD" in text and "DFLOW_NB_SSH_PASSPHRASE" in text, text
    assert PASSWORD not in text
    text = resume_elsewhere(wf, workdir, {"DFLOW_NB_SSH_PASSWORD": PASSWORD,
                                          "DFLOW_NB_SSH_PASSPHRASE": PASSPHRASE})
    assert "PHASE Succeeded" in text, text
    assert files_holding_secrets(workdir) == []


def test_resuming_in_the_same_process_needs_nothing(tmp_path: Path) -> None:
    workdir, flag = tmp_path / "runs", tmp_path / "flag"
    wf = gated("ssh-resume-here", workdir, flag)
    wf.submit(wait=True)
    assert wf.query_status() == "Failed"
    flag.write_text("ok")
    Workflow(id=wf.id, workdir=workdir).resume(detach=False)   # the stored model, unpickled
    assert wf.wait(timeout=120) == "Succeeded", [s.message for s in wf.query_step()]


def test_reprs_and_pickles_hold_no_secret() -> None:
    import cloudpickle
    ex = executor()
    assert PASSWORD not in repr(ex) and PASSPHRASE not in repr(ex)
    for blob in (pickle.dumps(ex), cloudpickle.dumps(ex)):
        assert PASSWORD.encode() not in blob and PASSPHRASE.encode() not in blob
    rendered = ex.render(ShellOPTemplate(name="t", script="echo"))
    assert PASSWORD not in repr(rendered.envs) and PASSPHRASE not in rendered.script


@pytest.mark.parametrize("key", ["password", "passphrase", "totp_secret"])
def test_every_ssh_secret_of_machine_dict_is_kept_out(key: str) -> None:
    ex = DispatcherExecutor(machine_dict={"batch_type": "Shell", "context_type": "SSHContext",
                                          "remote_profile": {"hostname": "h", key: "zz-Top-1"}})
    assert "zz-Top-1" not in repr(ex.machine_dict)
    assert b"zz-Top-1" not in pickle.dumps(ex)


@pytest.mark.parametrize("key", ["password", "passphrase", "totp_secret"])
def test_an_argo_manifest_refuses_every_ssh_secret(key: str) -> None:
    """On Argo the secrets would sit in the manifest: the compiler refuses them, unnamed."""
    from dflow_nb.argo.compile import compile_workflow
    ex = DispatcherExecutor(machine_dict={"batch_type": "Slurm", "context_type": "SSHContext",
                                          "remote_profile": {"hostname": "h", key: "zz-Top-1"}})
    wf = Workflow("ssh-argo")
    wf.add(Step("hello", ShellOPTemplate(name="hello", script="echo hello"), executor=ex))
    with pytest.raises(Exception, match="secretKeyRef") as info:
        compile_workflow(wf)
    assert "zz-Top-1" not in str(info.value)

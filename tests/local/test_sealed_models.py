"""A run's stored model is a pickle. A state database that came from elsewhere (a downloaded
project, a shared folder) lists its runs, but resuming or resubmitting one runs no code its
author planted: only models this account sealed are loaded."""
import pickle
import sqlite3
import subprocess
import sys

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.local.sealed_models import UnsealedModel


class Planted:
    """What an attacker pickles: unpickling it creates a file (it could do anything)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def a_finished_run(script="echo hi", phase="Succeeded"):
    wf = Workflow("hello")
    wf.add(Step("hello", ShellOPTemplate(name="hello", image="alpine", script=script)))
    wf.submit()
    assert wf.query_status() == phase
    return wf.id


def plant(db, wf_id, payload):
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE workflows SET spec=? WHERE id=?", (payload, wf_id))


def test_my_own_runs_load_and_resubmit(tmp_path):
    wf_id = a_finished_run()
    assert Workflow(id=wf_id).model().name == "hello"
    assert Workflow(id=wf_id).resubmit(wait=True).phase == "Succeeded"


def test_a_planted_model_is_never_unpickled(tmp_path):
    wf_id = a_finished_run("exit 3", "Failed")
    marker = tmp_path / "pwned"
    plant(next(tmp_path.rglob("dflow_nb.db")), wf_id, pickle.dumps(Planted(str(marker))))
    for action in (lambda: Workflow(id=wf_id).model(),
                   lambda: Workflow(id=wf_id).resubmit(wait=True),
                   lambda: Workflow(id=wf_id).retry()):
        with pytest.raises(UnsealedModel, match=f"stored model of {wf_id} was not recorded by "
                                                f"this account"):
            action()
    assert not marker.exists()
    assert Workflow(id=wf_id).query_status() == "Failed"   # its record still reads


def test_a_database_sealed_by_another_account_is_refused(tmp_path, monkeypatch):
    wf_id = a_finished_run()
    monkeypatch.setenv("DFLOW_NB_MODEL_KEY_FILE", str(tmp_path / "someone-else.key"))
    with pytest.raises(UnsealedModel, match="build the workflow in your notebook"):
        Workflow(id=wf_id).model()
    assert (tmp_path / "someone-else.key").stat().st_mode & 0o777 == 0o600


def test_the_detached_engine_refuses_a_planted_model_too(tmp_path):
    wf_id = a_finished_run()
    marker = tmp_path / "pwned"
    plant(next(tmp_path.rglob("dflow_nb.db")), wf_id, pickle.dumps(Planted(str(marker))))
    done = subprocess.run([sys.executable, "-m", "dflow_nb.local.daemon",
                           str(next(tmp_path.rglob("dflow_nb.db")).parent), wf_id, "--resume"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not recorded by this account" in done.stderr
    assert not marker.exists()

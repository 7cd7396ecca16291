"""The state database: private to its owner (it holds the stored models), and a corrupt one
is named with what to do instead of a raw sqlite traceback (the CLI prints dflow_nb's errors as
their one line; the sidebar's API: tests/jupyter/test_state_errors.py)."""
import stat

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow, config
from dflow_nb.config import DEFAULT_WORKDIR
from dflow_nb.errors import DflowNbError
from dflow_nb.hub.workflow import query_workflows
from dflow_nb.local.state import DB_NAME


def test_the_state_database_is_readable_by_its_owner_only(tmp_path):
    wf = Workflow("private")
    wf.add(Step("s", ShellOPTemplate(name="s", script="echo hi")))
    wf.submit(wait=True)
    files = [p for p in tmp_path.iterdir() if p.name.startswith(DB_NAME)]
    assert tmp_path / DB_NAME in files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_corrupt_state_database_is_named_with_what_to_do(tmp_path):
    db = tmp_path / DB_NAME
    db.write_bytes(b"not a database, whatever it once was\n" * 200)
    with pytest.raises(DflowNbError) as listed:
        query_workflows(tmp_path)
    with pytest.raises(DflowNbError) as queried:
        Workflow(id="any-12345", workdir=tmp_path).query()
    wf = Workflow("w")
    wf.add(Step("s", ShellOPTemplate(name="s", script="true")))
    with pytest.raises(DflowNbError) as submitted:
        wf.submit(wait=True)
    for info in (listed, queried, submitted):
        message = str(info.value)
        assert str(db) in message and "corrupt" in message and "move it aside" in message, \
            message


def hello(name, workdir=None):
    wf = Workflow(name, workdir=workdir)
    wf.add(Step("s", ShellOPTemplate(name="s", script="echo hi")))
    wf.submit(wait=True)
    return wf


def test_by_default_runs_go_to_a_hidden_folder_of_the_current_one(tmp_path, monkeypatch):
    monkeypatch.setitem(config, "debug_workdir", DEFAULT_WORKDIR)   # as a user has it
    wf = hello("tidy")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dflow_nb"]   # nothing else here
    hidden = tmp_path / ".dflow_nb"
    assert (hidden / DB_NAME).is_file() and (hidden / wf.id / "s" / "log.txt").is_file()
    assert [r.id for r in query_workflows()] == [wf.id]


def test_runs_kept_beside_the_notebooks_before_stay_readable_and_are_not_moved(tmp_path,
                                                                               monkeypatch):
    old = hello("old", workdir=tmp_path)   # where the default put them before: this folder
    monkeypatch.setitem(config, "debug_workdir", DEFAULT_WORKDIR)
    assert [r.id for r in query_workflows()] == [old.id]
    assert Workflow(id=old.id).query().phase == "Succeeded"
    new = hello("new")   # and new runs join them there
    assert {r.id for r in query_workflows()} == {old.id, new.id}
    assert not (tmp_path / ".dflow_nb").exists()

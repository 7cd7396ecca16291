"""The state database: private to its owner (it holds the stored models), and a corrupt one
is named with what to do instead of a raw sqlite traceback (the CLI prints dflow_nb's errors as
their one line; the sidebar's API: tests/jupyter/test_state_errors.py)."""
import stat

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow
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

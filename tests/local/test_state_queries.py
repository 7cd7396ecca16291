"""Queries of one step in a large run read it through an index of the state database, and give
what filtering every step would: by key, name (with its loop items), phase and id. A database
made before the phase index gets it when an engine opens the work directory."""
import sqlite3
import sys
from pathlib import Path

import cloudpickle

from dflow_nb import Step, Workflow
from dflow_nb.local.state import DB_NAME, StateReader, StateStore
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices

cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Halve(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": float})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    def execute(self, op_in):
        if op_in["x"] > 2:
            raise ValueError(f"{op_in['x']} is too big")
        return OPIO({"y": op_in["x"] / 2})


def run(name="halve"):
    """Slices ``halve(i:i)`` (one fails; the run succeeds) beside steps whose names start alike."""
    wf = Workflow(name)
    wf.add(Step("halve", PythonOPTemplate(Halve, slices=Slices(input_parameter=["x"],
                                                               output_parameter=["y"])),
                parameters={"x": [1.0, 3.0, 2.0, 0.5]}, key="halve-{{item}}",
                continue_on_success_ratio=0.5))
    wf.add([Step("halve2", PythonOPTemplate(Halve), parameters={"x": 1.0}, key="h2"),
            Step("halve_x", PythonOPTemplate(Halve), parameters={"x": 1.0})])
    wf.submit()
    assert wf.query_status() == "Succeeded"
    return wf


def ids(steps):
    return [s.id for s in steps]


def test_each_filter_gives_what_filtering_every_step_gives():
    wf = run()
    every = wf.query_step()
    named = [s for s in every if s.displayName == "halve" or s.displayName.startswith("halve(")]
    assert sorted(s.displayName for s in named) == [f"halve({i}:{i})" for i in range(4)]
    assert ids(wf.query_step(name="halve")) == ids(named)
    assert ids(wf.query_step(name=["halve2", "halve_x"])) == \
        ids([s for s in every if s.displayName in ("halve2", "halve_x")])
    assert ids(wf.query_step(name="halve(2:2)")) == ids([s for s in named if s.key == "halve-2"])
    assert ids(wf.query_step(key=["halve-3", "h2"])) == \
        ids([s for s in every if s.key in ("halve-3", "h2")])
    (failed,) = wf.query_step(phase="Failed")
    assert failed.key == "halve-1" and failed.message
    assert ids(wf.query_step(phase=["Succeeded", "Failed"], name="halve")) == ids(named)
    assert ids(wf.query_step(name="halve", phase="Succeeded")) == \
        ids([s for s in named if s.key != "halve-1"])
    assert wf.query_step(name="halve2", phase="Failed") == []
    assert ids(wf.query_step(id=[failed.id, every[0].id])) == ids([every[0], failed])
    assert wf.query_step(key="halve-2", id=failed.id) == []
    assert [s.key for s in wf.query_step(key="halve-2")] == ["halve-2"]
    assert ids(wf.query_step(key=[None, "h2"])) == \
        ids([s for s in every if s.key in (None, "h2")])   # steps without a key, and h2
    many = [f"halve-{i}" for i in range(40_000)]   # more than SQLite takes in one statement
    assert ids(wf.query_step(key=many)) == ids([s for s in every if s.key in many])


def plans(workdir: Path, wf_id: str, **query):
    """What SQLite reads for a reader's query: its query plan's lines."""
    reader = StateReader(workdir)
    conn = reader._conn()
    seen = []
    conn.set_trace_callback(seen.append)
    try:
        found = reader.nodes(wf_id, **query)
    finally:
        conn.set_trace_callback(None)
    with sqlite3.connect(workdir / DB_NAME) as fresh:   # its schema as it is now
        return found, [str(row[3]) for sql in seen
                       for row in fresh.execute(f"EXPLAIN QUERY PLAN {sql}")]


def test_a_query_of_one_step_reads_an_index_not_every_node_of_the_run(tmp_path):
    wf = run()
    for query, index in (({"key": "halve-2"}, "nodes_by_key"),
                         ({"keys": ["halve-2", "h2"]}, "nodes_by_key"),
                         ({"names": ["halve2"]}, "nodes_by_display"),
                         ({"names": ["halve"], "phases": ["Failed"]}, "nodes_unfinished"),
                         ({"phases": ["Failed", "Running"]}, "nodes_unfinished"),
                         ({"ids": [wf.id]}, "sqlite_autoindex_nodes_1")):
        found, plan = plans(tmp_path, wf.id, **query)
        assert found, query
        assert plan and all(f"USING INDEX {index} " in line or "TEMP B-TREE" in line
                            for line in plan), (query, plan)


def test_an_older_database_gets_the_phase_index_when_an_engine_opens_it(tmp_path):
    old = run("old")
    with sqlite3.connect(tmp_path / DB_NAME) as db:   # as made before the index existed
        db.execute("DROP INDEX nodes_unfinished")
    (failed,) = old.query_step(phase="Failed")   # read without the index: still right
    assert failed.key == "halve-1"
    _, plan = plans(tmp_path, old.id, phases=["Failed"])
    assert not any("nodes_unfinished" in line for line in plan)

    StateStore(tmp_path)   # what an engine (another process, a later session) does first
    found, plan = plans(tmp_path, old.id, phases=["Failed"])
    assert [n["key"] for n in found] == ["halve-1"]
    assert any("USING INDEX nodes_unfinished" in line for line in plan), plan
    assert Workflow(id=old.id).query_step(phase="Failed")[0].id == failed.id

"""Argo Workflow objects (status.nodes) -> the records the local engine also writes."""
import pytest

from dflow_nb.argo.status import (
    declared_type,
    epoch,
    io_record,
    parents,
    pod_name,
    step_records,
    workflow_record,
)
from dflow_nb.hub.records import StepRecord
from dflow_nb.model.names import fnv32a
from tests.argo.argo_server import fixture


def by_display(records):
    return {r.displayName: r for r in records}


def nid(wf, name):
    return f"{wf}-{fnv32a(name)}"


def test_epoch():
    assert epoch("1970-01-01T00:00:10Z") == 10.0
    assert epoch("2024-05-01T10:00:01+00:00") == epoch("2024-05-01T10:00:01Z")
    assert epoch(None) is None and epoch("") is None and epoch("garbage") is None


def test_declared_type_from_dflow_description():
    assert declared_type({"description": '{"type": "int"}'}) == "int"
    assert declared_type({"description": "a human description"}) is None
    assert declared_type({"description": '{"no": "type"}'}) is None
    assert declared_type({}) is None


def test_steps_workflow_records():
    wf = fixture("steps-succeeded.json")
    name = "steps-hello-x7k2p"
    recs = step_records(wf)
    assert all(isinstance(r, StepRecord) for r in recs)
    assert [r.seq for r in recs] == list(range(1, len(recs) + 1))
    d = by_display(recs)
    assert set(d) == {name, "[0]", "[1]", "hello", "print(0:a)", "print(1:b)"}
    root, g0, g1, hello = d[name], d["[0]"], d["[1]"], d["hello"]
    assert (root.id, root.type, root.boundaryID, root.parentID) == (name, "Steps", None, None)
    assert root.templateName == "main" and root.phase == "Succeeded"
    # groups and steps: structural parents, as the local engine records them
    assert g0.type == "StepGroup" and g0.parentID == root.id and g0.boundaryID == root.id
    assert g1.parentID == root.id  # Argo lists [1] under "hello"'s children: order, not owner
    assert hello.parentID == g0.id and hello.boundaryID == root.id
    assert d["print(0:a)"].parentID == g1.id and d["print(1:b)"].parentID == g1.id
    assert hello.id == nid(name, f"{name}[0].hello") and hello.name == f"{name}[0].hello"
    assert hello.workflow == name and hello.dir is None and hello.progress == "1/1"
    # times as epoch floats
    assert hello.startedAt == epoch("2024-05-01T10:00:01Z")
    assert hello.duration == 18.0
    # keys from dflow_key, typed values from the description
    assert hello.key == "hello-key" and d["print(1:b)"].key == "print-1"
    assert root.key is None and g0.key is None
    assert hello.inputs.parameters["n"].value == 3
    assert hello.inputs.parameters["msg"].value == "hi"
    out = hello.outputs.parameters
    assert out["count"].value == 3 and out["count"].type == "int" and out["count"].raw == "3"
    assert out["info"].value == {"a": [1, 2]}
    assert out["text"].value == "plain" and out["text"].type is None
    assert hello.outputs.exitCode == "0"
    assert hello.outputs.artifacts["out"].local_path is None
    assert hello.raw_outputs["artifacts"][0]["s3"]["key"].endswith("/out.tgz")
    assert d["print(0:a)"].outputs.result == "a"
    # start order
    assert [r.displayName for r in recs][:3] == [name, "[0]", "hello"]


def test_dag_workflow_records():
    wf = fixture("dag-failed.json")
    name = "dag-fail-q9w3e"
    d = by_display(step_records(wf))
    root, work = d[name], d["work"]
    assert root.type == "DAG" and root.phase == "Failed"
    assert d["prepare"].parentID == root.id
    assert work.type == "TaskGroup" and work.parentID == root.id and work.phase == "Failed"
    assert d["work(0:0)"].parentID == work.id and d["work(1:1)"].parentID == work.id
    failed = d["work(1:1)"]
    assert failed.phase == "Failed" and failed.message == "Error (exit code 1)"
    assert failed.outputs.exitCode == "1" and failed.key == "work-1"
    assert failed.inputs.parameters["x"].value == 1
    assert d["work(0:0)"].outputs.parameters["y"].value == 0.0
    assert d["prepare"].outputs.parameters["items"].value == [0, 1]
    report = d["report"]  # Argo lists it under both loop items: its owner is the DAG
    assert (report.type, report.phase, report.parentID) == ("Skipped", "Omitted", root.id)
    assert report.message == "omitted: depends condition not met"
    exit_node = d[f"{name}.onExit"]
    assert exit_node.boundaryID is None and exit_node.parentID is None
    assert exit_node.templateName == "exit-op"


def test_retry_and_nested_steps_records():
    wf = fixture("retry-running.json")
    name = "retry-nested-m4n5b"
    d = by_display(step_records(wf))
    flaky, inner = d["flaky"], d["inner"]
    assert flaky.type == "Retry" and flaky.key == "flaky-key"
    for attempt in ("flaky(0)", "flaky(1)"):
        assert d[attempt].parentID == flaky.id
        assert d[attempt].key is None  # the Retry node owns the key, as locally
    assert d["flaky(0)"].phase == "Failed" and d["flaky(1)"].phase == "Succeeded"
    assert flaky.outputs.parameters["ok"].value is True
    assert inner.type == "Steps" and inner.key == "inner-key" and inner.phase == "Running"
    deep = d["deep"]
    assert deep.boundaryID == inner.id and deep.phase == "Running"
    inner_group = next(r for r in step_records(wf) if r.name == f"{name}[0].inner[0]")
    assert inner_group.parentID == inner.id and deep.parentID == inner_group.id
    assert deep.finishedAt is None and deep.duration is None
    assert d[name].phase == "Running"


def test_parents_of_an_empty_or_partial_status():
    assert step_records({"metadata": {"name": "x"}}) == []
    assert step_records({"metadata": {"name": "x"}, "status": {}}) == []
    assert parents({"a": {"id": "a", "children": ["gone"]}}) == {"a": None}


def test_workflow_record():
    rec = workflow_record(fixture("steps-succeeded.json"))
    assert (rec.id, rec.name, rec.phase) == ("steps-hello-x7k2p", "steps-hello", "Succeeded")
    assert rec.createdAt == epoch("2024-05-01T10:00:00Z")
    assert rec.finishedAt - rec.startedAt == 39.0
    assert rec.outputs.parameters["total"].value == 6
    assert rec.outputs.parameters["total"].globalName == "total"
    assert rec.outputs.artifacts["report"].globalName == "report"
    failed = workflow_record(fixture("dag-failed.json"))
    assert failed.phase == "Failed" and failed.message.startswith("child '")
    fresh = workflow_record({"metadata": {"name": "new-abcde", "generateName": "new-"}})
    assert (fresh.phase, fresh.name, fresh.startedAt) == ("Pending", "new", None)


def test_io_record_untyped_and_defaults():
    io = io_record({"parameters": [{"name": "a", "value": "[1]"}, {"name": "b", "default": "x"}],
                    "exitCode": 0})
    assert io.parameters["a"].value == "[1]"  # untyped stays text
    assert io.parameters["b"].value == "x"
    assert io.exitCode == "0"


@pytest.mark.parametrize("annotation, expected", [
    ("v2", "steps-hello-x7k2p-hello-op-{h}"),
    ("v1", "{id}"),
])
def test_pod_names(annotation, expected):
    wf = fixture("steps-succeeded.json")
    wf["metadata"]["annotations"]["workflows.argoproj.io/pod-name-format"] = annotation
    node = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "hello")
    assert pod_name(wf, node) == expected.format(h=fnv32a(node["name"]), id=node["id"])
    root = wf["status"]["nodes"]["steps-hello-x7k2p"]
    assert pod_name(wf, root) == "steps-hello-x7k2p"

"""Workflows past Argo v4's CRD caps (200 templates, 200 tasks per DAG) compile to manifests
Argo accepts: identical templates are emitted once, big DAGs are split into nested groups,
and the status of a split DAG reads as the DAG the user built."""
import json

import pytest

from dflow_nb import (
    DAG,
    InputParameter,
    Inputs,
    OutputParameter,
    Outputs,
    ShellOPTemplate,
    Step,
    Task,
    ValidationError,
    Workflow,
)
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.argo.schema import MAX_TASKS, MAX_TEMPLATES
from dflow_nb.argo.status import step_records
from dflow_nb.python import PythonOPTemplate
from tests.compat.test_failures import Ok as Inc  # y = x + 1


def chain(n):
    """n steps one after another, each built with its own PythonOPTemplate of one OP."""
    wf = Workflow("chain")
    prev = None
    for i in range(n):
        x = 0 if prev is None else prev.outputs.parameters["y"]
        prev = Step(f"inc-{i}", PythonOPTemplate(Inc), parameters={"x": x}, key=f"inc-{i}")
        wf.add(prev)
    return wf


def wide_dag(n, far=450):
    """n tasks: most read the task before, every third reads one ``far`` tasks back (so it
    reads across the groups a split makes); the DAG outputs the first task's value."""
    d = DAG("big", inputs=Inputs(parameters={"start": InputParameter(value=0)}))
    tasks = []
    for i in range(n):
        if i == 0:
            x = d.inputs.parameters["start"]
        else:
            x = tasks[i - 1 if i % 3 else max(0, i - far)].outputs.parameters["y"]
        tasks.append(Task(f"t-{i}", PythonOPTemplate(Inc), parameters={"x": x}, key=f"t-{i}"))
        d.add(tasks[-1])
    d.outputs = Outputs(parameters={"first": OutputParameter(
        value_from_parameter=tasks[0].outputs.parameters["y"])})
    wf = Workflow("wide")
    wf.add(Step("main", d))
    return wf


def templates_of(manifest):
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def test_a_chain_of_1000_steps_of_one_op_is_one_template(validate_manifest):
    manifest = validate_manifest(compile_workflow(chain(1000)))
    templates = templates_of(manifest)
    assert len(templates) == 2   # the Steps and the one OP, not 1,000 copies of it
    steps = templates[manifest["spec"]["entrypoint"]]["steps"]
    assert [g[0]["name"] for g in steps][-2:] == ["inc-998", "inc-999"]
    assert len({g[0]["template"] for g in steps}) == 1
    last = steps[-1][0]["arguments"]["parameters"]
    assert {"name": "dflow_key", "value": "inc-999"} in last
    assert {"name": "x", "value": "{{steps.inc-998.outputs.parameters.y}}"} in last


def test_templates_that_differ_in_any_field_stay_apart():
    wf = Workflow("two-images")
    a = Step("a", PythonOPTemplate(Inc), parameters={"x": 1})
    b = Step("b", PythonOPTemplate(Inc, image="python:3.12"), parameters={"x": 1})
    c = Step("c", PythonOPTemplate(Inc), parameters={"x": a.outputs.parameters["y"]})
    wf.add([a, b])
    wf.add(c)
    manifest = compile_workflow(wf)
    steps = templates_of(manifest)[manifest["spec"]["entrypoint"]]["steps"]
    names = {s["name"]: s["template"] for g in steps for s in g}
    assert names["a"] == names["c"] != names["b"]
    assert len(manifest["spec"]["templates"]) == 3


@pytest.fixture(scope="module")
def wide_manifest():
    return compile_workflow(wide_dag(1000))


def test_a_1000_task_dag_is_split_into_groups_under_the_cap(wide_manifest, validate_manifest):
    manifest = validate_manifest(wide_manifest)
    templates = templates_of(manifest)
    assert len(templates) <= MAX_TEMPLATES
    dags = [t for t in templates.values() if "dag" in t]
    assert all(len(t["dag"]["tasks"]) <= MAX_TASKS for t in dags)
    outer = templates["big"]
    assert [t["name"] for t in outer["dag"]["tasks"]] == [f"group-{i}" for i in range(5)]
    held = [t["name"] for g in outer["dag"]["tasks"] for t in templates[g["template"]]["dag"]
            ["tasks"]]
    assert sorted(held) == sorted(f"t-{i}" for i in range(1000))
    groups = json.loads(manifest["metadata"]["annotations"]
                        ["dflow-nb.deepmodeling.com/hidden-templates"])
    assert groups == [g["template"] for g in outer["dag"]["tasks"]]


def test_a_value_read_across_groups_travels_as_group_output_and_input(wide_manifest):
    templates = templates_of(wide_manifest)
    outer = templates["big"]["dag"]["tasks"]
    group_of = {t["name"]: g for g in outer for t in templates[g["template"]]["dag"]["tasks"]}
    # t-600 reads t-150 (450 back), which sits in an earlier group
    reader, producer = group_of["t-600"], group_of["t-150"]
    assert reader["name"] != producer["name"]
    task = next(t for t in templates[reader["template"]]["dag"]["tasks"] if t["name"] == "t-600")
    x = next(p for p in task["arguments"]["parameters"] if p["name"] == "x")["value"]
    ref = x[len("{{inputs.parameters."):-2]
    assert x == "{{inputs.parameters.%s}}" % ref
    assert {"name": ref} in templates[reader["template"]]["inputs"]["parameters"]
    assert {"name": ref, "value": "{{tasks.%s.outputs.parameters.%s}}" % (producer["name"], ref)
            } in reader["arguments"]["parameters"]
    assert {"name": ref, "valueFrom": {"parameter": "{{tasks.t-150.outputs.parameters.y}}"}} in \
        templates[producer["template"]]["outputs"]["parameters"]
    assert producer["name"] in reader["depends"].split(" && ")
    assert "when" not in task   # t-150 Succeeded whenever its group did: nothing to check
    # the first group reads the DAG's own input; the DAG's output reads the first group
    first = templates[outer[0]["template"]]
    assert first["inputs"]["parameters"] == [{"name": "start"}]
    assert outer[0]["arguments"]["parameters"] == [{"name": "start",
                                                    "value": "{{inputs.parameters.start}}"}]
    out = templates["big"]["outputs"]["parameters"][0]["valueFrom"]["parameter"]
    assert out.startswith("{{tasks.group-0.outputs.parameters.dflow_ref_")


def test_a_depends_expression_across_groups_is_refused_in_the_users_terms():
    wf = wide_dag(201, far=1)
    d = wf.entrypoint.steps[0][0].template
    d.add(Task("watch", PythonOPTemplate(Inc), parameters={"x": 1},
               depends="t-0.Failed || t-200"))
    with pytest.raises(ValidationError, match="depends expression refers to a task in another "
                       "group"):
        compile_workflow(wf)


def _node(wf, name, display, kind, template, boundary=None, children=(), key=None):
    node = {"id": f"{wf}-{abs(hash(name)) % 10**9}", "name": name, "displayName": display,
            "type": kind, "templateName": template, "phase": "Succeeded",
            "startedAt": "2026-01-01T00:00:00Z", "children": list(children)}
    if boundary:
        node["boundaryID"] = boundary
    if key:
        node["inputs"] = {"parameters": [{"name": "dflow_key", "value": key}]}
    return node


def test_the_status_of_a_split_dag_reads_as_the_dag_the_user_built():
    """Argo names a task of a group ``<dag>.group-<i>.<task>``; records drop the groups."""
    wf = "wide-abcde"
    root = _node(wf, wf, wf, "Steps", "wide")
    main = _node(wf, f"{wf}[0].main", "main", "DAG", "big", root["id"])
    g0 = _node(wf, f"{wf}[0].main.group-0", "group-0", "DAG", "big-g0", main["id"])
    g1 = _node(wf, f"{wf}[0].main.group-1", "group-1", "DAG", "big-g1", main["id"])
    t0 = _node(wf, f"{wf}[0].main.group-0.t-0", "t-0", "Pod", "inc", g0["id"], key="t-0")
    t1 = _node(wf, f"{wf}[0].main.group-1.t-1", "t-1", "Pod", "inc", g1["id"], key="t-1")
    ok = _node(wf, f"{wf}[0].main.dflow-dag-ok", "dflow-dag-ok", "Suspend", "dflow-nb-dag-ok",
               main["id"])   # the pod-less task that keeps continue_on_failed (argo/_depends.py)
    main["children"], g0["children"], t0["children"], g1["children"], t1["children"] = \
        [g0["id"]], [t0["id"]], [g1["id"]], [t1["id"]], [ok["id"]]
    status = {"metadata": {"name": wf, "annotations": {
        "dflow-nb.deepmodeling.com/hidden-templates": json.dumps(["big-g0", "big-g1",
                                                                  "dflow-nb-dag-ok"])}},
        "status": {"nodes": {n["id"]: n for n in (root, main, g0, g1, t0, t1, ok)}}}
    records = {r.displayName: r for r in step_records(status)}
    assert set(records) == {wf, "main", "t-0", "t-1"}
    assert records["t-1"].name == f"{wf}[0].main.t-1"
    assert records["t-1"].key == "t-1"
    assert records["t-0"].boundaryID == records["t-1"].boundaryID == main["id"]
    assert records["t-0"].parentID == records["t-1"].parentID == main["id"]


def test_a_dag_too_big_for_one_group_cannot_keep_continue_on_failed_across_groups():
    wf = wide_dag(201, far=1)
    wf.entrypoint.steps[0][0].template.tasks[0].continue_on_failed = True
    with pytest.raises(ValidationError, match="continue_on_failed/continue_on_error tasks "
                       "cannot be kept across the groups"):
        compile_workflow(wf)


def test_a_group_reading_more_values_than_argo_lets_a_template_take_is_refused():
    reads = 5
    take = ShellOPTemplate(name="take", script="echo",
                           inputs=Inputs(parameters={f"v{k}": InputParameter()
                                                     for k in range(reads)}))
    producers = [Task(f"p-{i}", PythonOPTemplate(Inc), parameters={"x": i}) for i in range(600)]
    readers = [Task(f"r-{j}", take, parameters={
        f"v{k}": producers[j * reads + k].outputs.parameters["y"] for k in range(reads)})
        for j in range(101)]
    wf = Workflow("many-reads", dag=DAG("many", tasks=producers + readers))
    with pytest.raises(ValidationError, match="Argo's cap on a template's input parameters"):
        compile_workflow(wf)


def test_a_task_waiting_across_groups_for_a_task_that_may_be_skipped_checks_its_status():
    """Unsplit, t-101 waits for (t-100.Succeeded): if t-100 is skipped by its when, t-101 does
    not start. Split, t-100's status travels to t-101's group and guards it with when."""
    wf = wide_dag(201, far=1)
    dag = wf.entrypoint.steps[0][0].template
    dag.tasks[100].when = "{{inputs.parameters.start}} == 0"
    templates = templates_of(compile_workflow(wf))
    first, second = templates["big-g0"], templates["big-g1"]
    t101 = next(t for t in second["dag"]["tasks"] if t["name"] == "t-101")
    ref = next(o["name"] for o in first["outputs"]["parameters"]
               if o["valueFrom"]["parameter"] == "{{tasks.t-100.status}}")
    assert t101["when"] == "{{inputs.parameters.%s}} == Succeeded" % ref
    assert "depends" not in t101
    assert not any("when" in t for t in second["dag"]["tasks"] if t["name"] != "t-101")

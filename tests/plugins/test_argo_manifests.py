"""Workflows using the executors compile to manifests Argo accepts (schema.json + Argo's rules)."""
import json

import pytest

from dflow_nb import Step, Workflow, argo_range
from dflow_nb.argo import compile as compile_mod
from dflow_nb.argo import schema
from dflow_nb.plugins.container import ContainerExecutor
from dflow_nb.plugins.dispatcher import DispatcherExecutor
from dflow_nb.python import PythonOPTemplate, Slices
from tests.plugins.executor_helpers import Square, SquareAll, shell_upper

if schema.schema_path() is None:
    pytest.skip("Argo's schema.json is not available (set DFLOW_NB_SHARED)", allow_module_level=True)


def manifest_of(wf):
    m = compile_mod.compile_workflow(wf)
    errors = schema.manifest_errors(m)
    assert not errors, "\n".join(errors)
    return m


def leaf_templates(m):
    return [t for t in m["spec"]["templates"] if "script" in t or "container" in t]


def workflow(executor, name):
    """A plain OP step, a 20-item loop and a 20-slice step, all through ``executor``."""
    wf = Workflow(name)
    sq = Step("sq", PythonOPTemplate(Square, image="python:3.11"), parameters={"x": 3},
              executor=executor)
    fan = Step("fan", PythonOPTemplate(Square, image="python:3.11"),
               parameters={"x": "{{item}}"}, with_param=argo_range(20), executor=executor)
    sl = Step("sl", PythonOPTemplate(SquareAll, image="python:3.11",
                                     slices=Slices(input_parameter=["xs"],
                                                   output_parameter=["ys"])),
              parameters={"xs": list(range(20))}, executor=executor)
    wf.add([sq, fan, sl])
    return wf


@pytest.mark.parametrize("kind", ["slurm-ssh", "shell-local", "merged"])
def test_dispatcher_workflows_compile_to_valid_manifests(kind):
    if kind == "slurm-ssh":
        ex = DispatcherExecutor(host="hpc.example.org", username="alice", queue_name="debug",
                                private_key_file="/secrets/id_rsa", remote_root="/scratch/alice")
    elif kind == "shell-local":
        ex = DispatcherExecutor(machine_dict={"batch_type": "Shell",
                                              "context_type": "LazyLocalContext"})
    else:
        ex = DispatcherExecutor(host="hpc.example.org", merge_sliced_step=True)
    m = manifest_of(workflow(ex, f"dispatch-{kind}"))
    leaves = leaf_templates(m)
    assert leaves
    for t in leaves:
        body = t["script"]
        assert body["image"] == ex.image  # the dispatcher pod submits, as in Dflow
        assert "dflow_nb.plugins.dispatcher_run" in body["source"]
        env = {e["name"]: e.get("value") for e in body.get("env", [])}
        assert env["DFLOW_NB_POD"] == "{{pod.name}}"
    assert "hunter2" not in json.dumps(m)


def test_a_shell_template_through_the_dispatcher_compiles():
    ex = DispatcherExecutor(host="hpc.example.org", queue_name="debug")
    wf = Workflow("dispatch-shell")
    sq = Step("sq", PythonOPTemplate(Square), parameters={"x": 1}, executor=ex)
    wf.add(sq)
    t = shell_upper(image="busybox")
    t.inputs.artifacts["text"].optional = True
    wf.add(Step("sh", t, parameters={"n": sq.outputs.parameters["y"]}, executor=ex))
    m = manifest_of(wf)
    sh = [t for t in leaf_templates(m) if t["name"].startswith("upper")][0]
    env = {e["name"]: e.get("value") for e in sh["script"]["env"]}
    assert "{{inputs.parameters.n}}" in env["DFLOW_NB_SCRIPT"]  # Argo fills the tags in


def test_container_executor_workflows_compile_to_valid_manifests():
    ex = ContainerExecutor(podman="podman")
    wf = Workflow("podman-argo")
    wf.add(Step("sq", PythonOPTemplate(Square, image="python:3.11"), parameters={"x": 3},
                executor=ex))
    wf.add(Step("fan", PythonOPTemplate(Square, image="python:3.11"),
                parameters={"x": "{{item}}"}, with_param=argo_range(20), executor=ex))
    m = manifest_of(wf)
    for t in leaf_templates(m):
        assert "dflow_nb.plugins.container_run" in t["script"]["source"]


def test_a_plain_password_never_reaches_a_manifest():
    ex = DispatcherExecutor(host="hpc.example.org", password="hunter2")
    wf = Workflow("dispatch-password")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 1}, executor=ex))
    with pytest.raises(Exception) as info:
        compile_mod.compile_workflow(wf)
    assert "hunter2" not in str(info.value)
    assert "secretKeyRef" in str(info.value)

"""In Argo mode a sliced step rendered by an executor still gets its slice.

The compiled manifest is loaded back (``Workflow.from_dict``) and run by the local engine, which
then knows nothing of slices: each pod finds its slice only through the manifest's wiring (the
``dflow_slice`` argument reaching the script as DFLOW_NB_ARGO_SLICE), and its job runs on the
real one-node Slurm of the tests.
"""
import json
import sys

import pytest

from dflow_nb import Step, Workflow
from dflow_nb.argo import compile as compile_mod
from dflow_nb.argo import schema
from dflow_nb.plugins._render import argo_slice
from dflow_nb.plugins.container import ContainerExecutor
from dflow_nb.plugins.dispatcher import DispatcherExecutor
from dflow_nb.python import PythonOPTemplate, Slices
from tests.plugins.executor_helpers import SquareAll

if schema.schema_path() is None:
    pytest.skip("Argo's schema.json is not available (set DFLOW_NB_SHARED)", allow_module_level=True)

N = 20


def sliced_workflow(ex, name: str, group_size=None) -> Workflow:
    wf = Workflow(name)
    t = PythonOPTemplate(SquareAll, image="python:3.11",
                         slices=Slices(input_parameter=["xs"], output_parameter=["ys"],
                                       group_size=group_size))
    wf.add(Step("sq", t, parameters={"xs": list(range(N))}, executor=ex))
    return wf


def slurm_ex(tmp_path, **kw) -> DispatcherExecutor:
    return DispatcherExecutor(machine_dict={"batch_type": "Slurm", "context_type": "LocalContext",
                                            "remote_root": str(tmp_path / "remote")},
                              python=sys.executable, check_interval=0.2, submission_timeout=90,
                              **kw)


def compiled(wf):
    m = compile_mod.compile_workflow(wf)
    errors = schema.manifest_errors(m)
    assert not errors, "\n".join(errors)
    return m


def the_step(m):
    entry = next(t for t in m["spec"]["templates"] if t["name"] == m["spec"]["entrypoint"])
    return entry["steps"][0][0]


def template(m, name):
    return next(t for t in m["spec"]["templates"] if t["name"] == name)


def test_rendered_sliced_templates_carry_the_slice_wiring():
    for ex in (DispatcherExecutor(host="hpc.example.org"), ContainerExecutor(podman="podman")):
        t = PythonOPTemplate(SquareAll, image="python:3.11",
                             slices=Slices(input_parameter=["xs"], output_parameter=["ys"]))
        r = ex.render(t)
        assert r.takes_slice is True
        assert r.inputs.parameters["dflow_slice"].value == ""
        assert r.envs["DFLOW_NB_ARGO_SLICE"] == "{{inputs.parameters.dflow_slice}}"
        assert "dflow_slice" not in t.inputs.parameters  # the original is untouched
    merged = DispatcherExecutor(host="hpc.example.org", merge_sliced_step=True).render(t)
    assert not getattr(merged, "takes_slice", False)  # one pod runs every slice


def test_argo_slice_argument_becomes_slice_fields():
    arg = {"index": 3, "input_parameter": ["xs"], "input_artifact": [], "output_parameter": ["ys"],
           "output_artifact": [], "pool_size": None, "create_dir": False}
    assert argo_slice(json.dumps(arg)) == arg
    grouped = dict(arg, index=1, group={"size": 4, "shuffle": False, "seed": 0, "n": 10})
    assert argo_slice(json.dumps(grouped))["index"] == [4, 5, 6, 7]
    last = dict(grouped, index=2)
    assert argo_slice(json.dumps(last))["index"] == [8, 9]


def test_a_20_slice_dispatched_step_compiles_with_its_slice_wired():
    m = compiled(sliced_workflow(DispatcherExecutor(host="hpc.example.org"), "argo-slices"))
    step = the_step(m)
    assert step["withSequence"] == {"count": str(N)}
    args = {p["name"]: p["value"] for p in step["arguments"]["parameters"]}
    assert json.loads(args["dflow_slice"].replace("{{item}}", "7"))["index"] == 7
    t = template(m, step["template"])
    assert "dflow_slice" in [p["name"] for p in t["inputs"]["parameters"]]
    env = {e["name"]: e.get("value") for e in t["script"]["env"]}
    assert env["DFLOW_NB_ARGO_SLICE"] == "{{inputs.parameters.dflow_slice}}"


@pytest.mark.no_manifest_check  # checked here, before it is loaded back
def test_the_manifest_run_back_gives_each_slurm_job_its_slice(slurm, tmp_path):
    m = compiled(sliced_workflow(slurm_ex(tmp_path), "argo-slices-run"))
    wf = Workflow.from_dict(m)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    pods = [s for s in wf.query_step(type="Pod")]
    assert len(pods) == N
    # each slice's record reads as its own element of the sliced output, as its OP returned it
    got = [p.outputs.parameters["ys"].value for p in pods]
    assert sorted(got) == [i * i for i in range(N)]
    ids = {(p.executor or {}).get("jobs", [{}])[0].get("job_id") for p in pods
           if getattr(p, "executor", None)}
    assert not ids or len(ids) == N  # one Slurm job per slice, where the record shows it


@pytest.mark.no_manifest_check  # checked here, before it is loaded back
def test_a_merged_sliced_step_counts_its_slices_on_argo(slurm, tmp_path):
    m = compiled(sliced_workflow(slurm_ex(tmp_path, merge_sliced_step=True), "argo-merged"))
    step = the_step(m)
    assert "withSequence" not in step and "withParam" not in step  # one pod, one Slurm job
    wf = Workflow.from_dict(m)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    rec = wf.query_step(name="sq")[0]
    v = rec.outputs.parameters["ys"].value
    assert (v if isinstance(v, list) else json.loads(v)) == [i * i for i in range(N)]

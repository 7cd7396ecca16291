"""compile(load(m)) gives m back, up to the documented normalisations (dflow_nb/argo/load.py)."""
import copy
import json
from pathlib import Path

import pytest
import yaml

from dflow_nb import Workflow
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.argo.load import load_workflow
from dflow_nb.model.templates import ResourceOPTemplate

MANIFESTS = sorted((Path(__file__).parent / "manifests").glob("*.yaml"))
INT_OR_STRING = ("activeDeadlineSeconds", "limit", "count", "start", "end", "factor")


def normalise(manifest):
    """What the loader documents: IntOrString as strings, input ``default`` as ``value``."""
    m = copy.deepcopy(manifest)

    def walk(x, parent_key=None):
        if isinstance(x, dict):
            for k, v in list(x.items()):
                if k in INT_OR_STRING and isinstance(v, int) and not isinstance(v, bool):
                    x[k] = str(v)
                else:
                    walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, parent_key)

    walk(m)
    if isinstance(manifest["spec"].get("activeDeadlineSeconds"), int):   # an integer in the spec
        m["spec"]["activeDeadlineSeconds"] = manifest["spec"]["activeDeadlineSeconds"]
    for t in m["spec"]["templates"]:
        for p in (t.get("inputs") or {}).get("parameters") or []:
            if "default" in p and "value" not in p:
                p["value"] = str(p.pop("default"))
    return m


def canon(m):
    return json.dumps(m, sort_keys=True, indent=1)


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.stem for p in MANIFESTS])
def test_hand_written_manifest_round_trips(path):
    manifest = next(yaml.safe_load_all(path.read_text()))
    again = compile_workflow(load_workflow(manifest))
    assert canon(again) == canon(normalise(manifest))


def test_yaml_round_trip_through_workflow_methods():
    path = MANIFESTS[0]
    text = path.read_text().split("\n---\n")[0]
    wf = Workflow.from_yaml(text)
    assert canon(Workflow.from_yaml(wf.to_yaml()).to_dict()) == canon(wf.to_dict())


def test_unknown_fields_are_kept():
    manifest = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": "keep-extras", "labels": {"team": "a"}},
        "spec": {"entrypoint": "main", "serviceAccountName": "runner",
                 "podMetadata": {"labels": {"x": "y"}},
                 "templates": [
                     {"name": "main", "failFast": False, "steps": [[
                         {"name": "s", "template": "leaf", "onExit": "leaf"}]]},
                     {"name": "leaf", "podSpecPatch": "{}", "priorityClassName": "high",
                      "script": {"image": "alpine:3", "command": ["sh"], "source": "true",
                                 "securityContext": {"runAsUser": 1000}},
                      "outputs": {"parameters": [{"name": "p", "valueFrom": {
                          "path": "/tmp/p", "default": "d", "supplied": {}}}]}},
                     {"name": "unused", "container": {"image": "alpine:3"}}]}}
    again = compile_workflow(load_workflow(manifest))
    assert canon(again) == canon(manifest)


def test_a_compiled_workflow_round_trips():
    from dflow_nb import InputParameter, Inputs, OutputParameter, Outputs, ShellOPTemplate, Step
    tmpl = ShellOPTemplate(name="t", script="echo {{inputs.parameters.x}} > /tmp/o",
                           inputs=Inputs(parameters={"x": InputParameter(value=1)}),
                           outputs=Outputs(parameters={"o": OutputParameter(
                               value_from_path="/tmp/o", default="none", global_name="g")}),
                           retry_strategy={"limit": 2}, timeout=10, envs={"A": "b"},
                           requests={"cpu": "1"}, limits={"memory": "1Gi"},
                           node_selector={"disk": "ssd"})
    wf = Workflow("rt", parameters={"p": [1, 2]})
    wf.add(Step("a", tmpl, parameters={"x": 5}, continue_on_error=True))
    wf.add(Step("b", tmpl, parameters={"x": "{{steps.a.outputs.parameters.o}}"},
                when="{{steps.a.status}} == Succeeded", with_param=[1, 2, 3]))
    m = wf.to_dict()
    assert canon(compile_workflow(load_workflow(m))) == canon(m)


def _slurm_workflow(workdir):
    from dflow_nb import OutputParameter, Outputs, ShellOPTemplate, Step
    from dflow_nb.plugins.slurm import SlurmJobTemplate
    wf = Workflow("wlm-rt")
    t = ShellOPTemplate(name="up", script="echo hi > /tmp/o", outputs=Outputs(parameters={
        "o": OutputParameter(value_from_path="/tmp/o")}))
    ex = SlurmJobTemplate(header="#SBATCH --time=7\nexport A=1",
                          node_selector={"wlm.sylabs.io/containers": "singularity"},
                          workdir=workdir)
    wf.add(Step("up", t, executor=ex))
    return wf


def test_a_compiled_slurm_job_template_round_trips(validate_manifest):
    """SlurmJobTemplate's ``resource`` template (a wlm-operator SlurmJob) loads back and compiles
    to the same manifest; loaded locally it runs the SlurmJob's batch script with sbatch."""
    import yaml
    m = validate_manifest(compile_workflow(_slurm_workflow("/shared/jobs")))
    wf = Workflow.from_dict(m)
    assert canon(compile_workflow(wf)) == canon(m)
    res = next(t for t in m["spec"]["templates"] if "resource" in t)
    tmpl = _templates(wf.entrypoint)[res["name"]]
    assert isinstance(tmpl, ResourceOPTemplate)
    batch = yaml.safe_load(res["resource"]["manifest"])["spec"]["batch"]
    local = tmpl.stand_in()
    assert local.envs["DFLOW_NB_BATCH"] == batch
    assert "d='{{inputs.parameters.jobdir}}'" in local.script and "sbatch --wait" in local.script


def test_a_loaded_resource_template_runs_locally_with_a_clear_failure(tmp_path):
    """Loaded back, the SlurmJobTemplate steps run on the local engine as before (prepare fails
    without the shared directory); a non-Slurm resource says it needs Argo."""
    wf = Workflow.from_dict(compile_workflow(_slurm_workflow("/nonexistent/dflow-nb-rt")))
    wf.submit(wait=True)
    assert wf.query_status() == "Failed"
    assert any("/nonexistent/dflow-nb-rt is not there" in (s.message or "") or
               "/nonexistent/dflow-nb-rt is not there" in _log(s) for s in wf.query_step())
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": "cm"}, "spec": {"entrypoint": "main", "templates": [
                    {"name": "main", "steps": [[{"name": "make", "template": "make"}]]},
                    {"name": "make", "resource": {"action": "create", "manifest":
                                                  "apiVersion: v1\nkind: ConfigMap\n"}}]}}
    wf = Workflow.from_dict(manifest)
    assert canon(compile_workflow(wf)) == canon(manifest)
    wf.submit(wait=True)
    assert wf.query_status() == "Failed"
    assert any("needs Argo" in (s.message or "") or "needs Argo" in _log(s)
               for s in wf.query_step())


def _log(step):
    p = Path(step.dir) / "log.txt" if getattr(step, "dir", None) else None
    return p.read_text(errors="replace") if p is not None and p.exists() else ""


def _templates(tmpl, seen=None):
    seen = {} if seen is None else seen
    if tmpl.name in seen:
        return seen
    seen[tmpl.name] = tmpl
    for group in getattr(tmpl, "steps", None) or []:
        for s in group if isinstance(group, list) else [group]:
            _templates(s.template, seen)
    for t in getattr(tmpl, "tasks", None) or []:
        _templates(t.template, seen)
    return seen

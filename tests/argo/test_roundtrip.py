"""compile(load(m)) gives m back, up to the documented normalisations (dflow_nb/argo/load.py)."""
import copy
import json
from pathlib import Path

import pytest
import yaml

from dflow_nb import Workflow
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.argo.load import load_workflow

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

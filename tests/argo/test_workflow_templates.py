"""WorkflowTemplates and ClusterWorkflowTemplates: ``templateRef`` and ``workflowTemplateRef``
resolve against a registry (a folder, ``register_workflow_template``) on the local engine, and
on Argo submit creates the ones the server lacks. The manifests are hand-written."""
import pytest
import yaml

from dflow_nb import (
    ValidationError,
    Workflow,
    config,
    register_workflow_template,
    unregister_workflow_templates,
)
from dflow_nb.argo.backend import ArgoBackend
from dflow_nb.argo.client import ArgoClient
from tests.argo.argo_server import FakeArgo, swagger_path

LIBRARY = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: greetings}
spec:
  templates:
  - name: greet
    inputs: {parameters: [{name: who, value: nobody}]}
    container: {image: alpine:3, command: [echo, "hi {{inputs.parameters.who}}"]}
  - name: twice
    inputs: {parameters: [{name: who}]}
    steps:
    - - {name: first, template: greet, arguments: {parameters: [{name: who, value: "{{inputs.parameters.who}}"}]}}
    - - {name: second, templateRef: {name: shouting, template: shout, clusterScope: true},
         arguments: {parameters: [{name: who, value: "{{inputs.parameters.who}}"}]}}
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: shouting}
spec:
  entrypoint: shout
  arguments: {parameters: [{name: who, value: everyone}]}
  templates:
  - name: shout
    inputs: {parameters: [{name: who}]}
    script: {image: alpine:3, command: [sh], source: 'echo "HEY {{inputs.parameters.who}}"'}
"""

CALLER = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: caller-}
spec:
  entrypoint: main
  templates:
  - name: greet            # the caller's own template of the same name as the library's
    container: {image: alpine:3, command: [echo, local]}
  - name: main
    dag:
      tasks:
      - {name: a, templateRef: {name: greetings, template: greet},
         arguments: {parameters: [{name: who, value: ann}]}}
      - {name: b, depends: a, templateRef: {name: greetings, template: twice},
         arguments: {parameters: [{name: who, value: bob}]}}
      - {name: c, depends: a, template: greet}
"""

FROM_TEMPLATE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: from-template-}
spec:
  arguments: {parameters: [{name: who, value: carol}]}
  workflowTemplateRef: {name: shouting, clusterScope: true}
"""


@pytest.fixture(autouse=True)
def empty_registry():
    unregister_workflow_templates()
    yield
    unregister_workflow_templates()


def _results(wf):
    return {n.displayName: n.raw_outputs.get("result") for n in wf.query_nodes()
            if n.type == "Pod"}


def test_template_refs_run_locally_from_a_folder(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "library.yaml").write_text(LIBRARY)
    (tmp_path / "lib" / "notes.txt").write_text("not a manifest")
    wf = Workflow.from_yaml(CALLER, templates=tmp_path / "lib")
    assert wf.submit(wait=True).phase == "Succeeded"
    assert _results(wf) == {"a": "hi ann", "first": "hi bob", "second": "HEY bob", "c": "local"}


def test_registered_templates_and_workflow_template_ref(monkeypatch):
    names = register_workflow_template(LIBRARY)
    assert names == ["greetings", "shouting"]
    wf = Workflow.from_yaml(FROM_TEMPLATE)   # the Workflow's argument overrides the template's
    assert wf.submit(wait=True).phase == "Succeeded"
    assert list(_results(wf).values()) == ["HEY carol"]


def test_configured_folder_and_one_text_with_all_documents(tmp_path, monkeypatch):
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    monkeypatch.setitem(config, "workflow_templates_dir", str(tmp_path))
    assert Workflow.from_yaml(CALLER).submit(wait=True).phase == "Succeeded"
    monkeypatch.setitem(config, "workflow_templates_dir", None)
    wf = Workflow.from_yaml(CALLER + "---\n" + LIBRARY)
    assert wf.submit(wait=True).phase == "Succeeded"


def test_a_missing_template_is_named():
    with pytest.raises(ValidationError) as info:
        Workflow.from_yaml(CALLER)
    assert "WorkflowTemplate 'greetings'" in str(info.value)
    assert "register_workflow_template" in str(info.value)
    register_workflow_template(LIBRARY.split("---")[0])   # greetings only: shouting is missing
    with pytest.raises(ValidationError, match="ClusterWorkflowTemplate 'shouting'"):
        Workflow.from_yaml(CALLER)
    with pytest.raises(ValidationError, match="no WorkflowTemplate in it"):
        register_workflow_template(CALLER)


def test_the_manifest_still_names_the_templates(validate_manifest):
    register_workflow_template(LIBRARY)
    manifest = validate_manifest(Workflow.from_yaml(CALLER).to_dict())
    tasks = {t["name"]: t for t in manifest["spec"]["templates"][0]["dag"]["tasks"]}
    assert tasks["a"]["templateRef"] == {"name": "greetings", "template": "greet"}
    assert "template" not in tasks["a"] and tasks["c"]["template"] == "greet"
    assert [t["name"] for t in manifest["spec"]["templates"]] == ["main", "greet"]
    for doc in yaml.safe_load_all(LIBRARY):
        validate_manifest(doc)


@pytest.mark.skipif(swagger_path() is None, reason="argo/swagger.json not found")
def test_submit_on_argo_creates_what_the_server_lacks(monkeypatch):
    fake = FakeArgo(token="t").start()
    try:
        backend = ArgoBackend(client=ArgoClient(fake.url, token="t", namespace="argo",
                                                retries=0))
        monkeypatch.setitem(config, "namespace", "argo")
        wf = Workflow.from_yaml(CALLER, templates=list(yaml.safe_load_all(LIBRARY)))
        backend.submit(wf, {})
        assert set(fake.templates) == {("argo", "greetings"), ("", "shouting")}
        backend.submit(wf, {})   # already there: nothing created twice
        assert len(fake.calls("WorkflowTemplateService_CreateWorkflowTemplate")) == 1
        assert len(fake.calls("WorkflowService_CreateWorkflow")) == 2

        fake.templates.clear()
        bare = Workflow.from_yaml(CALLER, templates=list(yaml.safe_load_all(LIBRARY)))
        from dflow_nb.argo._extra import WORKFLOW_TEMPLATES, keep
        keep(bare, WORKFLOW_TEMPLATES, {})   # as if loaded elsewhere: nothing to create from
        with pytest.raises(ValidationError) as info:
            backend.submit(bare, {})
        assert "WorkflowTemplate 'greetings'" in str(info.value)
        assert "neither on the Argo server nor registered" in str(info.value)
        assert fake.violations == []
    finally:
        fake.stop()


def test_templates_alone_are_not_a_workflow():
    with pytest.raises(ValidationError, match="not one of them a Workflow"):
        Workflow.from_yaml(LIBRARY)
    with pytest.raises(ValidationError, match="not an Argo Workflow"):
        Workflow.from_yaml(LIBRARY.split("---")[0])
    with pytest.raises(ValidationError, match="no such folder or file"):
        Workflow.from_yaml(CALLER, templates="/nonexistent/templates")

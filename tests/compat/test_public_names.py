"""Dflow's public names beyond the core, as its documentation describes them: Secret and
DockerSecret, HookStep, Context, Resource, query_archived_workflows, gen_code, and the ones
that need a cluster (``OutputArtifact.pvc()``, ``Artifact(HDF5Datasets)``), which say so."""
import hashlib
import pickle
from pathlib import Path

import pytest

import dflow_nb
from dflow_nb import (
    Context,
    DflowNbError,
    DockerSecret,
    HookStep,
    OutputArtifact,
    OutputParameter,
    Resource,
    Secret,
    ShellOPTemplate,
    Step,
    Workflow,
    gen_code,
    query_archived_workflows,
)
from dflow_nb.python import Artifact, HDF5Datasets

VALUE = "s3cr3t-value-9f1c"


def shell(name, script, **outputs):
    t = ShellOPTemplate(name=name, script=script)
    t.outputs.parameters = {k: OutputParameter(value_from_path=p) for k, p in outputs.items()}
    return t


def leaves(manifest):
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def test_a_secret_reaches_the_step_and_never_the_manifest_or_the_state(tmp_path):
    tmpl = shell("use-secret", 'printf %s "$TOKEN" | sha256sum | cut -c1-16 > /tmp/seen',
                 seen="/tmp/seen")
    tmpl.envs = {"TOKEN": Secret(VALUE, name="api", key="token")}
    wf = Workflow("secret")
    wf.add(Step("use", tmpl))
    manifest = wf.to_dict()
    assert VALUE not in repr(manifest) and VALUE not in repr(tmpl.envs)
    env = leaves(manifest)["use-secret"]["script"]["env"]
    assert env == [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api",
                                                                    "key": "token"}}}]
    wf.submit()
    digest = hashlib.sha256(VALUE.encode()).hexdigest()[:16]
    assert wf.query_step(name="use")[0].outputs.parameters["seen"].value == digest
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert VALUE.encode() not in f.read_bytes(), f
    with pytest.raises(TypeError):
        pickle.dumps(tmpl.envs["TOKEN"])
    assert tmpl.deepcopy().envs["TOKEN"] is tmpl.envs["TOKEN"]   # templates still copy


def test_a_secret_known_only_by_name_fails_locally_saying_why():
    tmpl = shell("named", 'echo "$TOKEN"')
    tmpl.envs = {"TOKEN": Secret(name="existing-k8s-secret")}
    wf = Workflow("named-secret")
    wf.add(Step("use", tmpl))
    wf.submit()
    step = wf.query_step(name="use")[0]
    assert step.phase == "Error"
    assert "existing Kubernetes secret" in step.message


def test_a_docker_secret_is_named_in_the_manifest_only():
    secret = DockerSecret("registry.example.org", "me", "hunter2-pw", name="regcred")
    wf = Workflow("pull", image_pull_secrets=[secret])
    wf.add(Step("hi", shell("hi", "echo hi")))
    manifest = wf.to_dict()
    assert manifest["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert "hunter2-pw" not in repr(manifest) and "hunter2-pw" not in repr(secret)
    wf.submit()
    assert wf.query_status() == "Succeeded"


def test_a_hook_step_runs_as_a_lifecycle_hook():
    marker = Path("hook-ran").resolve()
    hook = shell("note", f"echo done > {marker}")
    hook.remap_paths = False
    with Workflow("hooks") as wf:
        Step("main", shell("main", "echo main"), hooks={"exit": HookStep(template=hook)})
    assert [s.name for s in wf.entrypoint.steps[0]] == ["main"]   # the hook joined no block
    step = wf.to_dict()["spec"]["templates"][0]["steps"][0][0]
    assert step["hooks"]["exit"]["template"] == "note"
    assert wf.query_status() == "Succeeded"
    assert marker.read_text() == "done\n"


def test_a_hook_step_keeps_its_expression():
    hook = HookStep(template=shell("note", "echo x"), expression="steps.main.status == 'Failed'")
    wf = Workflow("hook-expr")
    wf.add(Step("main", shell("main", "echo main"), hooks={"failed": hook}))
    step = wf.to_dict()["spec"]["templates"][0]["steps"][0][0]
    assert step["hooks"]["failed"]["expression"] == "steps.main.status == 'Failed'"


class AddEnv(Context):
    def render(self, template):
        new = template.deepcopy()
        new.envs = {**new.envs, "FROM_CONTEXT": "yes"}
        return new


def test_a_context_renders_every_leaf():
    wf = Workflow("ctx", context=AddEnv())
    wf.add(Step("look", shell("look", 'echo "$FROM_CONTEXT" > /tmp/v', v="/tmp/v")))
    wf.submit()
    assert wf.query_step(name="look")[0].outputs.parameters["v"].value == "yes"
    with pytest.raises(TypeError):
        Context()


class Job(Resource):
    action = "create"
    success_condition = "status.phase == Done"

    def get_manifest(self, template):
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {template.name}\n"


def test_a_step_with_a_resource_becomes_a_resource_template():
    wf = Workflow("res")
    wf.add(Step("job", shell("job", "echo hi"), use_resource=Job()))
    res = leaves(wf.to_dict())["job-resource"]["resource"]
    assert res["action"] == "create" and "kind: ConfigMap" in res["manifest"]
    assert res["successCondition"] == "status.phase == Done"
    wf.submit()
    step = wf.query_step(name="job")[0]
    assert step.phase == "Failed" and "needs Argo" in wf.logs("job")


def test_archived_workflows_are_the_ended_runs(tmp_path):
    done = Workflow("arch-a", labels={"team": "a"})
    done.add(Step("hi", shell("hi", "echo hi")))
    done.submit()
    other = Workflow("arch-b", labels={"team": "b"})
    other.add(Step("hi", shell("hi", "echo hi")))
    other.submit()
    assert {r.id for r in query_archived_workflows()} == {done.id, other.id}
    assert [r.id for r in query_archived_workflows(labels={"team": "a"})] == [done.id]
    assert [r.id for r in query_archived_workflows(id=other.id)] == [other.id]


def test_gen_code_rebuilds_the_workflow():
    wf = Workflow("codegen")
    first = Step("first", shell("one", "echo 1 > /tmp/v", v="/tmp/v"))
    wf.add(first)
    code = gen_code(wf)
    space = {}
    exec(compile(code, "generated.py", "exec"), space)
    assert space["wf"].to_dict() == wf.to_dict()
    space["wf"].submit()
    assert space["wf"].query_step(name="first")[0].outputs.parameters["v"].value == "1"
    with pytest.raises(DflowNbError, match="graph JSON"):
        gen_code({"nodes": []})


def test_cluster_only_features_import_and_say_what_they_need():
    art = OutputArtifact(path="/tmp/x", name="x")
    with pytest.raises(DflowNbError, match="PersistentVolumeClaim"):
        art.pvc()
    with pytest.raises(NotImplementedError, match="HDF5"):
        Artifact(HDF5Datasets)


def test_every_public_name_of_dflow_is_here():
    names = ["Secret", "DockerSecret", "HookStep", "HTTPArtifact", "HTTPOPTemplate",
             "CustomArtifact", "Resource", "RemoteExecutor", "Context", "upload_s3",
             "download_s3", "copy_s3", "query_archived_workflows", "gen_code",
             "catalog_of_artifact"]
    missing = [n for n in names if not hasattr(dflow_nb, n)]
    assert missing == []

"""SlurmRemoteExecutor and SlurmJobTemplate (dflow_nb.plugins.slurm), on the real one-node Slurm.

What cannot be shown here: SSH to a cluster (no SSH server: ``host="localhost"`` submits with
sbatch directly, the SSH path is DispatcherExecutor's SSHContext) and wlm-operator itself (no
Kubernetes: the SlurmJob manifest is checked for shape, and the local engine plays the
operator's part by running the same batch script with ``sbatch --wait``).
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from dflow_nb import ShellOPTemplate, Step, Workflow, upload_artifact
from dflow_nb.argo import schema
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.plugins.slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor, split_header
from dflow_nb.python import PythonOPTemplate
from tests.plugins.executor_helpers import Square, Upper, failure_text, shell_upper

HEADER = "#!/bin/bash\n#SBATCH --time=7\n#SBATCH --comment=dflow-nb-header\nexport GREETING=hi\n"


def local_executor(tmp_path, **kw) -> SlurmRemoteExecutor:
    return SlurmRemoteExecutor(host="localhost", header=HEADER, workdir=str(tmp_path / "remote"),
                               interval=0.2, submission_timeout=90, python=sys.executable, **kw)


def scontrol(job_id: str) -> dict:
    done = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                          timeout=20)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"(\w+)=(\S*)", done.stdout))


@pytest.fixture
def shared_dir():
    """A job directory outside /tmp (the engine maps /tmp paths to each step's own dir)."""
    d = Path(tempfile.mkdtemp(prefix="dflow-nb-wlm-", dir="/var/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


# -- SlurmRemoteExecutor -------------------------------------------------------------------------

def test_header_becomes_flags_and_setup_lines():
    assert split_header(HEADER) == (["#SBATCH --time=7", "#SBATCH --comment=dflow-nb-header"],
                                    ["export GREETING=hi"])
    ex = SlurmRemoteExecutor(host="hpc.example.org", username="alice", password="hunter2",
                             header=HEADER, workdir="/scratch/{{workflow.name}}")
    assert ex.machine_dict["context_type"] == "SSHContext"
    assert ex.machine_dict["remote_profile"]["hostname"] == "hpc.example.org"
    assert ex.machine_dict["remote_root"] == "/scratch/{{workflow.name}}"
    assert ex.resources_dict["custom_flags"] == ["#SBATCH --time=7",
                                                 "#SBATCH --comment=dflow-nb-header"]
    assert ex.resources_dict["prepend_script"] == ["export GREETING=hi"]
    assert "hunter2" not in repr(ex) and "hunter2" not in str(ex.machine_dict)
    local = SlurmRemoteExecutor(host="localhost")
    assert local.machine_dict["context_type"] == "LocalContext"
    with pytest.raises(NotImplementedError, match="pvc"):
        SlurmRemoteExecutor(host="h", pvc="data")


def test_localhost_mode_runs_steps_as_slurm_jobs_with_the_header(slurm, tmp_path):
    ex = local_executor(tmp_path)
    (tmp_path / "hello.txt").write_text("hello\n")
    art = upload_artifact("hello.txt")
    greet = ShellOPTemplate(name="greet", script="echo $GREETING from $SLURM_JOB_ID")
    wf = Workflow("slurm-remote")
    wf.add([Step("shell", shell_upper(), parameters={"n": 5}, artifacts={"text": art},
                 executor=ex),
            Step("op", PythonOPTemplate(Upper), parameters={"suffix": "!"},
                 artifacts={"text": art}, executor=ex),
            Step("greet", greet, executor=ex)])
    wf.submit()
    assert wf.query_status() == "Succeeded", [(s.name, s.message, failure_text(s)[-800:])
                                              for s in wf.query_step() if s.phase != "Succeeded"]
    s = wf.query_step(name="shell")[0]
    assert s.outputs.parameters["n"].value == "5"
    assert (Path(s.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n"
    o = wf.query_step(name="op")[0]
    assert o.outputs.parameters["where"].value.isdigit()
    g = wf.query_step(name="greet")[0]
    assert re.fullmatch(r"hi from \d+", g.outputs.result)  # the header's setup line ran
    job_id = g.executor["jobs"][0]["job_id"]
    info = scontrol(job_id)
    assert info["TimeLimit"] == "00:07:00" and info["Comment"] == "dflow-nb-header"


def test_localhost_mode_reports_a_failing_job(slurm, tmp_path):
    wf = Workflow("slurm-remote-fail")
    wf.add(Step("bad", ShellOPTemplate(name="bad", script="echo nope >&2; exit 4"),
                executor=local_executor(tmp_path)))
    wf.submit()
    step = wf.query_step(name="bad")[0]
    assert step.phase == "Failed"
    assert "exit code 4" in step.message and "nope" in failure_text(step)


# -- SlurmJob / SlurmJobTemplate ----------------------------------------------------------------

def test_slurm_job_resource_is_a_wlm_operator_slurmjob():
    job = SlurmJob(header=HEADER, node_selector={"wlm.sylabs.io/containers": "singularity"},
                   batch_body="srun hostname\n")
    r = job.template("job")
    assert r.action == "create" and r.set_owner_reference is True
    assert r.success_condition == "status.status == Succeeded"
    assert r.failure_condition == "status.status in (Failed,Cancelled)"
    m = yaml.safe_load(r.manifest)
    assert m["apiVersion"] == "wlm.sylabs.io/v1alpha1" and m["kind"] == "SlurmJob"
    assert m["metadata"]["name"] == "{{pod.name}}"
    assert m["spec"]["nodeSelector"] == {"wlm.sylabs.io/containers": "singularity"}
    assert m["spec"]["batch"] == ("#!/bin/bash\n#SBATCH --time=7\n#SBATCH --comment=dflow-nb-header\n"
                                  "export GREETING=hi\nsrun hostname\n")
    assert "batch: |" in r.manifest  # readable in the manifest


def test_slurm_job_template_renders_prepare_job_collect():
    t = shell_upper()
    r = SlurmJobTemplate(header=HEADER, workdir="/shared/jobs").render(t)
    assert [s.name for group in r.steps for s in (group if isinstance(group, list) else [group])] \
        == ["prepare", "job", "collect"]
    assert list(r.inputs.parameters) == ["n"] and list(r.inputs.artifacts) == ["text"]
    assert list(r.outputs.parameters) == ["n"] and list(r.outputs.artifacts) == ["out"]
    with pytest.raises(ValueError, match="absolute"):
        SlurmJobTemplate(workdir="jobs")
    with pytest.raises(ValueError, match="script templates"):
        SlurmJobTemplate().render(PythonOPTemplate(Square))


def test_slurm_job_template_compiles_to_a_valid_manifest():
    if schema.schema_path() is None:
        pytest.skip("Argo's schema.json is not available (set DFLOW_NB_SHARED)")
    wf = Workflow("wlm-operator")
    t = shell_upper()
    t.inputs.artifacts["text"].optional = True
    ex = SlurmJobTemplate(header=HEADER, node_selector={"wlm.sylabs.io/containers": "singularity"},
                          workdir="/shared/jobs")
    wf.add(Step("up", t, parameters={"n": 3}, executor=ex))
    m = compile_workflow(wf)
    errors = schema.manifest_errors(m)
    assert not errors, "\n".join(errors)
    res = [x for x in m["spec"]["templates"] if "resource" in x]
    assert len(res) == 1 and "script" not in res[0]
    r = res[0]["resource"]
    assert r["action"] == "create" and r["successCondition"] == "status.status == Succeeded"
    job = yaml.safe_load(r["manifest"])
    assert job["kind"] == "SlurmJob" and "#SBATCH --time=7" in job["spec"]["batch"]
    assert "cd '{{inputs.parameters.jobdir}}'" in job["spec"]["batch"]
    staged = [x for x in m["spec"]["templates"] if x["name"].endswith(("-prepare", "-collect"))]
    assert len(staged) == 2
    for x in staged:
        assert x["volumes"][0]["hostPath"]["path"] == "/shared/jobs"
        assert x["script"]["volumeMounts"][0]["mountPath"] == "/shared/jobs"


def test_slurm_job_template_runs_its_batch_script_on_slurm(slurm, tmp_path, shared_dir):
    """The local engine plays wlm-operator (sbatch --wait of the SlurmJob's batch script)."""
    (tmp_path / "hello.txt").write_text("wlm\n")
    art = upload_artifact("hello.txt")
    ex = SlurmJobTemplate(header=HEADER, workdir=str(shared_dir))
    wf = Workflow("wlm-local")
    up = Step("up", shell_upper(), parameters={"n": 9}, artifacts={"text": art}, executor=ex)
    wf.add(up)
    wf.add(Step("after", shell_upper("again"), parameters={"n": up.outputs.parameters["n"]},
                artifacts={"text": up.outputs.artifacts["out"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded", [(s.name, s.phase, s.message)
                                              for s in wf.query_step()]
    s = wf.query_step(name="up")[0]
    assert s.outputs.parameters["n"].value == "9"
    assert (Path(s.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "WLM\n"
    a = wf.query_step(name="after")[0]
    assert (Path(a.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "WLM\n"
    batch = next(shared_dir.glob("*/*/batch.sh")).read_text()
    assert batch.startswith("#!/bin/bash\n#SBATCH --time=7")


def test_slurm_job_template_failure_and_missing_shared_dir(slurm, tmp_path, shared_dir):
    ex = SlurmJobTemplate(workdir=str(shared_dir))
    wf = Workflow("wlm-fail")
    wf.add(Step("bad", ShellOPTemplate(name="bad", script="echo broken >&2; exit 3"),
                executor=ex))
    wf.submit()
    assert wf.query_status() == "Failed"
    assert "broken" in "\n".join(failure_text(s) for s in wf.query_step())
    wf = Workflow("wlm-nodir")
    wf.add(Step("up", ShellOPTemplate(name="up", script="echo x"),
                executor=SlurmJobTemplate(workdir="/nonexistent/dflow-nb-shared")))
    wf.submit()
    assert wf.query_status() == "Failed"
    text = "\n".join(failure_text(s) for s in wf.query_step())
    assert "shared directory /nonexistent/dflow-nb-shared is not there" in text

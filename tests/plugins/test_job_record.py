"""The scheduler's job id and state reach the step record (``StepRecord.executor``)."""
import re
import subprocess
import sys

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.plugins.dispatcher import DispatcherExecutor
from dflow_nb.python import PythonOPTemplate
from tests.plugins.executor_helpers import Boom, Square


def slurm_executor(tmp_path) -> DispatcherExecutor:
    return DispatcherExecutor(machine_dict={"batch_type": "Slurm", "context_type": "LocalContext",
                                            "remote_root": str(tmp_path / "remote")},
                              python=sys.executable, check_interval=0.2, submission_timeout=90)


def scontrol(job_id: str) -> dict:
    """``scontrol show job`` as key=value pairs (MinJobAge keeps finished jobs for 10 min)."""
    done = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                          timeout=20)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"(\w+)=(\S*)", done.stdout))


def test_a_dispatched_step_records_its_slurm_job(slurm, tmp_path):
    wf = Workflow("job-record")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 5},
                executor=slurm_executor(tmp_path)))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    rec = wf.query_step(name="sq")[0]
    assert rec.executor["batch_type"] == "Slurm"
    job = rec.executor["jobs"][0]
    assert re.fullmatch(r"\d+", job["job_id"])
    assert job["state"] == "finished"
    info = scontrol(job["job_id"])
    assert info["JobId"] == job["job_id"]
    assert info["JobState"] == "COMPLETED"


def test_a_failed_job_is_recorded_with_its_state(slurm, tmp_path):
    wf = Workflow("job-record-fail")
    wf.add(Step("boom", PythonOPTemplate(Boom), parameters={"x": 1},
                executor=slurm_executor(tmp_path)))
    wf.submit()
    rec = wf.query_step(name="boom")[0]
    assert rec.phase == "Failed"
    job = rec.executor["jobs"][0]
    assert job["state"] in ("terminated", "finished")
    assert scontrol(job["job_id"])["JobState"] in ("FAILED", "COMPLETED")


def test_a_step_without_an_executor_has_no_job_record(tmp_path):
    wf = Workflow("job-record-none")
    wf.add(Step("plain", ShellOPTemplate(name="plain", script="echo hi")))
    wf.submit()
    assert wf.query_step(name="plain")[0].executor is None

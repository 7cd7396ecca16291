"""DispatcherExecutor on a real one-node Slurm (and DPDispatcher's Shell batch type)."""
import json
import re
import socket
import time
from pathlib import Path

import pytest

from dflow_nb import Step, Workflow, argo_range, upload_artifact
from dflow_nb.plugins.dispatcher import DispatcherExecutor
from dflow_nb.python import PythonOPTemplate, Slices
from tests.plugins.executor_helpers import (
    Boom,
    Square,
    SquareAll,
    Upper,
    failure_text,
    shell_upper,
    step_log,
)


def slurm_executor(tmp_path, **kw):
    machine = {"batch_type": "Slurm", "context_type": "LocalContext",
               "remote_root": str(tmp_path / "remote")}
    machine.update(kw.pop("machine", {}))
    kw.setdefault("check_interval", 0.2)
    kw.setdefault("submission_timeout", 90)  # a test must never wait on a queue forever
    return DispatcherExecutor(machine_dict=machine, **kw)


def text_artifact(tmp_path, content="hello\n"):
    (tmp_path / "hello.txt").write_text(content)  # the test runs in tmp_path
    return upload_artifact("hello.txt")


def slurm_ids(step) -> list:
    return re.findall(r"Slurm job (\d+) \[", step_log(step))


def run(wf):
    t0 = time.time()
    wf.submit()
    return time.time() - t0


def test_steps_and_a_20_way_fan_out_run_as_slurm_jobs(slurm, tmp_path):
    ex = slurm_executor(tmp_path)
    art = text_artifact(tmp_path)
    wf = Workflow("slurm-steps")
    shell = Step("shell", shell_upper(), parameters={"n": 7}, artifacts={"text": art}, executor=ex)
    op = Step("op", PythonOPTemplate(Upper), parameters={"suffix": "!"}, artifacts={"text": art},
              executor=ex)
    wf.add([shell, op])
    fan = Step("fan", PythonOPTemplate(Square), parameters={"x": "{{item}}"},
               with_param=argo_range(20), executor=ex)
    wf.add(fan)
    after = Step("after", shell_upper("again"), parameters={"n": shell.outputs.parameters["n"]},
                 artifacts={"text": op.outputs.artifacts["out"]}, executor=ex)
    wf.add(after)
    run(wf)
    assert wf.query_status() == "Succeeded"
    s = wf.query_step(name="shell")[0]
    assert s.outputs.parameters["n"].value == "7"
    assert (Path(s.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n"
    assert s.outputs.result == "ran 7"  # the job's stdout is the step's result
    o = wf.query_step(name="op")[0]
    assert o.outputs.parameters["where"].value.isdigit()  # ran under SLURM_JOB_ID
    assert (Path(o.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n!"
    items = wf.query_step(name="fan", type="Pod")
    assert len(items) == 20 and all(x.phase == "Succeeded" for x in items)
    assert sorted(x.outputs.parameters["y"].value for x in items) == sorted(i * i for i in range(20))
    ids = {i for x in items for i in slurm_ids(x)}
    assert len(ids) == 20  # one real Slurm job per item, each visible in its step's log
    a = wf.query_step(name="after")[0]  # outputs of dispatched steps feed the next ones
    assert (Path(a.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n!"


def test_sliced_op_fans_out_into_20_slurm_jobs(slurm, tmp_path):
    ex = slurm_executor(tmp_path)
    wf = Workflow("slurm-slices")
    step = Step("sq", PythonOPTemplate(SquareAll, slices=Slices(input_parameter=["xs"],
                                                                  output_parameter=["ys"])),
                parameters={"xs": list(range(20))}, executor=ex)
    wf.add(step)
    run(wf)
    assert wf.query_status() == "Succeeded"
    items = wf.query_step(name="sq", type="Pod")
    assert len(items) == 20
    got = sorted(x.outputs.parameters["ys"].value for x in items)   # each slice's own value
    assert got == [i * i for i in range(20)]
    assert len({i for x in items for i in slurm_ids(x)}) == 20


def test_merged_slices_run_as_one_slurm_job(slurm, tmp_path):
    ex = slurm_executor(tmp_path, merge_sliced_step=True)
    wf = Workflow("slurm-merged")
    step = Step("sq", PythonOPTemplate(SquareAll, slices=Slices(input_parameter=["xs"],
                                                                  output_parameter=["ys"])),
                parameters={"xs": list(range(20))}, executor=ex)
    wf.add(step)
    run(wf)
    assert wf.query_status() == "Succeeded"
    rec = wf.query_step(name="sq")[0]
    assert rec.outputs.parameters["ys"].value == [i * i for i in range(20)]
    pods = [x for x in wf.query_step() if x.type == "Pod"]
    assert len({i for p in pods for i in slurm_ids(p)}) == 1


def test_a_failing_job_fails_the_step_with_the_jobs_message(slurm, tmp_path):
    ex = slurm_executor(tmp_path)
    wf = Workflow("slurm-fail")
    wf.add(Step("boom", PythonOPTemplate(Boom), parameters={"x": 4}, executor=ex))
    run(wf)
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="boom")[0]
    assert step.phase == "Failed"
    text = failure_text(step)
    assert "boom on 4" in text and "Slurm job failed" in text
    assert slurm_ids(step)  # the job id is in the step's log
    assert "boom on 4" in step.message


def test_shell_script_failure_keeps_its_exit_code(slurm, tmp_path):
    from dflow_nb import ShellOPTemplate
    ex = slurm_executor(tmp_path)
    t = ShellOPTemplate(name="exit3", script="echo about to fail >&2; exit 3")
    wf = Workflow("slurm-exit")
    wf.add(Step("exit3", t, executor=ex))
    run(wf)
    step = wf.query_step(name="exit3")[0]
    assert step.phase == "Failed"
    assert "exit code 3" in step.message  # the job's own exit code, not DPDispatcher's 1
    assert "about to fail" in failure_text(step)


def test_shell_batch_type_runs_steps_too(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ex = DispatcherExecutor(machine_dict={"batch_type": "Shell", "context_type": "LazyLocalContext"},
                            check_interval=0.2)
    art = text_artifact(tmp_path, "shell batch\n")
    wf = Workflow("shell-batch")
    wf.add([Step("shell", shell_upper(), parameters={"n": "a b"}, artifacts={"text": art},
                 executor=ex),
            Step("op", PythonOPTemplate(Upper), parameters={"suffix": "?"},
                 artifacts={"text": art}, executor=ex)])
    run(wf)
    assert wf.query_status() == "Succeeded"
    s = wf.query_step(name="shell")[0]
    assert s.outputs.parameters["n"].value == "a b"
    assert (Path(s.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "SHELL BATCH\n"
    o = wf.query_step(name="op")[0]
    assert o.outputs.parameters["where"].value == "host"
    assert "Shell job" in step_log(o)


def test_nonexistent_queue_fails_with_the_schedulers_words(slurm, tmp_path):
    ex = slurm_executor(tmp_path, queue_name="no-such-partition")
    wf = Workflow("slurm-queue")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 2}, executor=ex))
    t = run(wf)
    step = wf.query_step(name="sq")[0]
    assert step.phase in ("Failed", "Error")
    assert "invalid partition" in failure_text(step).lower()
    assert t < 30


def test_rejected_sbatch_fails_the_step(slurm, tmp_path):
    ex = slurm_executor(tmp_path, resources_dict={"custom_flags": ["#SBATCH --no-such-flag=1"]})
    wf = Workflow("slurm-reject")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 2}, executor=ex))
    t = run(wf)
    step = wf.query_step(name="sq")[0]
    assert step.phase in ("Failed", "Error")
    text = failure_text(step)
    assert "sbatch" in text and "no-such-flag" in text
    assert t < 30


def test_a_job_the_partition_can_never_run_fails_instead_of_pending(slurm, tmp_path):
    ex = slurm_executor(tmp_path, resources_dict={"cpu_per_node": 64})  # the node has 8
    wf = Workflow("slurm-hopeless")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 2}, executor=ex))
    t = run(wf)
    step = wf.query_step(name="sq")[0]
    assert step.phase in ("Failed", "Error")
    assert "can never start (pending reason: PartitionConfig)" in failure_text(step)
    assert t < 30


@pytest.mark.no_manifest_check  # a literal SSH password: the Argo compiler refuses it on purpose
def test_unreachable_host_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    ex = DispatcherExecutor(host="127.0.0.1", port=port, username="nobody", password="s3cret!",
                            remote_root="/tmp/nowhere")
    wf = Workflow("ssh-unreachable")
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 2}, executor=ex))
    t = run(wf)
    step = wf.query_step(name="sq")[0]
    assert step.phase == "Failed"
    text = failure_text(step)
    assert f"cannot reach SSH host 127.0.0.1:{port}" in text
    assert "s3cret!" not in text
    assert t < 20


def test_password_stays_out_of_reprs_specs_and_scripts():
    ex = DispatcherExecutor(host="hpc.example.org", password="hunter2", queue_name="q")
    assert "hunter2" not in repr(ex)
    rendered = ex.render(PythonOPTemplate(Square))
    assert "hunter2" not in rendered.script
    assert "hunter2" not in repr(rendered.envs)
    assert "hunter2" not in json.dumps(ex.machine_dict)
    assert rendered.envs["DFLOW_NB_SSH_PASSWORD"] == "hunter2"  # handed over out of band


def test_render_keeps_the_interface_and_never_mutates_the_template():
    t = shell_upper()
    before = (t.script, t.command, dict(t.envs))
    r = DispatcherExecutor(machine_dict={"batch_type": "Shell",
                                         "context_type": "LazyLocalContext"}).render(t)
    assert (t.script, t.command, dict(t.envs)) == before
    assert list(r.inputs.parameters) == ["n"] and list(r.inputs.artifacts) == ["text"]
    assert list(r.outputs.parameters) == ["n"] and list(r.outputs.artifacts) == ["out"]
    assert r.name != t.name and r.name.startswith(t.name)
    assert r.command == ["python3"]


def test_bad_configuration_is_refused_early():
    with pytest.raises(ValueError, match="batch_type"):
        DispatcherExecutor(machine_dict={"batch_type": "Condor", "context_type": "LocalContext"})
    with pytest.raises(ValueError, match="needs host"):
        DispatcherExecutor()
    with pytest.raises(ValueError, match="check_interval"):
        DispatcherExecutor(host="h", check_interval=0)

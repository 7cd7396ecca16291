"""Deadlines, failFast and parallelism behave as in Argo."""
import time
from pathlib import Path

from dflow_nb import DAG, OutputParameter, ShellOPTemplate, Step, Steps, Task, Workflow, argo_range
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


def sh(name, script, **kw):
    return ShellOPTemplate(name=name, script=script, **kw)


def intervals(wf, name):
    return sorted((s.startedAt, s.finishedAt) for s in wf.query_step(name=name) if s.type == "Pod")


def overlaps(spans):
    return any(b[0] < a[1] - 0.01 for a, b in zip(spans, spans[1:]))


def test_active_deadline_seconds_stops_the_step():
    wf = Workflow("deadline")
    wf.add(Step("slow", sh("slow", "sleep 30", active_deadline_seconds=1)))
    begin = time.monotonic()
    wf.submit()
    assert time.monotonic() - begin < 10
    step = wf.query_step(name="slow")[0]
    assert step.phase == "Failed" and "deadline" in step.message


class Sleeper(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"marker": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"done": str})

    def execute(self, op_in):
        marker = Path(op_in["marker"])
        if not marker.exists():          # the first attempt hangs until its timeout
            marker.touch()
            time.sleep(30)
        return OPIO({"done": "yes"})


def test_timeout_as_transient_error_retries_a_timed_out_op(tmp_path):
    wf = Workflow("timeout-retry")
    wf.add(Step("op", PythonOPTemplate(Sleeper, timeout=1, retry_on_transient_error=2,
                                       timeout_as_transient_error=True),
                parameters={"marker": str(tmp_path / "tried")}))
    wf.submit()
    steps = wf.query_step(name="op")
    assert [s.phase for s in sorted(steps, key=lambda s: s.displayName) if s.type == "Pod"] == \
        ["Failed", "Succeeded"]
    assert wf.query_status() == "Succeeded"


def test_a_timed_out_op_is_not_retried_without_timeout_as_transient(tmp_path):
    wf = Workflow("timeout-final")
    wf.add(Step("op", PythonOPTemplate(Sleeper, timeout=1, retry_on_transient_error=2),
                parameters={"marker": str(tmp_path / "tried")}))
    wf.submit()
    assert len([s for s in wf.query_step(name="op") if s.type == "Pod"]) == 1
    assert wf.query_status() == "Failed"


def test_dag_fail_fast_starts_nothing_new_after_a_failure():
    fail = Task("fail", sh("fail", "exit 1"))
    slow = Task("slow", sh("slow", "sleep 1"))
    after = Task("after", sh("after", "echo late"), dependencies=["slow"])
    wf = Workflow("ff", dag=DAG("ff", tasks=[fail, slow, after]))
    wf.submit()
    assert wf.query_status() == "Failed"
    assert wf.query_step(name="slow")[0].phase == "Succeeded"    # running ones finish
    assert wf.query_step(name="after") == []                     # nothing new starts


def test_dag_without_fail_fast_runs_every_branch():
    fail = Task("fail", sh("fail", "exit 1"))
    slow = Task("slow", sh("slow", "sleep 0.3"))
    after = Task("after", sh("after", "echo late"), dependencies=["slow"])
    wf = Workflow("no-ff", dag=DAG("no-ff", tasks=[fail, slow, after], fail_fast=False))
    wf.submit()
    assert wf.query_status() == "Failed"
    assert wf.query_step(name="after")[0].phase == "Succeeded"


def test_workflow_parallelism_limits_running_pods():
    wf = Workflow("par", parallelism=1)
    wf.add(Step("loop", sh("nap", "sleep 0.2"), with_param=argo_range(4)))
    wf.submit()
    spans = intervals(wf, "loop")
    assert len(spans) == 4 and not overlaps(spans)


def test_template_parallelism_limits_its_children():
    inner = Steps("inner", parallelism=1)
    inner.add([Step(f"s{i}", sh(f"nap{i}", "sleep 0.2")) for i in range(3)])
    wf = Workflow("tpar")
    wf.add(Step("inner", inner))
    wf.submit()
    spans = sorted(iv for i in range(3) for iv in intervals(wf, f"s{i}"))
    assert len(spans) == 3 and not overlaps(spans)


def test_continue_on_error_lets_an_errored_step_pass():
    bad = sh("bad", "echo hi")
    bad.outputs.parameters["missing"] = OutputParameter(value_from_path="/tmp/never-written")
    wf = Workflow("errored")
    wf.add(Step("bad", bad, continue_on_error=True))
    wf.add(Step("next", sh("next", "echo ok")))
    wf.submit()
    step = wf.query_step(name="bad")[0]
    assert step.phase == "Error" and "was not written" in step.message
    assert wf.query_status() == "Succeeded"

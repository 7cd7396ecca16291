"""A DAG task waits by Dflow's rule: a task it reads from, or names as a Task in
``dependencies``, must have Succeeded. The Argo manifest of each run (checked against Argo v4's
rules by the suite's submit hook) ends the same way: see tests/argo/test_compile.py."""
from dflow_nb import DAG, Task, Workflow
from tests.local.test_engine import ECHO, shell

MAKE_THEN_FAIL = shell("make-then-fail", "echo made > /tmp/out; exit 1", outputs=["out"])


def run_dag(*tasks):
    wf = Workflow("deps", dag=DAG("deps", tasks=list(tasks)))
    wf.submit()
    return wf


def phases(wf):
    return {s.displayName: s.phase for s in wf.query_step() if s.displayName != "deps"}


def test_a_failure_let_through_does_not_start_the_tasks_that_read_it():
    """In Argo, legacy ``dependencies: [a]`` would start ``b``, which would then fail on the
    missing output; by Dflow's rule ``b`` never starts and the workflow Succeeds."""
    a = Task("a", MAKE_THEN_FAIL, continue_on_failed=True)
    b = Task("b", ECHO, parameters={"msg": a.outputs.parameters["out"]})
    other = Task("other", ECHO, parameters={"msg": "independent"})
    wf = run_dag(a, b, other)
    assert phases(wf) == {"a": "Failed", "b": "Omitted", "other": "Succeeded"}
    assert wf.query_status() == "Succeeded"


def test_a_task_given_as_a_dependency_must_succeed_too():
    a = Task("a", MAKE_THEN_FAIL, continue_on_failed=True)
    after = Task("after", ECHO, parameters={"msg": "x"}, dependencies=[a])
    wf = run_dag(a, after)
    assert phases(wf) == {"a": "Failed", "after": "Omitted"}
    assert wf.query_status() == "Succeeded"


def test_a_dependency_named_as_text_keeps_argos_dependencies_meaning():
    """``dependencies=["a"]`` is Argo's ``dependencies: [a]``: a failure ``a`` continues on
    lets its dependents start (as in Argo's dag-continue-on-fail)."""
    a = Task("a", MAKE_THEN_FAIL, continue_on_failed=True)
    after = Task("after", ECHO, parameters={"msg": "x"}, dependencies=["a"])
    wf = run_dag(a, after)
    assert phases(wf) == {"a": "Failed", "after": "Succeeded"}
    assert wf.query_status() == "Succeeded"


def test_a_task_skipped_by_when_omits_what_reads_it_and_the_workflow_succeeds():
    a = Task("a", ECHO, parameters={"msg": "x"}, when="1 == 2")
    b = Task("b", ECHO, parameters={"msg": a.outputs.parameters["out"]})
    wf = run_dag(a, b)
    assert phases(wf) == {"a": "Skipped", "b": "Omitted"}
    assert wf.query_status() == "Succeeded"


def test_a_failure_not_let_through_still_fails_the_workflow():
    a = Task("a", MAKE_THEN_FAIL)
    b = Task("b", ECHO, parameters={"msg": a.outputs.parameters["out"]})
    wf = run_dag(a, b)
    assert phases(wf)["a"] == "Failed"
    assert phases(wf).get("b", "never started") in ("Omitted", "never started")  # failFast
    assert wf.query_status() == "Failed"

"""The local engine runs workflows with Argo's node names, phases, messages and outputs."""
import json
import sqlite3
import time
from pathlib import Path

import pytest

from dflow_nb import (
    DAG,
    InputArtifact,
    InputParameter,
    OutputArtifact,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
    Workflow,
    argo_range,
    argo_sequence,
)
from dflow_nb.local.state import DB_NAME


def shell(name, script, inputs=(), outputs=(), artifacts_in=(), artifacts_out=(), **kw):
    t = ShellOPTemplate(name=name, script=script, **kw)
    for p in inputs:
        t.inputs.parameters[p] = InputParameter()
    for p in outputs:
        t.outputs.parameters[p] = OutputParameter(value_from_path=f"/tmp/{p}")
    for a in artifacts_in:
        t.inputs.artifacts[a] = InputArtifact(path=f"/tmp/{a}")
    for a in artifacts_out:
        t.outputs.artifacts[a] = OutputArtifact(path=f"/tmp/{a}")
    return t


ECHO = shell("echo", "echo {{inputs.parameters.msg}} > /tmp/out; echo said {{inputs.parameters.msg}}",
             inputs=["msg"], outputs=["out"])


def run(*groups, name="test", **wf_kw):
    wf = Workflow(name, **wf_kw)
    for g in groups:
        wf.add(g)
    wf.submit()
    return wf


def test_steps_run_in_order_and_pass_outputs():
    a = Step("a", ECHO, parameters={"msg": "hello"})
    b = Step("b", ECHO, parameters={"msg": a.outputs.parameters["out"]})
    wf = run(a, b)
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="b")[0]
    assert step.outputs.parameters["out"].value == "hello"
    assert step.outputs.result == "said hello"
    assert step.phase == "Succeeded" and step.type == "Pod"


def test_node_names_and_ids_follow_argo():
    a = Step("a", ECHO, parameters={"msg": "x"})
    wf = run([a, Step("b", ECHO, parameters={"msg": "y"})])
    nodes = {n.name: n for n in wf.query_nodes()}
    root = nodes[wf.id]
    assert root.type == "Steps" and root.id == wf.id
    group = nodes[f"{wf.id}[0]"]
    assert group.type == "StepGroup" and group.displayName == "[0]"
    pod = nodes[f"{wf.id}[0].a"]
    assert pod.displayName == "a" and pod.boundaryID == wf.id
    assert pod.id.startswith(wf.id + "-") and pod.id[len(wf.id) + 1:].isdigit()


def test_each_step_has_a_browsable_directory_and_log():
    wf = run(Step("a", ECHO, parameters={"msg": "logged"}))
    step = wf.query_step(name="a")[0]
    d = Path(step.dir)
    assert (d / "log.txt").read_text().strip() == "said logged"
    assert (d / "inputs" / "parameters" / "msg").read_text() == "logged"
    assert (d / "outputs" / "parameters").exists() or (d / "outputs").exists()
    assert (d / "script").read_text().startswith("echo logged >")


def test_output_parameter_loses_one_trailing_newline_only():
    t = shell("nl", "printf 'two\\n\\n' > /tmp/out", outputs=["out"])
    wf = run(Step("nl", t))
    assert wf.query_step(name="nl")[0].outputs.parameters["out"].value == "two\n"


def test_result_keeps_the_last_256_kib():
    t = shell("big", "python3 -c \"import sys; sys.stdout.write('a' * 300000 + 'END')\"")
    wf = run(Step("big", t))
    result = wf.query_step(name="big")[0].outputs.result
    assert len(result) == 256 * 1024 and result.endswith("END")


def test_with_items_aggregates_outputs_as_argo():
    loop = Step("loop", ECHO, parameters={"msg": "{{item}}"}, with_items=[1, 2, 3])
    total = Step("sum", shell("sum", "echo '{{inputs.parameters.vals}}' > /tmp/out",
                              inputs=["vals"], outputs=["out"]),
                 parameters={"vals": loop.outputs.parameters["out"]})
    wf = run(loop, total)
    names = [s.displayName for s in wf.query_step(name="loop")]
    assert sorted(names) == ["loop(0:1)", "loop(1:2)", "loop(2:3)"]
    assert json.loads(wf.query_step(name="sum")[0].outputs.parameters["out"].value) == \
        ["1", "2", "3"]


def test_with_param_from_an_expression_and_item_maps():
    loop = Step("loop", ECHO, parameters={"msg": "n{{item}}"}, with_param=argo_range(2))
    maps = Step("maps", ECHO, parameters={"msg": "{{item.a}}-{{item.b}}"},
                with_items=[{"b": 2, "a": 1}])
    wf = run([loop, maps])
    assert [s.outputs.parameters["out"].value for s in wf.query_step(name="loop")] == ["n0", "n1"]
    assert wf.query_step(name="maps")[0].displayName == "maps(0:a:1,b:2)"


def test_with_sequence_and_format():
    loop = Step("seq", ECHO, parameters={"msg": "{{item}}"},
                with_sequence=argo_sequence(count=3, start=1, format="u%02d"))
    wf = run(loop)
    assert [s.outputs.parameters["out"].value for s in wf.query_step(name="seq")] == \
        ["u01", "u02", "u03"]


def test_empty_loop_is_skipped():
    wf = run(Step("none", ECHO, parameters={"msg": "{{item}}"}, with_param="[]"))
    (skipped,) = wf.query_step(name="none")
    assert skipped.phase == "Skipped" and skipped.message == "Skipped, empty params"
    assert wf.query_status() == "Succeeded"


def test_non_json_with_param_errors_with_argos_message():
    wf = run(Step("bad", ECHO, parameters={"msg": "{{item}}"}, with_param="not json"))
    step = wf.query_step(name="bad")[0]
    assert step.phase == "Error"
    assert "withParam value could not be parsed as a JSON list" in step.message
    assert wf.query_status() == "Error"


def test_when_false_skips_with_argos_message():
    a = Step("a", ECHO, parameters={"msg": "tails"})
    heads = Step("heads", ECHO, parameters={"msg": "h"},
                 when=f"{a.outputs.parameters['out']} == heads")
    tails = Step("tails", ECHO, parameters={"msg": "t"},
                 when=a.outputs.parameters["out"] == "tails")
    wf = run(a, [heads, tails])
    h = wf.query_step(name="heads")[0]
    assert h.phase == "Skipped" and h.message == "when 'tails == heads' evaluated false"
    assert wf.query_step(name="tails")[0].phase == "Succeeded"


FAIL = shell("fail", "echo going down >&2; exit 3")


def test_failed_step_fails_the_workflow_with_argos_messages():
    wf = run(Step("ok", ECHO, parameters={"msg": "x"}), Step("boom", FAIL),
             Step("never", ECHO, parameters={"msg": "y"}))
    boom = wf.query_step(name="boom")[0]
    assert boom.phase == "Failed" and boom.message == "Error (exit code 3)"
    assert boom.outputs.exitCode == "3"
    assert "going down" in Path(boom.dir, "log.txt").read_text()
    assert wf.query_step(name="never") == []
    assert wf.query_status() == "Failed"
    assert wf.query().message == f"child '{boom.id}' failed"


def test_continue_on_failed_lets_the_workflow_succeed():
    wf = run(Step("boom", FAIL, continue_on_failed=True), Step("after", ECHO,
                                                               parameters={"msg": "y"}))
    assert wf.query_step(name="boom")[0].phase == "Failed"
    assert wf.query_step(name="after")[0].phase == "Succeeded"
    assert wf.query_status() == "Succeeded"


def test_dag_runs_a_diamond_and_passes_artifacts():
    make = shell("make", "echo {{inputs.parameters.msg}} > /tmp/f", inputs=["msg"],
                 artifacts_out=["f"])
    cat2 = shell("cat2", "cat /tmp/x /tmp/y > /tmp/f", artifacts_in=["x", "y"],
                 artifacts_out=["f"])
    up = shell("up", "tr a-z A-Z < /tmp/x > /tmp/f", artifacts_in=["x"], artifacts_out=["f"])
    a = Task("a", make, parameters={"msg": "abc"})
    b = Task("b", up, artifacts={"x": a.outputs.artifacts["f"]})
    c = Task("c", up, artifacts={"x": a.outputs.artifacts["f"]})
    d = Task("d", cat2, artifacts={"x": b.outputs.artifacts["f"], "y": c.outputs.artifacts["f"]})
    wf = Workflow("diamond", dag=DAG("diamond", tasks=[d, c, b, a]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    out = wf.query_step(name="d")[0].outputs.artifacts["f"]
    assert Path(out.local_path).read_text() == "ABC\nABC\n"
    started = {s.displayName: s.startedAt for s in wf.query_step()}
    assert started["a"] <= started["b"] and started["b"] <= started["d"]


def test_dag_depends_on_failure_branch():
    a = Task("a", FAIL, continue_on_failed=True)
    cleanup = Task("cleanup", ECHO, parameters={"msg": "clean"}, dependencies=["a.Failed"])
    normal = Task("normal", ECHO, parameters={"msg": "n"}, dependencies=["a.Succeeded"])
    wf = Workflow("branches", dag=DAG("branches", tasks=[a, cleanup, normal]))
    wf.submit()
    assert wf.query_step(name="cleanup")[0].phase == "Succeeded"
    omitted = wf.query_step(name="normal")[0]
    assert omitted.phase == "Omitted" and omitted.type == "Skipped"


def test_nested_steps_and_template_outputs():
    inner = Steps("inner", outputs=None)
    inner.inputs.parameters["msg"] = InputParameter()
    s = Step("say", ECHO, parameters={"msg": inner.inputs.parameters["msg"]})
    inner.add(s)
    inner.outputs.parameters["said"] = OutputParameter(value_from_parameter=s.outputs.parameters["out"])
    outer = Step("outer", inner, parameters={"msg": "deep"})
    wf = run(outer)
    node = wf.query_step(name="outer")[0]
    assert node.type == "Steps" and node.outputs.parameters["said"].value == "deep"
    inner_pod = wf.query_step(name="say")[0]
    assert inner_pod.name == f"{wf.id}[0].outer[0].say"


def test_retries_make_a_retry_node_with_attempts():
    flaky = shell("flaky", "n=$(cat /tmp/count 2>/dev/null || echo 0); exit 1",
                  retry_strategy={"limit": "2", "retryPolicy": "OnFailure"})
    wf = run(Step("flaky", flaky))
    retry = [s for s in wf.query_step(name="flaky") if s.type == "Retry"][0]
    attempts = sorted(s.displayName for s in wf.query_step(name="flaky") if s.type == "Pod")
    assert attempts == ["flaky(0)", "flaky(1)", "flaky(2)"]
    assert retry.phase == "Failed" and retry.message == "No more retries left"


def test_timeout_really_stops_the_step():
    slow = shell("slow", "sleep 60", timeout=1)
    begin = time.monotonic()
    wf = run(Step("slow", slow))
    assert time.monotonic() - begin < 10
    step = wf.query_step(name="slow")[0]
    assert step.phase == "Failed" and "deadline" in step.message


def test_global_outputs_and_exit_handler_see_the_status():
    t = shell("g", "echo 42 > /tmp/out", outputs=["out"])
    t.outputs.parameters["out"].global_name = "answer"
    exit_t = shell("bye", "echo {{workflow.status}} > /tmp/out", outputs=["out"])
    wf = run(Step("g", t), on_exit=exit_t)
    assert wf.query_global_outputs().parameters["answer"].value == "42"
    handler = [n for n in wf.query_nodes() if n.name == f"{wf.id}.onExit"][0]
    assert handler.outputs.parameters["out"].value == "Succeeded"


def test_submit_can_return_at_once_and_reattach_by_id():
    slow = shell("nap", "sleep 1; echo done > /tmp/out", outputs=["out"])
    wf = Workflow("async")
    wf.add(Step("nap", slow))
    wf.submit(wait=False)
    assert wf.query_status() == "Running"
    again = Workflow(id=wf.id)
    assert again.wait() == "Succeeded"
    assert again.query_step(name="nap")[0].outputs.parameters["out"].value == "done"


def test_state_database_is_wal_and_consistent():
    wf = run(Step("a", ECHO, parameters={"msg": "x"}))
    db = sqlite3.connect(Path(wf.query().dir).parent / DB_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    phases = [r[0] for r in db.execute("SELECT phase FROM events WHERE wf=? ORDER BY seq",
                                       (wf.id,))]
    assert phases[-1] == "Succeeded" and "Running" in phases


def test_query_step_filters():
    wf = run([Step("a", ECHO, parameters={"msg": "x"}, key="first"),
              Step("b", FAIL, continue_on_failed=True)])
    assert [s.displayName for s in wf.query_step(key="first")] == ["a"]
    assert [s.displayName for s in wf.query_step(phase="Failed")] == ["b"]
    assert {s.displayName for s in wf.query_step(name=["a", "b"])} == {"a", "b"}
    assert wf.query_keys_of_steps() == ["first"]


def test_unknown_workflow_id_is_a_clear_error():
    with pytest.raises(LookupError, match="no workflow 'nope-12345'"):
        Workflow(id="nope-12345").query_status()


def test_dag_depends_expressions_follow_argo():
    a = Task("A", FAIL)
    b = Task("B", ECHO, parameters={"msg": "b"})
    on_fail = Task("on-fail", ECHO, parameters={"msg": "f"}, depends="A.Failed && B")
    on_ok = Task("on-ok", ECHO, parameters={"msg": "s"}, depends="A.Succeeded || !B.Succeeded")
    wf = Workflow("depends", dag=DAG("depends", tasks=[a, b, on_fail, on_ok], fail_fast=False))
    wf.submit()
    assert wf.query_step(name="on-fail")[0].phase == "Succeeded"
    assert wf.query_step(name="on-ok")[0].phase == "Omitted"
    assert wf.query_status() == "Failed"


def test_depends_and_continue_on_are_exclusive():
    with pytest.raises(ValueError, match="not allowed with depends"):
        Task("t", ECHO, parameters={"msg": 1}, depends="a", continue_on_failed=True)


def test_steps_fail_fast_starts_no_more_items():
    boom = shell("boom", "[ {{inputs.parameters.msg}} -ne 0 ] || exit 1; sleep 0.2",
                 inputs=["msg"])
    main = Steps("main", fail_fast=True)
    main.add(Step("loop", boom, parameters={"msg": "{{item}}"}, with_param=argo_range(40)))
    wf = Workflow("fail-fast", steps=main)
    wf.submit()
    assert wf.query_status() == "Failed"
    assert len(wf.query_step(name="loop")) < 40       # the rest were never started


def test_step_exit_hooks_see_the_step_status():
    bye = shell("bye", "echo {{inputs.parameters.s}} {{workflow.status}} > /tmp/out",
                inputs=["s"], outputs=["out"])
    hook = Step("bye", bye, parameters={"s": "{{steps.boom.status}}"})
    wf = run(Step("boom", FAIL, continue_on_failed=True, hooks={"exit": hook}),
             Step("after", ECHO, parameters={"msg": "x"}))
    (handler,) = [n for n in wf.query_nodes() if n.displayName == "boom.onExit"]
    assert handler.outputs.parameters["out"].value == "Failed Running"
    assert wf.query_status() == "Succeeded"

"""Argo's retryStrategy on the local engine: policies, expressions, backoff, limits."""
import time

from dflow_nb import OutputParameter, ShellOPTemplate, Step, Workflow


def flaky(name, script, **retry):
    t = ShellOPTemplate(name=name, script=script, retry_strategy=retry)
    t.outputs.parameters["n"] = OutputParameter(value_from_path="/tmp/n", default="none")
    return t


def attempts(wf, name):
    return sorted((s for s in wf.query_step(name=name) if s.type == "Pod"),
                  key=lambda s: s.displayName)


def run(step):
    wf = Workflow("retries")
    wf.add(step)
    wf.submit()
    return wf


def test_retries_variable_counts_attempts_and_success_stops_retrying():
    t = flaky("count", "echo {{retries}} > /tmp/n; [ {{retries}} -ge 2 ]", limit="5")
    wf = run(Step("count", t))
    retry = [s for s in wf.query_step(name="count") if s.type == "Retry"][0]
    assert [s.phase for s in attempts(wf, "count")] == ["Failed", "Failed", "Succeeded"]
    assert retry.phase == "Succeeded" and retry.outputs.parameters["n"].value == "2"


def test_policy_on_error_does_not_retry_failures():
    wf = run(Step("nope", flaky("nope", "exit 1", limit="3", retryPolicy="OnError")))
    assert len(attempts(wf, "nope")) == 1
    retry = [s for s in wf.query_step(name="nope") if s.type == "Retry"][0]
    assert retry.phase == "Failed" and retry.message == "Error (exit code 1)"


def test_expression_decides_with_last_retry():
    t = flaky("expr", "exit $(( {{retries}} + 1 ))", limit="10",
              expression="asInt(lastRetry.exitCode) < 3")
    wf = run(Step("expr", t))
    assert [s.outputs.exitCode for s in attempts(wf, "expr")] == ["1", "2", "3"]


def test_backoff_waits_between_attempts():
    t = flaky("slow", "exit 1", limit="2", backoff={"duration": "0.3", "factor": "2"})
    begin = time.monotonic()
    wf = run(Step("slow", t))
    assert time.monotonic() - begin >= 0.3 + 0.6
    a = attempts(wf, "slow")
    assert a[1].startedAt - a[0].finishedAt >= 0.29
    assert a[2].startedAt - a[1].finishedAt >= 0.59


def test_max_duration_ends_retrying():
    t = flaky("capped", "sleep 0.3; exit 1",
              backoff={"duration": "1", "maxDuration": "1"})   # no limit: the cap ends it
    wf = run(Step("capped", t))
    retry = [s for s in wf.query_step(name="capped") if s.type == "Retry"][0]
    assert retry.message in ("Backoff would exceed max duration limit",
                             "Max duration limit exceeded")
    assert len(attempts(wf, "capped")) == 1


def test_transient_policy_matches_the_message(monkeypatch):
    monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", "exit code 7")
    wf = run(Step("t", flaky("t", "exit $(( 7 - {{retries}} ))", limit="3",
                            retryPolicy="OnTransientError")))
    assert [s.outputs.exitCode for s in attempts(wf, "t")] == ["7", "6"]


def test_transient_error_pattern_is_a_go_regular_expression(monkeypatch):
    """Argo's controller reads TRANSIENT_ERROR_PATTERN with Go's regexp: Unicode classes such
    as \\p{Nd} work (Python's re rejects them); a pattern Go cannot compile matches nothing."""
    monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", r"\(exit code \p{Nd}\)$")
    wf = run(Step("t", flaky("t", "exit $(( 7 - {{retries}} ))", limit="2",
                            retryPolicy="OnTransientError")))
    assert [s.outputs.exitCode for s in attempts(wf, "t")] == ["7", "6", "5"]
    monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", r"(?<=exit) code")   # lookbehind: not Go
    wf = run(Step("u", flaky("u", "exit 7", limit="2", retryPolicy="OnTransientError")))
    assert [s.outputs.exitCode for s in attempts(wf, "u")] == ["7"]


def test_log_grep_is_a_go_regular_expression():
    wf = run(Step("talk", ShellOPTemplate(name="talk", script="echo 'n=٣'; echo 'n=x'")))
    assert wf.logs("talk", grep=r"n=\p{Nd}") == "n=٣"

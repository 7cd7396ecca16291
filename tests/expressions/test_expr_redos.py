"""Regular expressions in conditions run in linear time, as Argo's Go regexp (RE2) does: a
backtracking pattern on a crafted value (``'aaa…!' =~ '(a+)+$'``) cannot hang the engine.

A backtracking matcher holds the GIL for hours on such input, so each attack runs in a child
process: before the fix the test fails on the time limit instead of hanging the test run."""
import json
import subprocess
import sys
import textwrap

import pytest

SUBJECT = "a" * 40 + "!"   # (a+)+$ has 2**40 ways to fail on it
PATTERN = "(a+)+$"
HANG = 120   # seconds: a backtracking matcher needs hours here, a linear one microseconds


def run_child(code, *args):
    """Run ``code`` in a fresh interpreter (``sys.argv[1:]`` = args); its last line of output,
    read as JSON."""
    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                              capture_output=True, text=True, timeout=HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {HANG} s: the regular expression backtracks")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


WORKFLOW = """
    import json, sys
    from dflow_nb import InputParameter, ShellOPTemplate, Step, Workflow, config
    workdir, subject, pattern = sys.argv[1:]
    config["mode"] = "debug"
    config["debug_workdir"] = workdir
    echo = ShellOPTemplate(name="echo", script="echo {{inputs.parameters.v}}")
    echo.inputs.parameters["v"] = InputParameter()
    wf = Workflow("redos")
    wf.add([
        Step("govaluate", echo, parameters={"v": "ran"},
             when=f"'{subject}' =~ '{pattern}'"),
        Step("exprlang", echo, parameters={"v": "ran"},
             when="{{= '%s' matches '%s' }}" % (subject, pattern)),
        Step("sprig", echo, parameters={
            "v": "{{= sprig.regexReplaceAll('%s', '%s', 'X') }}" % (pattern, subject)}),
    ])
    wf.submit()
    steps = {s.displayName: s for s in wf.query_step()}
    print(json.dumps({"status": wf.query_status(),
                      "phases": {n: steps[n].phase for n in ("govaluate", "exprlang", "sprig")},
                      "sprig": steps["sprig"].outputs.result}))
"""


def test_a_backtracking_pattern_in_when_ends_promptly_with_argos_result(tmp_path):
    got = run_child(WORKFLOW, str(tmp_path), SUBJECT, PATTERN)
    assert got["status"] == "Succeeded"
    # Go's regexp finds no match, so both conditions are false and nothing is replaced
    assert got["phases"] == {"govaluate": "Skipped", "exprlang": "Skipped",
                             "sprig": "Succeeded"}
    assert got["sprig"] == SUBJECT


OPERATIONS = """
    import json, sys
    from dflow_nb.expressions import evaluate, evaluate_when
    s, p = sys.argv[1:]
    scope = {"s": s, "p": p}
    print(json.dumps({
        "=~": evaluate_when(f"'{s}' =~ '{p}'", {}),
        "!~": evaluate_when(f"'{s}' !~ '{p}'", {}),
        "matches": evaluate("s matches p", scope),
        "regexMatch": evaluate("sprig.regexMatch(p, s)", scope),
        "regexFind": evaluate("sprig.regexFind(p, s)", scope),
        "regexFindAll": evaluate("sprig.regexFindAll(p, s, -1)", scope),
        "regexReplaceAll": evaluate("sprig.regexReplaceAll(p, s, 'X') == s", scope),
        "regexReplaceAllLiteral": evaluate("sprig.regexReplaceAllLiteral(p, s, 'X') == s",
                                           scope),
        "regexSplit": evaluate("sprig.regexSplit(p, s, -1) == [s]", scope),
    }))
"""


def test_every_regex_operation_is_linear_time():
    got = run_child(OPERATIONS, SUBJECT * 100, PATTERN)
    assert got == {"=~": False, "!~": True, "matches": False, "regexMatch": False,
                   "regexFind": "", "regexFindAll": [], "regexReplaceAll": True,
                   "regexReplaceAllLiteral": True, "regexSplit": True}

"""dflow-nb on the local engine: submit, list, get, wait, logs, compile and lint, as a script or a
CI job uses them (output formats and exit codes)."""
import contextlib
import io
import json
import subprocess

import pytest
import yaml

from dflow_nb.argo.schema import manifest_errors, schema_path
from dflow_nb.cli import main
from tests.cli.conftest import BIN, WORKFLOWS, cli, environment, user_error


def test_submit_wait_prints_the_run_as_json_and_exits_0(local_runs):
    ok = local_runs["ok"]
    assert ok.code == 0, ok
    doc = ok.json()
    assert doc["phase"] == "Succeeded" and doc["labels"] == {"team": "md"}
    steps = {s["displayName"]: s for s in doc["steps"]}
    assert steps["first"]["inputs"]["parameters"]["x"] == "3"
    assert steps["first"]["outputs"]["parameters"]["y"] == "6"
    assert steps["second"]["outputs"]["parameters"]["y"] == "12"
    assert steps["second"]["key"] == "second"
    assert doc["progress"] == "14/14"   # 2 Python steps + 12 loop items
    assert doc["createdAt"].endswith("Z") and doc["duration"] > 0
    assert "ID:" not in ok.out   # the engine's announcement went to stderr


def test_a_failed_run_exits_1_and_says_why(local_runs):
    failed = local_runs["failed"]
    assert failed.code == 1, failed
    doc = failed.json()
    assert doc["phase"] == "Failed"
    first = next(s for s in doc["steps"] if s["displayName"] == "first")
    assert first["phase"] == "Failed"
    assert "cannot double a negative number: -1" in first["message"]


def test_list_filters_and_formats(local_runs):
    d = local_runs["dir"]
    ok, failed = local_runs["ok"].json()["id"], local_runs["failed"].json()["id"]
    assert set(cli("list", "-o", "name", cwd=d).out.split()) == {ok, failed}
    assert cli("list", "--phase", "Failed", "-o", "name", cwd=d).out.split() == [failed]
    labelled = cli("list", "-l", "team=md", "-o", "json", cwd=d).json()
    assert [r["id"] for r in labelled] == [ok] and labelled[0]["phase"] == "Succeeded"
    assert cli("list", "--since", "1h", "--completed", "-o", "name", cwd=d).out.split() != []
    assert cli("list", "--running", "-o", "name", cwd=d).out == ""
    wide = cli("list", "-o", "wide", cwd=d)
    assert wide.out.split("\n")[0].split() == ["NAME", "STATUS", "AGE", "DURATION", "CREATED",
                                               "FINISHED", "LABELS", "MESSAGE"]
    assert "team=md" in wide.out
    rows = yaml.safe_load(cli("list", "--prefix", "double", "-o", "yaml", cwd=d).out)
    assert {r["id"] for r in rows} == {ok, failed}
    empty = cli("list", "--prefix", "nothing-like-this", cwd=d)
    assert empty.code == 0 and empty.out == "" and "No workflows found" in empty.err


def test_get_shows_the_step_tree_and_documents(local_runs):
    d = local_runs["dir"]
    run = local_runs["ok"].json()["id"]
    text = cli("get", run, cwd=d).out
    assert "Status:       Succeeded" in text and "Progress:     14/14" in text
    assert "├─✔ first" in text and "├─✔ second" in text
    assert "└─✔ echo ×12" in text and "12 Succeeded" in text   # the loop, collapsed
    assert "echo(11:11)" in cli("get", run, "--collapse", "20", cwd=d).out
    wide = cli("get", run, "-o", "wide", cwd=d).out
    assert "KEY" in wide and f"{run}-" in wide   # node ids
    doc = yaml.safe_load(cli("get", run, "-o", "yaml", cwd=d).out)
    assert doc["id"] == run and len(doc["steps"]) == 14
    latest = cli("get", "@latest", "-o", "name", cwd=d).out.strip()
    assert latest in (run, local_runs["failed"].json()["id"])
    by_name = cli("get", "double", "-o", "name", cwd=d)   # the workflow's name: its newest run
    assert by_name.out.strip() == latest
    assert f"double: 2 runs of that name; using the newest, {latest}" in by_name.err


def test_wait_exits_with_the_worst_phase(local_runs):
    d = local_runs["dir"]
    ok, failed = local_runs["ok"].json()["id"], local_runs["failed"].json()["id"]
    both = cli("wait", ok, failed, cwd=d)
    assert both.code == 1 and both.out.split("\n")[:2] == [f"{ok} Succeeded", f"{failed} Failed"]
    assert cli("wait", ok, "-o", "name", cwd=d).code == 0


def test_logs_of_a_step_of_a_loop_and_of_the_run(local_runs):
    d = local_runs["dir"]
    run, bad = local_runs["ok"].json()["id"], local_runs["failed"].json()["id"]
    whole = cli("logs", run, cwd=d).out
    assert "first: doubling 3" in whole and "second: doubling 6" in whole
    assert cli("logs", run, "second", cwd=d).out.strip() == "doubling 6"   # one step: bare lines
    assert set(cli("logs", run, "echo", "--grep", "item 1[01]$", cwd=d).out.splitlines()) == {
        "echo(10:10): item 10", "echo(11:11): item 11"}
    assert len(cli("logs", run, "echo", "--tail", "1", cwd=d).out.splitlines()) == 12
    failed = cli("logs", bad, "first", "--tail", "1", cwd=d).out.strip()
    assert failed == "ValueError: cannot double a negative number: -1"


def test_compile_a_file_or_a_run(local_runs):
    d = local_runs["dir"]
    manifest = cli("compile", WORKFLOWS / "double.py", "-p", "n=5", "-o", "json", cwd=d).json()
    assert manifest_errors(manifest, schema=False) == []   # lint checks the schema
    assert manifest["spec"]["arguments"]["parameters"] == [{"name": "n", "value": "5"}]
    run = local_runs["ok"].json()["id"]
    of_run = yaml.safe_load(cli("yaml", run, cwd=d).out)
    assert of_run["kind"] == "Workflow"
    assert of_run["spec"]["arguments"]["parameters"] == [{"name": "n", "value": "3"}]


def test_lint_exits_1_on_problems_and_checks_the_schema(local_runs):
    if schema_path() is None:
        pytest.skip("Argo's schema.json not found: set DFLOW_NB_SHARED")
    d = local_runs["dir"]
    # one process (the schema takes seconds to load): two good files, and a bad one on stdin
    result = cli("lint", WORKFLOWS / "double.py", WORKFLOWS / "hello.yaml", "-", "-o", "json",
                 cwd=d, input=(WORKFLOWS / "bad.yaml").read_text())
    assert result.code == 1, result
    good_py, good_yaml, bad = result.json()
    assert good_py["errors"] == [] and good_yaml["errors"] == [] and bad["file"] == "-"
    errors = "\n".join(bad["errors"])
    assert "template 'missing' is referenced but not defined" in errors
    assert "main_template" in errors                   # Argo's name rule
    assert "is not of type 'string'" in errors          # the schema (command: [true])
    text = cli("lint", WORKFLOWS / "bad.yaml", cwd=d)
    assert text.code == 1 and "bad.yaml: 3 problems\n  - " in text.out


def test_user_errors_are_one_line_with_exit_code_2(local_runs, tmp_path):
    d = local_runs["dir"]
    run = local_runs["ok"].json()["id"]
    assert "no workflow 'nope-12345'" in user_error(cli("get", "nope-12345", cwd=d))
    err = user_error(cli("submit", WORKFLOWS / "double.py", "-p", "m=1", cwd=d))
    assert "has no parameter 'm' (its parameters: n)" in err
    assert "-p takes NAME=VALUE" in user_error(cli("submit", WORKFLOWS / "double.py", "-p", "n",
                                                   cwd=d))
    assert "no such file" in user_error(cli("submit", tmp_path / "missing.py", cwd=d))
    nb = tmp_path / "steps.ipynb"
    nb.write_text("{}")
    assert "notebooks are not submitted directly" in user_error(cli("submit", nb, cwd=d))
    err = user_error(cli("logs", run, "nostep", cwd=d))
    assert "no step named or keyed 'nostep'" in err and "first" in err
    assert "--argo needs an Argo Server" in user_error(cli("list", "--argo", cwd=d))
    usage = cli("frobnicate", cwd=d)
    assert usage.code == 2 and "invalid choice" in usage.err


def test_a_file_that_raises_shows_its_own_traceback(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("from dflow_nb import Workflow\n\nwf = Workflow('w')\nraise RuntimeError('oops')\n")
    result = cli("submit", broken, cwd=tmp_path)
    assert result.code == 2
    assert f'File "{broken}", line 4' in result.err and "RuntimeError: oops" in result.err
    assert "_files.py" not in result.err and "runpy" not in result.err   # not the CLI's frames
    assert "broken.py raised RuntimeError while building its workflow: oops" in result.err


def test_which_workflow_a_python_file_gives(tmp_path):
    two = tmp_path / "two.py"
    two.write_text((WORKFLOWS / "flaky.py").read_text() + "\nother = Workflow('other')\n")
    assert "builds 2 workflows (other, wf): name one with --var" in user_error(
        cli("compile", two, cwd=tmp_path))
    assert yaml.safe_load(cli("compile", two, "--var", "wf", cwd=tmp_path).out)[
        "metadata"]["generateName"] == "flaky-"
    guarded = tmp_path / "guarded.py"
    guarded.write_text("from dflow_nb import Workflow\n\nif __name__ == '__main__':\n"
                       "    wf = Workflow('w')\n")
    assert "leaves no Workflow at top level" in user_error(cli("compile", guarded, cwd=tmp_path))


@pytest.mark.parametrize("verb", ["submit", "list", "get", "delete", "watch", "wait", "logs",
                                  "retry", "resubmit", "resume", "stop", "terminate", "suspend",
                                  "lint", "compile", "debug", "completion"])
def test_every_verb_has_help_with_examples(verb):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        main([verb, "--help"])
    assert stop.value.code == 0
    text = out.getvalue()
    assert "examples:" in text and f"dflow-nb {verb}" in text.split("examples:")[1]


def test_the_console_script_lists_verbs_and_exit_codes(tmp_path):
    proc = subprocess.run([str(BIN / "dflow-nb"), "--help"], capture_output=True, text=True,
                          env=environment(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0
    assert "submit" in proc.stdout and "exit codes:" in proc.stdout
    assert "2    usage error" in proc.stdout


def test_bash_completion_completes_verbs_options_and_runs(local_runs):
    script = cli("completion", "bash", cwd=local_runs["dir"]).out

    def complete(*words):
        line = " ".join(json.dumps(w) for w in words)
        proc = subprocess.run(
            ["bash", "-c", script + f'\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
             '_dflow_nb; printf "%s\\n" "${COMPREPLY[@]}"'],
            capture_output=True, text=True, env=environment(), cwd=local_runs["dir"], timeout=60)
        assert proc.returncode == 0, proc.stderr
        return set(proc.stdout.split())

    assert complete("dflow-nb", "lo") == {"logs"}
    assert complete("dflow-nb", "get", "run", "-o", "") == {"wide", "json", "yaml", "name"}
    assert "--follow" in complete("dflow-nb", "logs", "--f")
    runs = {local_runs["ok"].json()["id"], local_runs["failed"].json()["id"]}
    assert complete("dflow-nb", "get", "") == runs | {"@latest"}
    assert complete("dflow-nb", "completion", "") == {"bash", "zsh"}

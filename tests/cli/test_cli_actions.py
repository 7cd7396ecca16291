"""dflow-nb acting on local runs: watch, logs --follow, retry, resubmit, suspend/resume, stop,
terminate, delete, reuse and debug, each as a subprocess with its exit code."""
import os
import pty
import subprocess
import sys
import time

from tests.cli.conftest import WORKFLOWS, cli, environment, finish, poll, start, user_error


def doc(result):
    assert result.code in (0, 1, 3), result
    return result.json()


def step(document, name):
    return next(s for s in document["steps"] if s["displayName"] == name)


def test_submit_watch_draws_frames_until_the_end(tmp_path):
    result = cli("submit", WORKFLOWS / "slow.py", "-p", "count=8", "--watch", "-o", "json",
                 cwd=tmp_path)
    assert result.code == 0, result
    assert result.json()["phase"] == "Succeeded"   # the document on stdout...
    frames = result.err.split("Name:")[1:]           # ...the live view, frame by frame, on stderr
    assert len(frames) >= 2 and "● tick" in result.err and "Status:       Running" in result.err
    assert "Status:       Succeeded" in frames[-1] and "└─✔ after" in frames[-1]
    again = cli("watch", "@latest", cwd=tmp_path)   # an ended run: one frame, its exit code
    assert again.code == 0 and again.out.count("Name:") == 1
    # on a terminal the frame is redrawn in place (cursor home, clear), cut to the screen
    main, side = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "dflow_nb.cli", "watch", "@latest"],
                            cwd=tmp_path, env=environment({"COLUMNS": "30", "LINES": "40"}),
                            stdout=side, stderr=subprocess.DEVNULL)
    os.close(side)
    assert proc.wait(timeout=120) == 0
    screen = os.read(main, 65536).decode()
    os.close(main)
    assert screen.startswith("\x1b[H\x1b[2J") and "Status:       Succeeded" in screen
    assert max(len(line) for line in screen.splitlines()) <= 30 + len("\x1b[H\x1b[2J")


def test_logs_follow_prints_lines_as_they_come(tmp_path):
    run = cli("submit", WORKFLOWS / "slow.py", "-p", "count=12", "-o", "name",
              cwd=tmp_path).out.strip()
    follow = start("logs", run, "tick", "--follow", cwd=tmp_path)
    first = follow.stdout.readline()
    assert first == "tick 1\n"
    assert follow.poll() is None   # the run goes on: the line came live, not at the end
    rest = finish(follow)
    assert rest.code == 0, rest
    assert (first + rest.out).splitlines() == [f"tick {i}" for i in range(1, 13)]


def test_retry_reruns_what_failed_in_place(tmp_path):
    flag = tmp_path / "flag"
    env = {"DFLOW_NB_TEST_FLAG": str(flag)}
    failed = doc(cli("submit", WORKFLOWS / "flaky.py", "--wait", "-o", "json", cwd=tmp_path,
                     env=env))
    assert failed["phase"] == "Failed" and step(failed, "check")["phase"] == "Failed"
    flag.touch()
    retried = cli("retry", failed["id"], "--wait", "-o", "json", cwd=tmp_path, env=env)
    assert retried.code == 0, retried
    again = retried.json()
    assert again["id"] == failed["id"] and again["phase"] == "Succeeded"
    assert step(again, "check")["phase"] == "Succeeded"
    # the Succeeded step kept its run: same start time, not run again
    assert step(again, "prepare")["startedAt"] == step(failed, "prepare")["startedAt"]
    err = user_error(cli("retry", failed["id"], cwd=tmp_path))
    assert "nothing to retry" in err


def test_resubmit_starts_a_new_run_with_new_parameters(tmp_path):
    failed = doc(cli("submit", WORKFLOWS / "double.py", "-p", "n=-2", "--wait", "-o", "json",
                     cwd=tmp_path))
    assert failed["phase"] == "Failed"
    new = cli("resubmit", failed["id"], "-p", "n=2", "--wait", "-o", "json", cwd=tmp_path)
    assert new.code == 0, new
    fresh = new.json()
    assert fresh["id"] != failed["id"] and fresh["id"].startswith("double-")
    assert step(fresh, "second")["outputs"]["parameters"]["y"] == "8"


def test_reuse_keeps_the_outputs_of_keyed_steps(tmp_path):
    old = doc(cli("submit", WORKFLOWS / "double.py", "-p", "n=3", "--wait", "-o", "json",
                  cwd=tmp_path))
    reused = cli("submit", WORKFLOWS / "double.py", "-p", "n=100", "--reuse",
                 f"{old['id']}:first", "-o", "json", cwd=tmp_path)
    assert reused.code == 0, reused   # reuse on the local engine waits for the end
    new = reused.json()
    assert step(new, "first")["outputs"]["parameters"]["y"] == "6"   # reused, not 200
    assert step(new, "second")["outputs"]["parameters"]["y"] == "12"
    assert "has no step keyed nope" in user_error(
        cli("submit", WORKFLOWS / "double.py", "--reuse", f"{old['id']}:nope", cwd=tmp_path))


def test_suspend_resume_stop_and_terminate(tmp_path):
    def state(run):
        return cli("get", run, "-o", "json", cwd=tmp_path).json()

    def phase_of(run, name):
        return next((x["phase"] for x in state(run)["steps"] if x["displayName"] == name), None)

    submits = [start("submit", WORKFLOWS / "slow.py", "-p", f"count={n}", "-o", "name",
                     cwd=tmp_path) for n in (40, 300, 300)]
    one, two, three = (finish(p).out.strip() for p in submits)
    poll(lambda: phase_of(one, "tick") == "Running", what="the tick step to run")
    assert cli("suspend", one, cwd=tmp_path).out.strip() == f"workflow {one} suspended"
    poll(lambda: state(one)["message"] == "suspended", what="the suspension")
    poll(lambda: phase_of(one, "tick") == "Succeeded", timeout=60, what="tick to finish")
    time.sleep(1)
    assert phase_of(one, "after") is None   # suspended: no new step starts
    assert cli("resume", one, "-o", "name", cwd=tmp_path).out.strip() == one
    assert cli("wait", one, cwd=tmp_path).out.strip() == f"{one} Succeeded"

    assert cli("stop", two, cwd=tmp_path).out.strip() == f"workflow {two} stopped"
    stopped = cli("wait", two, cwd=tmp_path)
    assert stopped.code == 1 and stopped.out.strip() == f"{two} Failed"
    assert state(two)["message"] == "Stopped with strategy 'Stop'"
    begin = time.monotonic()
    assert cli("terminate", three, "-o", "name", cwd=tmp_path).out.strip() == three
    assert time.monotonic() - begin < 30   # its tick had a minute to go: it was killed
    ended = state(three)
    assert ended["phase"] == "Failed" and ended["message"] == "Stopped with strategy 'Terminate'"
    assert "has already ended" in user_error(cli("stop", three, cwd=tmp_path))


def test_delete_by_name_and_by_age(tmp_path):
    runs = [cli("submit", WORKFLOWS / "hello.yaml", "--wait", "-o", "name", cwd=tmp_path)
            for _ in range(2)]
    first, second = (r.out.strip() for r in runs)
    running = cli("submit", WORKFLOWS / "slow.py", "-p", "count=100", "-o", "name",
                  cwd=tmp_path).out.strip()
    nothing = cli("delete", "--older-than", "1h", "--dry-run", "-o", "name", cwd=tmp_path)
    assert nothing.code == 0 and nothing.out == ""
    dry = cli("delete", "--older-than", "0s", "--dry-run", cwd=tmp_path)
    assert set(dry.out.splitlines()) == {f"workflow {first} would be deleted",
                                         f"workflow {second} would be deleted"}
    runs_dir = tmp_path / ".dflow_nb"   # the default work directory: hidden, in the cwd
    assert (runs_dir / first).is_dir()
    assert cli("delete", first, cwd=tmp_path).out.strip() == f"workflow {first} deleted"
    assert not (runs_dir / first).exists()
    assert "still running" in user_error(cli("delete", running, cwd=tmp_path))
    assert cli("delete", "--all", "-o", "name", cwd=tmp_path).out.split() == [second]
    assert cli("list", "-o", "name", cwd=tmp_path).out.split() == [running]   # never a live run
    cli("terminate", running, cwd=tmp_path)
    assert "name the runs to delete" in user_error(cli("delete", cwd=tmp_path))


def test_debug_reruns_the_failed_op_here_under_pdb(tmp_path):
    run = cli("submit", WORKFLOWS / "double.py", "-p", "n=-1", "--wait", "-o", "name",
              cwd=tmp_path).out.strip()
    plain = cli("debug", run, "first", "--no-pdb", cwd=tmp_path)
    assert plain.code == 1
    assert "re-running first of " + run in plain.err and "x=-1" in plain.err
    assert "ValueError: cannot double a negative number: -1" in plain.err
    assert "op_runner.py" not in plain.err   # the OP's frames, not dflow_nb's
    # --break stops at the OP's first line; after `continue` pdb opens where it raised
    session = cli("debug", run, "first", "--break", "--from", WORKFLOWS / "double.py",
                  cwd=tmp_path, input='p op_in["x"]\ncontinue\np op_in["x"] * 10\nquit\n')
    assert session.code == 1, session
    assert f"{WORKFLOWS / 'double.py'}(21)execute()" in session.out   # the breakpoint
    assert "(Pdb) -1" in session.out and "(Pdb) -10" in session.out
    assert "raise ValueError" in session.out   # post mortem, at the raise
    assert "no step named or keyed 'third'" in user_error(cli("debug", run, "third",
                                                              cwd=tmp_path))

"""Following a run cheaply: OP progress in step records, and changes since a cursor."""
import time

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Slow(OP):
    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        self.progress_total = 3
        for i in range(1, 4):
            time.sleep(0.5)
            self.progress_current = i
        return OPIO()


def test_op_progress_shows_while_running_and_at_the_end():
    wf = Workflow("progress")
    wf.add(Step("slow", PythonOPTemplate(Slow)))
    wf.submit(wait=False)
    seen = set()
    deadline = time.monotonic() + 30
    while wf.query_status() == "Running" and time.monotonic() < deadline:
        steps = wf.query_step(name="slow")
        if steps and steps[0].progress:
            seen.add(steps[0].progress)
        time.sleep(0.05)
    assert wf.query_step(name="slow")[0].progress == "3/3"
    assert seen & {"1/3", "2/3"}, f"no intermediate progress seen: {seen}"


def test_nodes_since_a_cursor_are_only_what_changed():
    gate = ShellOPTemplate(name="gate", script="sleep 1")
    wf = Workflow("cursor")
    wf.add(Step("first", ShellOPTemplate(name="first", script="true")))
    wf.add(Step("second", gate))
    wf.submit(wait=False)
    deadline = time.monotonic() + 20
    while not any(n.displayName == "second" for n in wf.query_nodes()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cursor = max(n.seq for n in wf.query_nodes())
    wf.wait()
    changed = wf.query_nodes(since_seq=cursor)
    assert {n.displayName for n in changed} >= {"second"}
    assert "first" not in {n.displayName for n in changed}
    assert all(n.seq > cursor for n in changed)

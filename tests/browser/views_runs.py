"""Runs for the view tests (tests/browser/test_views.py), made in the folder given as argv[1] by
the JupyterLab venv's own dflow_nb, as a user's notebook would: a 1,000-slice fan-out whose
slices read a CSV artifact and some of which fail (the run still Succeeds, as
continue_on_success_ratio allows), a step that fails after retries, a keyed run to reuse from,
and (argv[2] == "gate") a run whose step waits for a GO file, so its log can be followed."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices

SLICES = 1000
FAIL_EVERY = 97   # slices 13, 110, 207, ... fail: 10 of 1,000


class Table(OP):
    """Writes the CSV the slices read."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"rows": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"table": Artifact(Path)})

    def execute(self, op_in):
        path = Path("table.csv")
        path.write_text("x,square\n" + "".join(f"{i},{i * i}\n" for i in range(op_in["rows"])))
        return OPIO({"table": path})


class Square(OP):
    """Looks x up in the table; some x fail, as a flaky computation would."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "table": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    def execute(self, op_in):
        x = op_in["x"]
        print(f"looking up {x} in {op_in['table'].name}")
        if x % FAIL_EVERY == 13:
            raise ValueError(f"no square for {x} <b>in the table</b>")
        return OPIO({"y": x * x})


def fanout() -> None:
    wf = Workflow(name="fanout")
    table = Step("table", PythonOPTemplate(Table), parameters={"rows": 20}, key="table")
    square = Step("square", PythonOPTemplate(Square, slices=Slices(
        "{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": list(range(SLICES))}, artifacts={"table": table.outputs.artifacts["table"]},
        with_param=list(range(SLICES)), continue_on_success_ratio=0.9, key="square-{{item}}")
    wf.add(table)
    wf.add(square)
    wf.submit()


def retrying() -> None:
    wf = Workflow(name="flaky")
    wf.add(Step("flaky", ShellOPTemplate(name="flaky", script="echo attempt; exit 3",
                                         retry_strategy={"limit": 2})))
    wf.submit()


class Prep(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    def execute(self, op_in):
        return OPIO({"n": 3})


class Fit(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        print(f"fitting with n={op_in['n']}")
        return OPIO({})


def keyed() -> None:
    wf = Workflow(name="keyed")
    prep = Step("prep", PythonOPTemplate(Prep), key="prep")
    wf.add(prep)
    wf.add(Step("fit", PythonOPTemplate(Fit), parameters={"n": prep.outputs.parameters["n"]},
                key="fit"))
    wf.submit()


def gated(go: str) -> None:
    os.environ["DFLOW_NB_TEST_GO"] = go
    wf = Workflow(name="gated")
    wf.add(Step("gate", ShellOPTemplate(name="gate", script=(
        "for i in $(seq 1 20); do echo line-$i-before-the-gate; done; "
        "for i in $(seq 1 3000); do [ -f $DFLOW_NB_TEST_GO ] && break; sleep 0.1; done; "
        "echo gate-opened"))))
    wf.submit()


if __name__ == "__main__":
    os.chdir(sys.argv[1])
    if sys.argv[2:] == ["gate"]:
        gated(str(Path(sys.argv[1], "GO")))
    else:
        keyed()
        retrying()
        fanout()

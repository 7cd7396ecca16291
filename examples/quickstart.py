"""dflow_nb quick start: a fan-out, a file artifact and a shell step on the local engine.

Run it with ``python examples/quickstart.py``; it prints the run's step table and result.
"""
import os
from pathlib import Path
from typing import List

from dflow_nb import (
    InputArtifact,
    InputParameter,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Workflow,
    upload_artifact,
)
from dflow_nb.cli import step_table
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    """Square one number (run once per slice)."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": op_in["x"] ** 2})


class Report(OP):
    """Write the squares and their sum to a file."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"squares": List[int], "title": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"report": Artifact(Path), "total": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        title = op_in["title"].read_text().strip()
        total = sum(op_in["squares"])
        out = Path("report.txt")
        out.write_text(f"{title}\nsquares: {op_in['squares']}\ntotal: {total}\n")
        return OPIO({"report": out, "total": total})


def main() -> None:
    runs = Path(__file__).resolve().parent / "dflow_nb_runs"   # state db + step directories
    runs.mkdir(exist_ok=True)
    os.chdir(runs)
    Path("title.txt").write_text("Sum of squares\n")
    square = Step("square", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                                    output_parameter=["y"])),
                  parameters={"x": list(range(1, 11))})
    report = Step("report", PythonOPTemplate(Report),
                  parameters={"squares": square.outputs.parameters["y"]},
                  artifacts={"title": upload_artifact("title.txt")})
    # A Python OP's output artifact is a directory (its files plus a catalog), as in Dflow.
    check = ShellOPTemplate(name="check", script="wc -l < /tmp/report/report.txt > /tmp/lines\n"
                            "echo total={{inputs.parameters.total}}")
    check.inputs.parameters["total"] = InputParameter()
    check.inputs.artifacts["report"] = InputArtifact(path="/tmp/report")
    check.outputs.parameters["lines"] = OutputParameter(value_from_path="/tmp/lines")
    lines = Step("check", check, parameters={"total": report.outputs.parameters["total"]},
                 artifacts={"report": report.outputs.artifacts["report"]})

    wf = Workflow("quickstart")
    wf.add(square)
    wf.add(report)
    wf.add(lines)
    wf.submit()

    print(f"\nworkflow {wf.id}: {wf.query_status()}")
    print(step_table(wf.query_step()))
    total = wf.query_step(name="report")[0].outputs.parameters["total"].value
    print(f"\nsum of squares 1..10 = {total}; "
          f"report lines = {wf.query_step(name='check')[0].outputs.parameters['lines'].value}")


if __name__ == "__main__":
    main()

"""Compile time and manifest size of a sliced Python OP step for 10, 1,000 and 10,000 slices.

    .venv/bin/python benchmarks/compile.py

The manifest must not grow with the number of slices beyond the literal input list itself
(one parameter), and must stay far below Argo's ~1 MB object limit.
"""
from __future__ import annotations

import json
import time

from dflow_nb import Step, Workflow
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] ** 2})


def build(n: int) -> Workflow:
    wf = Workflow("bench")
    sq = Step("square", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                                output_parameter=["y"])),
              parameters={"x": list(range(n))})
    wf.add(sq)
    wf.add(Step("again", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"])),
                parameters={"x": sq.outputs.parameters["y"]}))
    return wf


def main() -> None:
    print(f"{'slices':>8} {'compile ms':>11} {'manifest bytes':>15} {'without the list':>17}")
    for n in (10, 1_000, 10_000):
        wf = build(n)
        compile_workflow(wf)  # warm-up (imports, OP source)
        runs = 5
        t0 = time.perf_counter()
        for _ in range(runs):
            manifest = compile_workflow(wf)
        ms = (time.perf_counter() - t0) / runs * 1000
        size = len(json.dumps(manifest, separators=(",", ":")))
        list_size = len(json.dumps(list(range(n))))
        print(f"{n:>8} {ms:>11.1f} {size:>15,} {size - list_size:>17,}")


if __name__ == "__main__":
    main()

"""Compile time and manifest size of a sliced Python OP step for 10, 1,000 and 10,000 slices;
then workflows past Argo v4's caps (200 templates, 200 tasks per DAG): a chain of 1,000 steps
of one OP and a 1,000-task DAG whose tasks read across the groups it is split into.

    .venv/bin/python benchmarks/compile.py

The manifest must not grow with the number of slices beyond the literal input list itself
(one parameter), and must stay far below Argo's ~1 MB object limit. The big workflows must
compile to manifests that pass Argo's schema and caps, and run on the local engine.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from dflow_nb import Step, Workflow, config
from dflow_nb.argo import schema
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.argo.test_scale import chain, wide_dag  # noqa: E402  (the workflows the tests check)


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


def scale() -> None:
    print(f"\n{'workflow':>20} {'compile s':>10} {'manifest bytes':>15} {'templates':>10} "
          f"{'max tasks':>10} {'valid':>6} {'local run s':>12}")
    old = (config["mode"], config.get("debug_workdir"), os.getcwd())
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        config["mode"], config["debug_workdir"] = "debug", tmp
        try:
            for name, build in (("1,000-step chain", chain), ("1,000-task DAG", wide_dag)):
                wf = build(1000)
                t0 = time.perf_counter()
                manifest = compile_workflow(wf)
                secs = time.perf_counter() - t0
                templates = manifest["spec"]["templates"]
                widest = max(len((t.get("dag") or {}).get("tasks") or []) for t in templates)
                valid = "yes" if not schema.manifest_errors(manifest) else "NO"
                t0 = time.perf_counter()
                wf.submit()
                wf.wait(interval=0.05)
                run = time.perf_counter() - t0
                assert wf.query_status() == "Succeeded"
                assert len(wf.query_step(key="t-999" if "DAG" in name else "inc-999")) == 1
                size = len(json.dumps(manifest, separators=(",", ":")))
                print(f"{name:>20} {secs:>10.2f} {size:>15,} {len(templates):>10} "
                      f"{widest:>10} {valid:>6} {run:>12.1f}")
        finally:
            config["mode"], config["debug_workdir"] = old[0], old[1]
            os.chdir(old[2])


if __name__ == "__main__":
    main()
    scale()

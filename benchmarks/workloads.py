"""Benchmark workloads written once against Dflow's public API.

The implementation is imported by name from ``BENCH_IMPL`` (``dflow`` =
pydflow, ``dflow_nb`` = this project), so both engines run exactly this code.
Each workload builds a workflow, and after it has run checks its result, so a
wrong engine cannot post a fast number.

Run one workload (this is what ``run.py`` does in a fresh subprocess)::

    BENCH_IMPL=dflow python benchmarks/workloads.py chain50 result.json

The result file gets ``{"wall": s, "build": s, "steps": n, ...}`` where
``wall`` is measured around ``submit()`` + ``wait()`` only.
"""
import importlib
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

IMPL_NAME: str = os.environ["BENCH_IMPL"]
impl = importlib.import_module(IMPL_NAME)
python = importlib.import_module(IMPL_NAME + ".python")

from bench_ops import MB, CheckSquares, Inc, Join, MakeFile, Retag, payload, sha256, square  # noqa: E402
from catalog import WORKLOAD_STEPS  # noqa: E402

Workflow = impl.Workflow
Step = impl.Step
Steps = impl.Steps
DAG = impl.DAG
Task = impl.Task
Inputs = impl.Inputs
InputParameter = impl.InputParameter
argo_range = impl.argo_range
PythonOPTemplate = python.PythonOPTemplate
Slices = python.Slices

Check = Callable[[Any], None]
Built = Tuple[Any, Check]


def _value(step: Any, name: str) -> Any:
    """Output parameter ``name`` of a queried step, decoded if a JSON string."""
    val = step.outputs.parameters[name].value
    if isinstance(val, str):
        try:
            val = json.loads(val)
        except ValueError:
            pass
    return val


def _one(wf: Any, key: str) -> Any:
    """The single queried step with ``key``."""
    found = wf.query_step(key=key)
    assert len(found) == 1, "expected one step with key %r, got %d" % (
        key, len(found))
    return found[0]


def build_trivial() -> Built:
    """One Inc step: 0 -> 1."""
    wf = Workflow(name="bench-trivial")
    wf.add(Step("inc", PythonOPTemplate(Inc), parameters={"x": 0},
                key="trivial"))

    def check(wf: Any) -> None:
        got = _value(_one(wf, "trivial"), "y")
        assert got == 1, "trivial: expected 1, got %r" % (got,)
    return wf, check


def build_chain(n: int = 50) -> Built:
    """``n`` Inc steps in sequence, each passing its int to the next."""
    wf = Workflow(name="bench-chain")
    tmpl = PythonOPTemplate(Inc)
    prev: Any = 0
    for i in range(1, n + 1):
        step = Step("inc-%d" % i, tmpl, parameters={"x": prev},
                    key="chain-%d" % i)
        wf.add(step)
        prev = step.outputs.parameters["y"]

    def check(wf: Any) -> None:
        got = _value(_one(wf, "chain-%d" % n), "y")
        assert got == n, "chain: expected %d, got %r" % (n, got)
    return wf, check


def build_fanout(n: int) -> Built:
    """One sliced step over ``n`` ints, then a step checking the stacked list."""
    wf = Workflow(name="bench-fanout")
    tmpl = PythonOPTemplate(
        square, slices=Slices("{{item}}", input_parameter=["x"],
                              output_parameter=["y"]))
    fan = Step("square", tmpl, parameters={"x": list(range(n))},
               with_param=argo_range(n), key="fanout-{{item}}")
    wf.add(fan)
    wf.add(Step("verify", PythonOPTemplate(CheckSquares),
                parameters={"ys": fan.outputs.parameters["y"], "n": n},
                key="fanout-verify"))

    def check(wf: Any) -> None:
        verify = _one(wf, "fanout-verify")
        assert _value(verify, "count") == n, "fan-out: wrong stacked length"
        total = sum(i * i for i in range(n))
        assert _value(verify, "total") == total, "fan-out: wrong total"
    return wf, check


def build_recursion(limit: int = 20) -> Built:
    """A Steps template calling itself with ``when`` until iter reaches limit."""
    loop = Steps(name="loop", inputs=Inputs(parameters={
        "iter": InputParameter(value=0),
        "limit": InputParameter(value=limit)}))
    add = Step("add", PythonOPTemplate(Inc),
               parameters={"x": loop.inputs.parameters["iter"]},
               key="iter-%s" % loop.inputs.parameters["iter"])
    loop.add(add)
    nxt = Step("next", loop,
               parameters={"iter": add.outputs.parameters["y"],
                           "limit": loop.inputs.parameters["limit"]},
               when="%s < %s" % (add.outputs.parameters["y"],
                                 loop.inputs.parameters["limit"]))
    loop.add(nxt)
    wf = Workflow(name="bench-recursion", steps=loop)

    def check(wf: Any) -> None:
        adds = [s for s in wf.query_step(name="add")
                if s.phase == "Succeeded"]
        assert len(adds) == limit, "recursion: expected %d add steps, got " \
            "%d" % (limit, len(adds))
        got = sorted(_value(s, "y") for s in adds)
        assert got == list(range(1, limit + 1)), \
            "recursion: wrong counters %r" % (got,)
        assert _value(_one(wf, "iter-%d" % (limit - 1)), "y") == limit
    return wf, check


def build_diamond() -> Built:
    """DAG A -> (B, C) -> D passing 1 MB file artifacts."""
    dag = DAG(name="diamond")
    a = Task("a", PythonOPTemplate(MakeFile), parameters={"size": MB})
    b = Task("b", PythonOPTemplate(Retag), parameters={"tag": "B"},
             artifacts={"data": a.outputs.artifacts["data"]})
    c = Task("c", PythonOPTemplate(Retag), parameters={"tag": "C"},
             artifacts={"data": a.outputs.artifacts["data"]})
    d = Task("d", PythonOPTemplate(Join),
             artifacts={"left": b.outputs.artifacts["out"],
                        "right": c.outputs.artifacts["out"]}, key="join")
    for t in (a, b, c, d):
        dag.add(t)
    wf = Workflow(name="bench-diamond", dag=dag)

    def check(wf: Any) -> None:
        src = payload("A", MB)
        want = [sha256(b"B" + src[1:]), sha256(b"C" + src[1:])]
        join = _one(wf, "join")
        sizes = _value(join, "sizes")
        assert sizes == [MB, MB], "diamond: sizes %r" % (sizes,)
        assert _value(join, "digests") == want, "diamond: wrong contents"
    return wf, check


BUILDERS: Dict[str, Callable[[], Built]] = {
    "trivial": build_trivial,
    "chain50": lambda: build_chain(50),
    "fanout100": lambda: build_fanout(100),
    "fanout1000": lambda: build_fanout(1000),
    "recursion20": lambda: build_recursion(20),
    "diamond": build_diamond,
}
assert list(BUILDERS) == list(WORKLOAD_STEPS)


def run(name: str) -> Dict[str, Any]:
    """Build, submit, wait for and check workload ``name``; return timings."""
    builder, nsteps = BUILDERS[name], WORKLOAD_STEPS[name]
    impl.config["mode"] = "debug"
    impl.config["debug_workdir"] = os.getcwd()
    t0 = time.perf_counter()
    wf, check = builder()
    t1 = time.perf_counter()
    wf.submit()
    wf.wait(interval=0.01)
    t2 = time.perf_counter()
    status = wf.query_status()
    assert status == "Succeeded", "workflow ended %r" % (status,)
    check(wf)
    return {"workload": name, "impl": IMPL_NAME, "steps": nsteps,
            "build": t1 - t0, "wall": t2 - t1,
            "check": time.perf_counter() - t2}


def main(argv: List[str]) -> int:
    """CLI: ``workloads.py NAME RESULT_JSON``."""
    if len(argv) != 3 or argv[1] not in BUILDERS:
        print("usage: workloads.py {%s} RESULT_JSON" % ",".join(BUILDERS),
              file=sys.stderr)
        return 2
    res = run(argv[1])
    with open(argv[2], "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

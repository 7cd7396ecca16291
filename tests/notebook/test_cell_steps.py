"""Cells that cannot become steps, each refused with one message naming the cell and the
variable; and what a well-formed cell becomes (its OP's source, types, wiring, Step options).
The cells are read with ast/symtable only: nothing in them runs unless asked."""
import math
import sys
import types
from pathlib import Path
from typing import List

import pytest

from dflow_nb.argo.script import op_shipping
from dflow_nb.notebook.cell_steps import CellSteps
from dflow_nb.plugins.container import ContainerExecutor
from dflow_nb.python.cell_op import CellStepError


@pytest.fixture
def cells(monkeypatch):
    """Cell-steps over a namespace that is a module, as a kernel's is (``__main__``)."""
    kernel = types.ModuleType("kernel_main")
    monkeypatch.setitem(sys.modules, "kernel_main", kernel)
    ns = vars(kernel)
    ns.update(math=math, threshold=0.5)
    steps = CellSteps()
    steps.define("prepare n:int=3 -> xs:List[int]", "xs = list(range(n))\n", ns)
    return steps, ns


def refused(cells, line, cell):
    steps, ns = cells
    with pytest.raises(CellStepError) as err:
        steps.define(line, cell, ns)
    return str(err.value)


def test_a_name_used_but_never_defined_nor_wired(cells):
    msg = refused(cells, "scale xs=prepare.xs -> ys:list", "ys = [x * factor for x in xs]\n")
    assert msg == ("cell 'scale' cannot become a step: 'factor' is used but never defined in the "
                   "cell nor wired as an input (add factor=... to the %%dflow step line)")


def test_a_kernel_value_read_without_wiring(cells):
    msg = refused(cells, "keep xs=prepare.xs -> ys:list",
                  "def big(x):\n    return x > threshold\nys = [x for x in xs if big(x)]\n")
    assert "'threshold' holds a float value of the kernel, not an input: wire it" in msg


def test_magic_and_shell_lines(cells):
    assert "line 2 ('%timeit sum(xs)') is an IPython magic or shell command" in refused(
        cells, "t xs=prepare.xs -> s:int", "s = sum(xs)\n%timeit sum(xs)\n")
    assert "cell 'sh' cannot become a step: line 1 ('files = !ls') is an IPython magic" in refused(
        cells, "sh -> files:list", "files = !ls\n")


def test_an_output_the_cell_never_assigns(cells):
    assert refused(cells, "total xs=prepare.xs -> total:int", "sum(xs)\n") == \
        "cell 'total' cannot become a step: output 'total' is never assigned in the cell"


def test_an_output_that_is_not_serialisable(cells):
    steps, ns = cells
    step, run = steps.define("handle -> f:Any --run", "f = open\n", ns)
    assert run
    with pytest.raises(CellStepError, match="output 'f' is a builtin_function_or_method, which "
                                            "cannot be serialised as a parameter"):
        steps.run_in_kernel(step, ns, lambda code: exec(code, ns))
    assert "handle" not in steps.steps     # it is not left half-defined


def test_bad_wiring_types_and_options(cells):
    assert "no cell-step is named 'prep'" in refused(cells, "s x=prep.xs -> y:int", "y = 1\n")
    assert "cell 'prepare' has no output 'ys' (its outputs: xs)" in refused(
        cells, "s x=prepare.ys -> y:int", "y = 1\n")
    assert "input 'k' has no default and is not wired" in refused(cells, "s k:int -> y:int", "y=k\n")
    assert "output 'f': 'Callable' is not a type a step can pass (types: int, float" in refused(
        cells, "s -> f:Callable", "f=1\n")
    assert "'__import__(os)' is not a type" in refused(cells, "s -> f:__import__('os')", "f=1\n")
    assert "--slices z: 'z' is not an input" in refused(cells, "s x=prepare.xs --slices z", "y=1\n")
    assert "line 1: 'return' outside function" in refused(cells, "s -> y:int", "return 1\n")
    assert "--executor nope: no Executor" in refused(cells, "s --executor nope -> y:int", "y=1\n")
    with pytest.raises(ValueError, match="unknown option"):
        cells[0].define("s --frobnicate -> y:int", "y = 1\n", cells[1])


def test_a_cell_becomes_a_function_op_whose_source_is_the_cell(cells):
    steps, ns = cells
    text = ('import json\nnote = """kept\nas written"""\n'
            "ys = [math.sqrt(x) for x in xs]\nreport = json.dumps({'n': len(ys)})\n")
    step, run = steps.define("roots xs=prepare.xs -> ys:List[float] report:str", text, ns)
    assert not run and step.depends() == ["prepare"]
    assert step.inputs[0].type == List[int]      # the wired output's type came along
    source = step.op.func.__dflow_source__
    assert 'note = """kept\nas written"""' in source       # a multi-line string is untouched
    assert "def roots(xs: List[int]) -> {'ys': List[float], 'report': str}:" in source
    assert step.op(xs=[4, 9]) == {"ys": [2.0, 3.0], "report": '{"n": 2}'}
    mode, payload = op_shipping(step.op)
    assert mode == "source" and "import math" in payload and "ys = [math.sqrt(x)" in payload


def test_slices_keys_and_step_options(cells):
    steps, ns = cells
    ns["remote"] = ContainerExecutor(docker="podman")
    sq, _ = steps.define("square x=prepare.xs --slices x --group-size 10 --retries 2 "
                         "--continue-on-success-ratio 0.9 --executor remote --image py:3.11 "
                         "-> y:int", "y = x * x\n", ns)
    assert sq.inputs[0].type is int and sq.options["key"] == "square-{{item}}"
    steps.define("report ys=square.y --when '{{prepare.xs}} != []' -> n:int", "n = len(ys)\n", ns)
    wf = steps.workflow("opts")
    dag = wf.entrypoint
    square, report = dag.tasks[1], dag.tasks[2]
    assert square.executor is ns["remote"] and square.continue_on_success_ratio == 0.9
    assert square.template.image == "py:3.11" and square.template.slices.group_size == 10
    assert square.template.retry_strategy == {"limit": "2", "retryPolicy": "OnFailure"}
    assert report.when == "{{tasks.prepare.outputs.parameters.xs}} != []"
    assert report.dependencies == ["square", "prepare"]
    assert report.template.inputs.parameters["ys"].type == List[int]   # stacked slices


def test_redefining_a_cell_replaces_its_step_and_a_cycle_is_refused(cells):
    steps, ns = cells
    steps.define("double xs=prepare.xs -> ys:list", "ys = [2 * x for x in xs]\n", ns)
    steps.define("prepare n:int=5 -> xs:List[int]", "xs = list(range(n))\n", ns)
    assert list(steps.steps) == ["double", "prepare"]
    assert [s.name for s in steps.order()] == ["prepare", "double"]
    steps.define("prepare ys=double.ys -> xs:List[int]", "xs = ys\n", ns)
    with pytest.raises(CellStepError, match="its inputs are wired in a cycle"):
        steps.workflow()


def test_ipython_brace_expansion_in_the_magic_line_is_undone_for_argo_tags(cells):
    """IPython turns ``{{item}}`` of a magic line into ``{item}``: both mean Argo's tag."""
    steps, ns = cells
    sq, _ = steps.define("square x=prepare.xs --slices x --key sq-{item} -> y:int", "y = x\n", ns)
    rep, _ = steps.define("report ys=square.y --when '{prepare.xs} != []' -> n:int",
                          "n = len(ys)\n", ns)
    assert sq.options["key"] == "sq-{{item}}"
    assert rep.options["when"] == "{{tasks.prepare.outputs.parameters.xs}} != []"


def test_a_cell_step_op_pickles_as_its_source(cells):
    """What a local worker, a Slurm job or a container unpickles is the cell's source, run in
    a fresh namespace: a kernel value that sneaks in is not there."""
    import cloudpickle
    steps, ns = cells
    step, _ = steps.define("roots xs=prepare.xs -> ys:List[float]",
                           "ys = [math.sqrt(x) for x in xs]\n", ns)
    blob = cloudpickle.dumps(step.op)
    assert b"ys = [math.sqrt(x) for x in xs]" in blob and b"import math" in blob
    ns.clear()                       # the kernel is gone: the step still runs
    again = cloudpickle.loads(blob)
    assert again(xs=[4, 9]) == {"ys": [2.0, 3.0]}
    assert again.func.__module__ == "__dflow_op__"


def test_artifacts_are_paths_wired_between_cells_in_the_kernel_and_in_a_run(cells, tmp_path,
                                                                           monkeypatch):
    steps, ns = cells
    monkeypatch.chdir(tmp_path)
    write, _ = steps.define("write xs=prepare.xs -> table:Artifact",
                            "from pathlib import Path\ntable = Path('table.txt')\n"
                            "table.write_text(' '.join(map(str, xs)))\n", ns)
    read, _ = steps.define("read table=write.table -> total:int",
                           "total = sum(int(w) for w in table.read_text().split())\n", ns)
    assert read.inputs[0].artifact and read.depends() == ["write"]

    def run(code):
        exec(code, ns)
    for step in (steps.steps["prepare"], write, read):   # in the kernel (--run)
        steps.run_in_kernel(step, ns, run)
    assert ns["total"] == 3 and isinstance(ns["table"], Path)

    wf = steps.workflow("artifacts", workdir=tmp_path / "runs")   # and as a workflow
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(key="read")[0].outputs.parameters["total"].value == 3


def test_defining_a_cell_step_never_runs_the_cell(cells, tmp_path):
    """Checking a cell reads it (ast, symtable, compile); the cell runs only in its step, or
    in the kernel with --run; a default or a type is read as a literal, never evaluated."""
    steps, ns = cells
    marker = tmp_path / "ran"
    steps.define("side n:int=1 -> n:int", f"open({str(marker)!r}, 'w').write('x')\n", ns)
    assert not marker.exists()
    steps.define(f"lit s='__import__(\"os\").system(\"touch {marker}\")' -> s:str", "s = s\n", ns)
    assert steps.steps["lit"].values["s"] == f'__import__("os").system("touch {marker}")'
    assert not marker.exists()


def test_dropping_the_cell_step_of_a_deleted_cell(cells):
    steps, ns = cells
    steps.define("double xs=prepare.xs -> ys:list", "ys = [2 * x for x in xs]\n", ns)
    with pytest.raises(CellStepError, match="cell-steps double read it: drop or redefine"):
        steps.drop(["prepare"])
    steps.drop(["double"])
    assert list(steps.steps) == ["prepare"] and steps.graph().text() == "1 cell-steps\n  prepare"
    with pytest.raises(LookupError, match="no cell-step named 'double'"):
        steps.drop(["double"])

"""Cells as steps in one real kernel (nbclient): four cell-steps (prepare, a 100-slice fan-out,
a reduce, a report with an artifact) drawn, run locally, reused with an edited output, compiled
for Argo (schema-valid, the fan-out one template with ``withParam``) and run from that manifest,
then a failing cell-step debugged in the kernel."""
import json
import re

from dflow_nb.argo import schema

MIME = "application/vnd.dflow-nb.workflow+json"

PREPARE = '''%%dflow step prepare n:int=100 -> xs:List[int]
xs = list(range(n))
'''
SQUARE = '''%%dflow step square x=prepare.xs --slices x -> y:int
y = x * x
'''
REDUCE = '''%%dflow step reduce ys=square.y -> total:int mean:float
total = sum(ys)
mean = total / len(ys)
'''
REPORT = '''%%dflow step report total=reduce.total mean=reduce.mean -> line:str table:Artifact
from pathlib import Path
line = f"total={total} mean={mean:.2f}"
Path("report.txt").write_text(line + "\\n")
table = "report.txt"
'''
BROKEN_SQUARE = '''%%dflow step square x=prepare.xs --slices x -> y:int
scale = 1 / (x - 7)     # a bug: the slice x=7 fails
y = x * x
'''
COMPILE = '''from dflow_nb.argo.compile import compile_workflow
from dflow_nb.argo.script import op_shipping
from dflow_nb.notebook.cell_steps import cell_workflow, registry
manifest = compile_workflow(cell_workflow("cells-argo"))
json.dump(manifest, open("manifest.json", "w"))
print(op_shipping(registry().steps["square"].op)[0])
'''
FROM_MANIFEST = '''from dflow_nb import Workflow
shipped = Workflow.from_dict(manifest)
shipped.submit(wait=True)
print(shipped.query_status(), shipped.query_step(key="reduce")[0].outputs.parameters["total"].value)
'''
POST_MORTEM = '''import sys, traceback
frames = [f for f, _ in traceback.walk_tb(sys.last_traceback)]
cell = [f for f in frames if f.f_code.co_filename == "<cell-step square>"][-1]
print(type(sys.last_value).__name__, cell.f_locals["x"])
'''

CELLS = [
    ("load", "%load_ext dflow_nb\nimport json\n%dflow mode local"),
    ("prepare", PREPARE),
    ("square", SQUARE),
    ("reduce", REDUCE),
    ("report", REPORT),
    ("graph", "%dflow graph"),
    ("explore", PREPARE.replace("n:int=100 -> xs:List[int]", "n:int=4 -> xs:List[int] --run")),
    ("explore_sq", SQUARE.replace("-> y:int", "-> y:int --run")),
    ("explored", "print(xs, y)"),
    ("redefine", PREPARE),
    ("submit", "%%dflow submit --wait\nfrom dflow_nb.notebook.cell_steps import cell_workflow\n"
               "wf = cell_workflow('cells')"),
    ("result", "print(wf.query_status(), len(wf.query_step(name='square', type='Pod')),\n"
               "      wf.query_step(key='report')[0].outputs.parameters['line'].value)"),
    ("reuse", "def reused(run):\n"
              "    return sorted({s.key.split('-')[0] for s in run.query_step() if s.message == 'reused'})\n"
              "%dflow reuse wf"),
    ("reuse_go", "r = _\nr.rows['reduce'].params['total'].value = '999'\n"
                 "r.rows['report'].use.value = False\nnew = r.resubmit(wait=True)\n"
                 "print(new.query_status(), new.query_step(key='report')[0].outputs.parameters['line'].value,\n"
                 "      reused(new))"),
    ("run_reuse", "%dflow run --wait --name again --reuse wf:prepare,square"),
    ("run_reuse_check", "from dflow_nb import Workflow\nfrom dflow_nb.hub.workflow import query_workflows\n"
                        "again = Workflow(id=next(r.id for r in query_workflows() if r.name == 'again'))\n"
                        "print(again.query_status(), reused(again))"),
    ("compile", COMPILE),
    ("from_manifest", FROM_MANIFEST),
    ("broken", BROKEN_SQUARE),
    ("run_broken", "%dflow run --wait --name broken"),
    ("debug", "%dflow debug - square"),
    ("post_mortem", POST_MORTEM),
    ("bad_name", "%%dflow step oops total=reduce.total -> z:float\nz = total * scale"),
    ("bad_magic", "%%dflow step shell -> out:str\n!ls\nout = 'x'"),
    ("bad_output", "%%dflow step opener -> f:Any --run\nf = lambda: 1"),
    ("drop", "%dflow graph --drop report"),
]


def test_four_cell_steps_run_reuse_compile_and_debug(run_notebook, tmp_path):
    ran = run_notebook(CELLS, timeout=180)

    assert "cell-step square: (x ← prepare.xs) -> (y:int), sliced over x; key 'square-{{item}}'" \
        in ran.text("square")
    assert "(total ← reduce.total, mean ← reduce.mean) -> (line:str, table:Artifact(Path))" \
        in ran.text("report")

    # the DAG before anything runs: the live view's picture, edges from the wiring
    assert ran.text("graph").splitlines() == ["4 cell-steps", "  prepare", "  square <- prepare",
                                              "  reduce <- square", "  report <- reduce"]
    svg = ran.data("graph", "image/svg+xml")[0]
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="dflow-nb-dag"')
    assert svg.count('class="dn-node"') == 4 and "×x" in svg

    # exploring: the same cells run in the kernel, outputs left behind, wired by name
    assert "ran here: xs left in the kernel" in ran.text("explore")
    assert ran.text("explored").strip() == "[0, 1, 2, 3] [0, 1, 4, 9]"

    # a local run of the four cell-steps: 100 slices, the reduce and the report's artifact
    assert ran.data("submit", MIME)[-1]["workflow"]["phase"] == "Succeeded"
    assert ran.text("result").split() == ["Succeeded", "100", "total=328350", "mean=3283.50"]

    # reuse keyed by cell name: the edited total flows into the report, which alone re-ran
    assert ran.text("reuse_go").splitlines()[-1] == \
        "Succeeded total=999 mean=3283.50 ['prepare', 'reduce', 'square']"
    # %dflow run --reuse names cells: their steps (all 100 slices) are reused, the rest re-run
    assert ran.data("run_reuse", MIME)[-1]["workflow"]["phase"] == "Succeeded"
    assert ran.text("run_reuse_check").strip() == "Succeeded ['prepare', 'square']"

    # Argo: one template for the fan-out, looped with withParam; the cells ship as source
    assert ran.text("compile").strip() == "source"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    if schema.schema_path() is not None:
        assert schema.manifest_errors(manifest) == []
    templates = manifest["spec"]["templates"]
    assert len(templates) == 5   # the DAG and one script template per cell
    tasks = {t["name"]: t for t in next(t for t in templates if "dag" in t)["dag"]["tasks"]}
    assert "withParam" in tasks["square"] and "prepare.outputs.parameters.xs" in \
        tasks["square"]["withParam"]
    assert tasks["report"]["dependencies"] == ["reduce"]
    square = next(t for t in templates if t["name"] == tasks["square"]["template"])
    assert "# dflow_nb: runs OP square (source)" in square["script"]["source"]
    # ... and that manifest runs: the script templates exec the shipped cell source
    assert ran.text("from_manifest").splitlines()[-1] == "Succeeded 328350"

    # a failing cell-step, re-run in the kernel with its recorded inputs
    assert ran.data("run_broken", MIME)[-1]["workflow"]["phase"] == "Failed"
    err = ran.errors("debug")
    assert err and err[0].ename == "ZeroDivisionError"
    assert "in this kernel with its recorded inputs: x=7" in ran.text("debug")   # the slice's item
    tb = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err[0].traceback))
    assert "scale = 1 / (x - 7)" in tb
    assert ran.text("post_mortem").split() == ["ZeroDivisionError", "7"]

    # cells that cannot become steps: one line naming the cell and the variable
    for tag, words in (("bad_name", "cell 'oops' cannot become a step: 'scale' is used but "
                                    "never defined in the cell nor wired as an input"),
                       ("bad_magic", "cell 'shell' cannot become a step: line 1 ('!ls') is an "
                                     "IPython magic or shell command"),
                       ("bad_output", "cell 'opener' cannot become a step: output 'f' is a "
                                      "function, which cannot be serialised")):
        text = ran.text(tag)
        assert words in text, (tag, text)
        assert "Traceback" not in text, (tag, text)

    # a deleted cell's step is dropped; the others stay
    assert ran.text("drop").splitlines() == ["3 cell-steps", "  prepare", "  square <- prepare",
                                             "  reduce <- square"]

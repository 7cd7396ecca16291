"""A notebook user's round: runs named by their workflow's name, the work directory out of the
way, a failing OP read in its log, fixed in its cell, and the fix used by retry and reuse.

One real kernel (nbclient), the local engine, the notebook's own folder as the work directory.
"""
import json

HALVE = '''%%dflow op
from typing import List
from dflow_nb.python import OP, OPIO, OPIOSign


class Halve(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": float})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    def execute(self, op_in):
        if op_in["x"] > LIMIT:
            raise ValueError(f"{op_in['x']} is too big")
        return OPIO({"y": op_in["x"] / 2})


@OP.function
def total(values: List[float]) -> {"total": float}:
    return {"total": sum(values)}
'''

BUILD = '''from dflow_nb import Step, Workflow
from dflow_nb.python import PythonOPTemplate, Slices

def build(**options):
    half = Step("half", PythonOPTemplate(Halve, slices=Slices(input_parameter=["x"],
                output_parameter=["y"])), parameters={"x": [1.0, 2.0, 3.0]},
                key="half-{{item}}", **options)
    tot = Step("total", PythonOPTemplate(total), parameters={"values": half.outputs.parameters["y"]},
               key="total")
    wf = Workflow("wf")
    wf.add(half)
    wf.add(tot)
    return wf
'''

CELLS = [
    ("load", "%load_ext dflow_nb\n%dflow mode local"),
    ("ops", HALVE.replace("LIMIT", "2")),
    ("build", BUILD),
    ("first", "%%dflow submit --name nbbar --wait\nwf = build(continue_on_success_ratio=0.5)"),
    ("second", "%%dflow submit --name nbbar --wait\nwf = build(continue_on_success_ratio=0.5)"),
    ("failing", "%%dflow submit --name nbfail --wait\nfailing = build()"),
    ("ids", "del wf, failing   # names below are workflow names, not variables\n"
            "import json\nfrom dflow_nb import query_workflows\n"
            "runs = [[r.name, r.id] for r in query_workflows()]\n"
            "newest = {name: wf_id for name, wf_id in reversed(runs)}\nprint(json.dumps(runs))"),
    ("steps", "%dflow steps nbbar --key half-2"),
    ("where", "%dflow where"),
    ("log", "%dflow logs nbfail half-2"),
    ("retry_ok", "%dflow retry nbbar"),
    ("debug", "%dflow debug nbbar half-2"),
    ("reuse", "%dflow reuse nbbar"),
    ("boxes", "r = _\nprint(json.dumps({k: {p: b.value for p, b in row.params.items()}"
              " for k, row in r.rows.items()}))"),
    ("fix", HALVE.replace("LIMIT", "5")),
    ("retry_fixed", "%dflow retry nbfail"),
    ("retried", "from dflow_nb import Workflow\nretried = Workflow(id=newest['nbfail'])\n"
                "print(retried.wait(), retried.step('half-2').outputs.parameters['y'].value)"),
    ("resubmit", "r.rows['half-0'].params['y'].value = '9.5'\nr.rows['total'].use.value = False\n"
                 "r.button.click()   # what the Resubmit button does\n"
                 "new = r.new_workflow\nnew.wait()\nr.live._thread.join(30)\n"
                 "print(json.dumps({'changes': r.changes, 'view': r.live.dag.status,"
                 " 'shown': [sorted(o['data']) for o in r.out.outputs],"
                 " 'phase': new.query_status(),"
                 " 'total': new.step('total').outputs.parameters['total'].value,"
                 " 'reused': [s.key for s in new.query_step(name='half') if s.reused],"
                 " 'ran': [s.key for s in new.query_step(name='half') if not s.reused]}))"),
]


def test_names_workdir_logs_and_fix_and_resume(run_notebook, tmp_path):
    ran = run_notebook(CELLS)
    runs = json.loads(ran.text("ids"))
    nbbar = [i for n, i in runs if n == "nbbar"]   # newest first
    nbfail = [i for n, i in runs if n == "nbfail"][0]
    assert len(nbbar) == 2, runs

    # a workflow's name names its newest run, and the cell says which run it took
    assert f"nbbar: 2 runs of that name; using the newest, {nbbar[0]}" in ran.text("steps")
    assert "half-2" in ran.data("steps", "text/html")[0]

    # the state and the step folders are in the hidden .dflow_nb folder, not beside the notebook
    where = ran.text("where")
    assert f"work directory: {tmp_path / '.dflow_nb'}" in where
    assert f"state database: {tmp_path / '.dflow_nb' / 'dflow_nb.db'} (3 runs)" in where
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dflow_nb", "executed.ipynb",
                                                          "test.ipynb"]
    assert {nbfail, *nbbar, ".gitignore"} <= {p.name for p in (tmp_path / ".dflow_nb").iterdir()}
    assert (tmp_path / ".dflow_nb" / ".gitignore").read_text().endswith("\n*\n")   # not committed

    # the failed slice's log: the cell's line first, the engine's frames after the marker
    log = ran.text("log")
    mine, marker, engine = log.partition("--- dflow_nb's own frames")
    assert marker and "worker.py" in engine and "dflow_nb" not in mine
    assert log.rstrip().splitlines()[-1] == "ValueError: 3.0 is too big"
    assert 'File "Cell In[2]", line 16, in execute' in mine   # as the notebook numbers it
    assert "raise ValueError(f\"{op_in['x']} is too big\")" in mine

    # retry of a run that Succeeded with a failed slice: Argo's rule, in one line
    retry = ran.text("retry_ok")
    assert f"workflow {nbbar[0]} Succeeded, nothing to retry" in retry, retry
    assert "1 of its steps failed" in retry and "Traceback" not in retry

    # %dflow debug and the reuse form show values, never Dflow's slice tagging
    assert "its recorded inputs: x=3.0" in ran.text("debug")
    boxes = json.loads(ran.text("boxes"))
    assert boxes["half-0"] == {"y": "0.5"} and boxes["half-1"] == {"y": "1.0"}
    assert boxes["total"] == {"total": "1.5"}
    assert "dflow_list_item" not in ran.text("debug") + ran.text("boxes")

    # after the fix in the cell, retry runs the fixed OP on the failed slice ...
    assert "retry: Halve: using the kernel's current definition" in ran.text("retry_fixed")
    assert ran.text("retried").split() == ["Succeeded", "1.5"]

    # ... and so does a resubmit from the reuse form, with the edited slice output
    out = json.loads(ran.text("resubmit").splitlines()[-1])
    assert out["changes"] == ["Halve: using the kernel's current definition (changed since "
                              "this run)"]   # total's cell ran again, but its code is the same
    assert out["phase"] == "Succeeded" and out["total"] == 9.5 + 1.0 + 1.5
    assert out["reused"] == ["half-0", "half-1"] and out["ran"] == ["half-2"]
    # below the form: the new run's live widget, ended, and no "Running…" text left behind
    assert out["view"] == "finished: Succeeded"
    assert out["shown"] == [["application/vnd.jupyter.widget-view+json", "text/plain"]]

"""Every %dflow magic in one real kernel (nbclient), against the local engine.

One notebook keeps the kernel starts to one; each cell is tagged and the assertions read what
that cell displayed: bundles, DataFrames, one-line errors, the saved widget state.
"""
import json
import re

MIME = "application/vnd.dflow-nb.workflow+json"

OPS = '''%%dflow op
from typing import List
from dflow_nb.python import OP, OPIO, OPIOSign


class Square(OP):
    """Squares one number; 7 is refused (the debugging demo)."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        print(f"squaring {op_in['x']}")
        if op_in["x"] == 7:
            raise ValueError("seven is unlucky")
        return OPIO({"y": op_in["x"] ** 2})


@OP.function
def total(values: List[int]) -> {"total": int}:
    print(f"total of {len(values)} values")
    return {"total": sum(values)}


@OP.function
def report(total: int) -> {"line": str}:
    print(f"report: total={total}")
    return {"line": f"total={total}"}
'''

BUILD = '''from dflow_nb import Step, Workflow
from dflow_nb.python import PythonOPTemplate, Slices

def build(xs, name="squares"):
    sq = Step("square", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
              output_parameter=["y"])), parameters={"x": xs}, key="sq-{{item}}")
    tot = Step("total", PythonOPTemplate(total), parameters={"values": sq.outputs.parameters["y"]},
               key="total")
    rep = Step("report", PythonOPTemplate(report),
               parameters={"total": tot.outputs.parameters["total"]}, key="report")
    wf = Workflow(name)
    for s in (sq, tot, rep):
        wf.add(s)
    return wf
'''

CELLS = [
    ("load", "%load_ext dflow_nb\nimport os\nos.environ['MY_ARGO_TOKEN'] = 's3cret-tok3n'\n%dflow mode local"),
    ("help", "%dflow help"),
    ("ops", OPS),
    ("source", "print('class Square' in Square.__dflow_source__, 'def total' in total.func.__dflow_source__,"
               " 'def report' in type(report).__dflow_source__)"),
    ("ship", "from dflow_nb.argo.script import op_shipping\n"
             "shipped = [op_shipping(op) for op in (Square, total)]\n"
             "print([mode for mode, _ in shipped], 'seven is unlucky' in shipped[0][1],"
             " 'total of' in shipped[1][1])"),
    ("build", BUILD),
    ("ship_run", "shipped_wf = Workflow.from_dict(build([2, 3], name='shipped').to_dict())\n"
                 "print(shipped_wf.submit(wait=True).phase,"
                 " shipped_wf.query_step(name='total')[0].outputs.parameters['total'].value)"),
    ("submit", "%%dflow submit --name squares --wait\nwf = build([x for x in range(13) if x != 7])"),
    ("status", "print(wf.id, wf.query_status())"),
    ("list", "%dflow list"),
    ("steps", "%dflow steps wf --phase Succeeded"),
    ("steps_key", "%dflow steps wf --key total"),
    ("logs", "%dflow logs wf total"),
    ("logs_grep", "%dflow logs wf square --grep 'squaring 1[01]' --tail 5"),
    ("watch", "%dflow watch wf --wait"),
    ("repr", "wf"),
    ("step_repr", "wf.query_step(key='total')[0]"),
    ("reuse", "%dflow reuse wf"),
    ("reuse_go", "r = _\nr.rows['total'].params['total'].value = '999'\nr.rows['report'].use.value = False\n"
                 "new = r.resubmit(wait=True)\n"
                 "print(new.query_status(), new.step('report').outputs.parameters['line'].value)"),
    ("submit_reuse", "%%dflow submit --wait --reuse {wf.id}:total\nwf2 = build([1, 2], name='again')"),
    ("reuse_check", "print(wf2.query_status(), wf2.step('report').outputs.parameters['line'].value)"),
    ("bad", "%%dflow submit --wait\nbad = build([5, 6, 7, 8], name='unlucky')"),
    ("bad_logs", "%dflow logs bad square --grep unlucky"),
    ("debug", "%dflow debug bad square"),
    ("post_mortem", "import sys, traceback\n"
                    "tb = sys.last_traceback\n"
                    "frames = [f for f, _ in traceback.walk_tb(tb)]\n"
                    "ex = [f for f in frames if f.f_code.co_name == 'execute'][-1]\n"
                    "print(type(sys.last_value).__name__, ex.f_locals['op_in']['x'], ex.f_code.co_filename)"),
    ("err_wf", "%dflow steps no-such-run-12345"),
    ("err_step", "%dflow logs wf no-such-step"),
    ("err_opt", "%dflow steps wf --bogus"),
    ("err_cmd", "%dflow frobnicate"),
    ("err_token", "%dflow config token=abc"),
    ("config", "%dflow config namespace=lab --token-env MY_ARGO_TOKEN"),
    ("yaml", "%dflow yaml wf"),
    ("retry", "%dflow retry bad"),
    ("terminate", "%dflow terminate wf"),
    ("no_op", "%%dflow op\nx = 1"),
    ("argo_no_host", "%%dflow submit --argo\nw3 = build([1])"),
]


def test_every_magic(run_notebook):
    ran = run_notebook(CELLS)

    assert "mode: local" in ran.text("load")
    assert "%%dflow submit" in ran.text("help") and "%dflow debug WF STEP" in ran.text("help")
    assert "OPs defined, source kept: Square (class), total (function), report (function)" in ran.text("ops")
    assert ran.text("source").strip() == "True True True"
    # ... and that cell is what Argo gets: OPs of a %%dflow op cell ship as source, not pickles
    assert ran.text("ship").strip() == "['source', 'source'] True True"
    assert ran.text("ship_run").strip().endswith("Succeeded 13")   # the shipped cell source runs

    # %%dflow submit --wait: live view shown, then the lasting record in the cell
    bundles = ran.data("submit", MIME)
    assert bundles, ran.text("submit")
    b = bundles[-1]
    assert b["version"] == 2 and b["workflow"]["phase"] == "Succeeded"
    assert b["workflow"]["name"] == "squares"
    groups = [n for n in b["nodes"] if n["group"]]
    assert len(groups) == 1 and groups[0]["group"] == {
        "count": 12, "planned": 12, "done": 12, "phases": {"Succeeded": 12}}
    assert groups[0]["progress"] == "12/12"
    assert b["svg"].startswith("<svg") and "<script" not in b["svg"]
    assert any(o.get("metadata", {}).get(MIME, {}).get("safe") for o in ran.outputs("submit"))
    html = ran.data("submit", "text/html")[-1]
    assert "<script" not in html and "data:image/svg+xml;base64," in html
    assert ran.data("submit", "image/svg+xml")
    # ONE output per run: the live widget, turned into the record in place; its text (what an
    # untrusted notebook without widget state shows) states the final phase, no stale line
    (shown,) = [o for o in ran.outputs("submit") if "data" in o]
    assert "application/vnd.jupyter.widget-view+json" in shown.data and MIME in shown.data
    assert shown.data["text/plain"].startswith(f"Workflow squares ({b['workflow']['id']}): "
                                               "Succeeded — 14/14 steps done")
    assert "VBox" not in ran.text("submit") and "running locally" not in ran.text("submit")
    assert "Succeeded" in ran.text("status")

    lst = ran.data("list", "text/html")[0]
    assert "squares-" in lst and "Succeeded" in lst
    steps = ran.data("steps", "text/html")[0]
    assert "sq-11" in steps and "total" in steps and "report" in steps
    key_only = ran.data("steps_key", "text/html")[0]
    assert "total" in key_only and "sq-3" not in key_only
    assert "total of 12 values" in ran.text("logs")
    grep = ran.text("logs_grep")
    assert "squaring 10" in grep and "squaring 11" in grep and "squaring 3" not in grep

    assert ran.data("watch", MIME)[-1]["workflow"]["phase"] == "Succeeded"
    assert ran.data("repr", MIME)[0]["workflow"]["id"] in ran.text("status")
    assert "total" in ran.text("step_repr") and "output total = 601" in ran.text("step_repr")

    # interactive reuse: edited output parameter flows into the step that re-ran
    assert ran.text("reuse_go").split()[-2:] == ["Succeeded", "total=999"]
    assert ran.text("reuse_check").split() == ["Succeeded", "total=601"]

    # a failing run: logs, then %dflow debug shows the real exception with the real input
    assert ran.data("bad", MIME)[-1]["workflow"]["phase"] == "Failed"
    assert "seven is unlucky" in ran.text("bad_logs")
    err = ran.errors("debug")
    assert err and err[0].ename == "ValueError" and err[0].evalue == "seven is unlucky"
    assert "re-running square(2:2) of unlucky-" in ran.text("debug")
    assert "(slice 2) in this kernel with its recorded inputs: x=7" in ran.text("debug")
    tb = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err[0].traceback))
    assert 'raise ValueError("seven is unlucky")' in tb and "Square.execute" in tb
    assert ran.text("post_mortem").split()[:2] == ["ValueError", "7"]

    # one-line errors, no traceback walls
    for tag, words in (("err_wf", "no workflow 'no-such-run-12345'"),
                       ("err_step", "has no step named or keyed 'no-such-step'"),
                       ("err_opt", "unrecognized arguments: --bogus"),
                       ("err_cmd", "invalid choice: 'frobnicate'"),
                       ("err_token", "never type a token into a cell"),
                       ("no_op", "this cell defined no OP"),
                       ("argo_no_host", "--argo needs an Argo server")):
        text = ran.text(tag)
        assert words in text, (tag, text)
        assert "Traceback" not in text and text.count("\n") <= 2, (tag, text)

    assert "namespace: lab" in ran.text("config") and "token: (set)" in ran.text("config")
    assert "s3cret-tok3n" not in ran.all_text().replace("os.environ['MY_ARGO_TOKEN'] = 's3cret-tok3n'", "")
    yaml_text = ran.text("yaml")
    assert "kind: Workflow" in yaml_text or (yaml_text.startswith("UsageError: yaml:")
                                             and yaml_text.count("\n") <= 1)
    retry = ran.text("retry")
    assert "retry: unlucky-" in retry or retry.startswith("UsageError: retry:"), retry
    assert "terminate" in ran.text("terminate")

    # the live view's widget state is saved in the notebook
    models = ran.widget_models()
    dags = [m["state"] for m in models.values() if "svg" in m["state"] and "states" in m["state"]]
    assert dags, list(models)[:3]
    final = [d for d in dags if d["status"].startswith("finished")]
    assert final and all(d["svg"].startswith("<svg") for d in final)
    assert any(any(s.get("count") == 12 for s in d["states"].values()) for d in final)
    json.dumps(ran.nb)  # the executed notebook is plain JSON

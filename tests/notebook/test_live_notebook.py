"""The live view in a real kernel when the cell does not wait: the run goes on in the
background, the view follows it, and the cell ends up holding the lasting record."""

MIME = "application/vnd.dflow-nb.workflow+json"

CELLS = [
    ("load", "%load_ext dflow_nb\n%dflow mode local"),
    ("ops", "%%dflow op\nimport time\nfrom dflow_nb.python import OP\n\n"
            "@OP.function\ndef slow(x: int) -> {'y': int}:\n    time.sleep(0.05)\n    return {'y': x}\n"),
    ("submit", "%%dflow submit\nfrom dflow_nb import Workflow, Step\n"
               "from dflow_nb.python import PythonOPTemplate, Slices\n"
               "wf = Workflow('bg')\n"
               "wf.add(Step('slow', PythonOPTemplate(slow, slices=Slices(input_parameter=['x'], "
               "output_parameter=['y'])), parameters={'x': list(range(40))}))"),
    ("running", "print(wf.query_status())"),
    ("wait", "wf.wait()\nimport time\ntime.sleep(1.5)\nprint(wf.query_status())"),
]


def test_background_live_view_ends_with_the_lasting_record(run_notebook):
    ran = run_notebook(CELLS, env={"DFLOW_NB_LAYOUT": "python"})   # the pip-only picture
    assert ran.text("wait").strip().endswith("Succeeded")
    bundles = ran.data("submit", MIME)
    assert bundles and bundles[-1]["workflow"]["phase"] == "Succeeded", ran.outputs("submit")
    assert bundles[-1]["svg"].startswith("<svg") and 'class="dn-node"' in bundles[-1]["svg"]
    dags = [m["state"] for m in ran.widget_models().values() if "states" in m["state"]]
    assert any(d["status"] == "finished: Succeeded" for d in dags)

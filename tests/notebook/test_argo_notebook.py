"""The %dflow magics in a real kernel (nbclient) against the fake Argo Server.

Cells run one at a time so the test can play the Argo controller between them (end a run, take
the server down, bring it back). The token reaches the kernel only through an environment
variable (``--token-env``) and must never show in a cell output or the saved notebook.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.argo.argo_server import swagger_path
from tests.notebook.argo_lab import ArgoLab, Stepper, wait_for
from tests.notebook.conftest import Ran

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")

TOKEN = "nb-argo-t0ken-9f3a7c1e"
TOKEN_ENV = "DFLOW_NB_TEST_ARGO_TOKEN"
MIME = "application/vnd.dflow-nb.workflow+json"

OPS = '''%%dflow op
from pathlib import Path
from dflow_nb.python import OP, OPIO, OPIOSign, Artifact


class Scale(OP):
    """Multiplies x by the factor in a file; 7 is refused (the debugging demo)."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "factor_file": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        factor = int(Path(op_in["factor_file"]).read_text())
        if op_in["x"] == 7:
            raise ValueError(f"seven is unlucky (factor {factor})")
        return OPIO({"y": op_in["x"] * factor})


@OP.function
def hello(name: str) -> {"greeting": str}:
    print(f"hello {name}")
    return {"greeting": f"hello {name}"}
'''

SUBMIT = '''%%dflow submit --argo
from dflow_nb import Step, Workflow
from dflow_nb.python import PythonOPTemplate
wf = Workflow("scale")
wf.add(Step("hello", PythonOPTemplate(hello, image="python:3.11"), parameters={"name": "argo"},
            key="hello"))
wf.add(Step("scale", PythonOPTemplate(Scale, image="python:3.11"), parameters={"x": 7},
            artifacts={"factor_file": factor}, key="scale-7"))'''

VIEW = "view = get_ipython().magics_manager.registry['DflowMagics'].views[-1]\n"


def poll(condition: str, then: str, seconds: int = 60) -> str:
    """Kernel code that waits on a real condition (with a deadline), then prints ``then``."""
    return (f"import time\ndeadline = time.monotonic() + {seconds}\n"
            f"while not ({condition}) and time.monotonic() < deadline:\n    time.sleep(0.05)\n"
            f"print({then})")


def one_line(ran: Ran, tag: str, words: str) -> None:
    text = ran.text(tag)
    assert words in text, (tag, text)
    assert "Traceback" not in text and text.strip().count("\n") == 0, (tag, text)
    assert text.startswith("UsageError: "), (tag, text)   # IPython prints it on stderr


def test_magics_against_argo(tmp_path: Path) -> None:
    lab = ArgoLab(TOKEN).up()
    store = tmp_path / "s3"
    env = {TOKEN_ENV: TOKEN, "DFLOW_MODE": "default", "DFLOW_HOST": ""}
    try:
        with Stepper(tmp_path, env) as nb:
            nb.run("load", "%load_ext dflow_nb\nfrom dflow_nb import s3_config\n"
                           "from dflow_nb.storage import LocalStorageClient\n"
                           f"s3_config['storage_client'] = LocalStorageClient({str(store)!r})")
            nb.run("config", f"%dflow config host={lab.url} namespace=argo --token-env {TOKEN_ENV}")
            nb.run("mode", "%dflow mode argo")
            nb.run("ops", OPS)
            nb.run("upload", "from dflow_nb import upload_artifact\n"
                             "Path('factor.txt').write_text('3')\n"
                             "factor = upload_artifact('factor.txt')\nprint(factor.key)")
            lab.logs = {"hello": ["hello argo", "bye"], "scale": ["scaling 7", "seven is unlucky"]}
            nb.run("submit", SUBMIT)
            wf_id = wait_for(lambda: lab.created, what="the workflow to be created")[0]
            nb.run("running", VIEW + poll("view.record is not None and view.model.recs",
                                          "view.dag.status, view.record.phase"))

            lab.finish(wf_id, {"scale": ("Failed", "seven is unlucky")},
                       outputs={"hello": {"greeting": "hello argo"}})
            nb.run("wait", "print(wf.wait(timeout=60))\n" + VIEW
                   + poll("view.finished", "view.dag.status"))
            nb.run("list", "%dflow list")
            nb.run("steps", "%dflow steps wf")
            nb.run("steps_failed", "%dflow steps wf --phase Failed")
            nb.run("logs", "%dflow logs wf hello")
            nb.run("logs_grep", "%dflow logs wf scale --grep unlucky")
            nb.run("yaml", "%dflow yaml wf")
            nb.run("debug", "%dflow debug wf scale")
            nb.run("post_mortem", "import sys, traceback\n"
                                  "frames = [f for f, _ in traceback.walk_tb(sys.last_traceback)]\n"
                                  "ex = [f for f in frames if f.f_code.co_name == 'execute'][-1]\n"
                                  "print(ex.f_locals['op_in']['x'], ex.f_locals['factor'])")
            nb.run("debug_ok", "%dflow debug wf hello")
            nb.run("err_step", "%dflow logs wf no-such-step")

            # a second run stays Running: the connection is lost and comes back under it
            nb.run("submit2", SUBMIT.replace("wf = Workflow(\"scale\")", "wf2 = Workflow(\"slow\")")
                   .replace("wf.add", "wf2.add"))
            wf2_id = wait_for(lambda: lab.created[1:], what="the second workflow")[0]
            nb.run("live2", VIEW + poll("view.model.recs", "view.dag.status, view.record.phase"))
            lab.down()
            nb.run("lost", "%dflow steps wf2")
            nb.run("lost_list", "%dflow list")
            nb.run("disconnected", VIEW + poll("view.dag.status.startswith('disconnected')",
                                               "view.dag.status"))
            lab.up()
            nb.run("recovered", VIEW + poll("view.dag.status == 'connected'",
                                            "view.dag.status, view.record.phase"))
            nb.run("terminate", "%dflow terminate wf2")
            nb.run("terminated", "print(wf2.query_status(), wf2.query().message)\n" + VIEW
                   + poll("view.finished", "view.dag.status"))
    finally:
        lab.down()

    ran = Ran(nb.nb)
    assert lab.fake.violations == []

    assert "token: (set)" in ran.text("config") and f"host: {lab.url}" in ran.text("config")
    assert f"mode: argo ({lab.url}, namespace argo)" in ran.text("mode")
    assert ran.text("upload").strip().endswith(".tgz")
    submitted = ran.text("submit")
    assert f"Workflow has been submitted (ID: {wf_id}" in submitted, submitted
    assert f"Workflow link: {lab.url}/workflows/argo/{wf_id}" in submitted
    assert ran.text("running").split() == ["connected", "Running"]
    created = lab.fake.calls("WorkflowService_CreateWorkflow")[0]
    assert created.headers["Authorization"] == f"Bearer {TOKEN}"
    assert any(k.startswith("dflow-nb/packages/") for k in
               (str(p.relative_to(store)) for p in store.rglob("*") if p.is_file()))

    # the run ended (Failed): wait, the live view's last word, and the lasting record
    assert ran.text("wait").split("\n")[:2] == ["Failed", "finished: Failed"]
    bundle = ran.data("submit", MIME)[-1]
    assert bundle["workflow"]["id"] == wf_id and bundle["workflow"]["phase"] == "Failed"
    assert {n["displayName"]: n["phase"] for n in bundle["nodes"] if n["type"] == "Pod"} \
        == {"hello": "Succeeded", "scale": "Failed"}

    assert wf_id in ran.data("list", "text/html")[0] and "Failed" in ran.data("list", "text/html")[0]
    steps = ran.data("steps", "text/html")[0]
    assert "scale-7" in steps and "hello" in steps and "greeting=hello argo" in steps
    failed = ran.data("steps_failed", "text/html")[0]
    assert "scale-7" in failed and "greeting" not in failed
    assert ran.text("logs").strip() == "hello argo\nbye"
    assert ran.text("logs_grep").strip() == "seven is unlucky"
    yaml_text = ran.text("yaml")
    assert "kind: Workflow" in yaml_text and f"name: {wf_id}" in yaml_text

    # %dflow debug: the Argo step re-runs here with x from the node and the file from S3
    err = ran.errors("debug")
    assert err and err[0].ename == "ValueError", ran.outputs("debug")
    assert err[0].evalue == "seven is unlucky (factor 3)"
    assert "re-running scale of " + wf_id in ran.text("debug") and "x=7" in ran.text("debug")
    tb = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err[0].traceback))
    assert "Scale.execute" in tb
    assert ran.text("post_mortem").split() == ["7", "3"]
    assert "hello ran without error here" in ran.text("debug_ok")
    assert "hello argo" in ran.text("debug_ok")
    one_line(ran, "err_step", "has no step named or keyed 'no-such-step'")

    # lost connection: one line in the cell, the live view says so and recovers
    assert ran.text("live2").split() == ["connected", "Running"]
    one_line(ran, "lost", "lost connection")
    one_line(ran, "lost_list", "lost connection")
    assert ran.text("disconnected").startswith("disconnected (") and "retrying" in \
        ran.text("disconnected")
    assert ran.text("recovered").split() == ["connected", "Running"]
    assert f"terminate: {wf2_id}" in ran.text("terminate")
    assert ran.text("terminated").split("\n")[:2] == [
        "Failed Stopped with strategy 'Terminate'", "finished: Failed"]
    assert lab.fake.calls("WorkflowService_TerminateWorkflow")[0].body == {
        "name": wf2_id, "namespace": "argo"}
    assert ran.data("submit2", MIME)[-1]["workflow"]["phase"] == "Failed"

    # the saved widget state has the views; the token is nowhere
    models = ran.widget_models()
    statuses = {m["state"].get("status") for m in models.values() if "states" in m["state"]}
    assert "finished: Failed" in statuses, statuses
    saved = (tmp_path / "executed.ipynb").read_text()
    assert TOKEN not in saved and TOKEN not in nbformat.writes(nb.nb)
    assert TOKEN_ENV in saved   # the notebook names the variable, never its value

"""In a real JupyterLab: a notebook runs a workflow; its output (the MIME renderer) and the
Workflows sidebar follow the DAG live from Running to Succeeded; a step's log is read."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

WAIT = 90_000   # ms: generous, for a loaded 2-core machine; every wait is on a real condition
RUNNING, SUCCEEDED = "#0dadea", "#18be94"   # the views' phase colours (labextension/src/model.ts)


def notebook(go: Path) -> dict:
    """Run a workflow whose 'gate' step waits for the test's go file, showing the run live
    (display updates); the same bundle without SVG (the browser lays it out); then a run
    through ``%%dflow submit`` and its live widget, whose 'gate2' waits for go file GO2."""
    run = f'''import os, time
from IPython.display import display
from dflow_nb import ShellOPTemplate, Step, Workflow

os.environ["DFLOW_NB_TEST_GO"] = "{go}"   # not in the script: the engine remaps /tmp paths
wf = Workflow(name="browser-demo")
wf.add(Step("hello", ShellOPTemplate(name="hello", script="echo hello-from-dflow-nb")))
wf.add(Step("gate", ShellOPTemplate(name="gate", script=(
    "echo waiting for the test; "
    "for i in $(seq 1 1500); do [ -f $DFLOW_NB_TEST_GO ] && break; sleep 0.1; done; "
    "echo dflow-nb-gate-opened"))))
wf.submit()
handle = display(wf, display_id=True)
while wf.query_status() in ("Pending", "Running"):
    time.sleep(0.4)
    handle.update(wf)
handle.update(wf)
print("finished:", wf.query_status())'''
    relayout = '''from dflow_nb.notebook.display import MIME, workflow_bundle
display({MIME: dict(workflow_bundle(wf)[MIME], svg=None)}, raw=True)'''
    load = "%load_ext dflow_nb\n%dflow mode local"
    live = f'''%%dflow submit
os.environ["DFLOW_NB_TEST_GO2"] = "{go}2"
wf3 = Workflow(name="widget-demo")
wf3.add(Step("hi", ShellOPTemplate(name="hi", script="echo hi-from-the-widget")))
wf3.add(Step("gate2", ShellOPTemplate(name="gate2", script=(
    "echo widget-gate-waiting; "
    "for i in $(seq 1 1500); do [ -f $DFLOW_NB_TEST_GO2 ] && break; sleep 0.1; done; "
    "echo widget-gate-opened"))))'''
    cells = [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None,
              "outputs": [], "source": src} for i, src in enumerate((run, relayout, load, live))]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                        "display_name": "Python 3 (ipykernel)"}}}


def untrusted(root: Path, wf_id: str) -> None:
    """A notebook file with the run's bundle as a saved output, unsigned, with a hostile SVG."""
    from dflow_nb import Workflow
    from dflow_nb.config import runs_dir
    from dflow_nb.notebook.display import MIME, workflow_bundle
    bundle = workflow_bundle(Workflow(id=wf_id, workdir=runs_dir(root)))   # root/.dflow_nb
    svg = bundle[MIME]["svg"]
    bundle[MIME]["svg"] = svg.replace(
        "<svg ", '<svg onload="window.__dflow_nb_pwned=1" ', 1).replace(
        "</svg>", "<script>window.__dflow_nb_pwned=2</script></svg>")
    nb = notebook(root / "GO")
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                  "data": bundle}]
    (root / "untrusted.ipynb").write_text(json.dumps(nb))


def _saved_output(path: Path, cell: int, name: str, timeout: float = 30) -> dict:
    """The one display output of cell ``cell`` once the saved file holds the finished run."""
    deadline = time.monotonic() + timeout
    while True:
        outputs = json.loads(path.read_text())["cells"][cell]["outputs"]
        shown = [o for o in outputs if "data" in o]
        text = "".join(shown[0]["data"].get("text/plain", "")) if len(shown) == 1 else ""
        if "Succeeded" in text:   # a saved text may be a list of lines (nbformat)
            return dict(shown[0], text=text)
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: saved outputs {outputs}")
        time.sleep(0.2)


@pytest.fixture
def lab(tmp_path: Path, launcher: Any) -> Any:
    for path, what in ((launcher.ENABLE_FILE, "server extension"),
                       (launcher.LABEXTENSION, "labextension")):
        if not path.exists():
            pytest.fail(f"the dflow_nb {what} is not installed in this venv: {launcher.SETUP_HINT}")
    root = tmp_path / "root"
    root.mkdir()
    (root / "demo.ipynb").write_text(json.dumps(notebook(root / "GO")))
    home = tmp_path / "home"
    home.mkdir()
    jp = launcher.Jupyter(root, home, app="lab").start()
    jp.root = root
    try:
        yield jp
    finally:
        jp.stop()


def test_live_run_in_jupyterlab(lab: Any, browser: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect
    started = time.monotonic()
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    shot = lambda name: page.screenshot(path=str(artifacts / f"{name}.png"))  # noqa: E731
    try:
        page.goto(f"{lab.url}/lab/tree/demo.ipynb?reset&token={lab.token}", timeout=WAIT)
        expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=WAIT)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        # the cell output is rendered by our MIME renderer and follows the run live
        cell = page.locator(".jp-Notebook .jp-CodeCell").nth(0)
        view = cell.locator(".dflow-nb-renderer .dflow-nb-workflow")
        gate_row = view.locator("tr.dflow-nb-row:has(td.dflow-nb-stepname:text-is('gate'))")
        expect(gate_row).to_have_attribute("data-phase", "Running", timeout=WAIT)
        wf_id = view.get_attribute("data-workflow-id")
        node_id = gate_row.get_attribute("data-node-id")
        gate_box = view.locator(f'g[data-node-id="{node_id}"]')
        expect(gate_box).to_have_attribute("data-phase", "Running", timeout=WAIT)
        expect(view).to_have_attribute("data-phase", "Running")
        running_fill = gate_box.locator(".dn-box").get_attribute("fill")
        shot("01-notebook-running")

        # the sidebar lists the run; its panel follows it too
        page.locator('.jp-SideBar .lm-TabBar-tab[data-id="dflow-nb-sidebar"]').click()
        item = page.locator(f'li.dflow-nb-wfitem[data-workflow-id="{wf_id}"]')
        expect(item).to_have_attribute("data-phase", "Running", timeout=WAIT)
        item.click()
        panel = page.locator(".dflow-nb-panel .dflow-nb-workflow")
        panel_box = panel.locator(f'g[data-node-id="{node_id}"]')
        expect(panel_box).to_have_attribute("data-phase", "Running", timeout=WAIT)
        shot("02-sidebar-panel-running")

        (lab.root / "GO").write_text("go\n")       # the gate step may finish now
        expect(panel_box).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        expect(panel).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        expect(item).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        panel.locator("tr.dflow-nb-row:has(td.dflow-nb-stepname:text-is('gate'))").click()
        expect(panel.locator(".dflow-nb-log")).to_contain_text("dflow-nb-gate-opened",
                                                               timeout=WAIT)
        shot("03-sidebar-panel-log")

        # back in the notebook: the same node turned Succeeded, and its colour with it
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="demo.ipynb").click()
        expect(gate_box).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        expect(view).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        assert gate_box.locator(".dn-box").get_attribute("fill") != running_fill
        expect(cell).to_contain_text("finished: Succeeded", timeout=WAIT)
        gate_box.click()                                      # a DAG node opens its log
        expect(view.locator(".dflow-nb-log")).to_contain_text("dflow-nb-gate-opened",
                                                              timeout=WAIT)
        expect(view.locator(".dflow-nb-log")).to_contain_text("waiting for the test")

        # no SVG in the bundle: Graphviz (WASM) lays the DAG out in the browser
        second = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
        drawn = second.locator("svg.dflow-nb-svg g.node[data-node-id]")
        expect(drawn.first).to_be_visible(timeout=WAIT)
        phases = {drawn.nth(i).get_attribute("data-phase") for i in range(drawn.count())}
        assert phases == {"Succeeded"}
        second.scroll_into_view_if_needed()
        shot("04-notebook-done")

        # %%dflow submit: the live widget (anywidget DAG + ipywidgets log pane) follows its run
        fourth = page.locator(".jp-Notebook .jp-CodeCell").nth(3)
        live = fourth.locator(".dflow-nb-liveview")
        gate2 = live.locator(".dflow-nb-live g.dn-node[data-node-id]", has_text="gate2")
        expect(gate2.locator(".dn-box")).to_have_attribute("fill", RUNNING, timeout=WAIT)
        expect(live.locator(".dflow-nb-live .dflow-nb-badge")).to_have_text("Running")
        gate2.click()                                   # the log pane follows the clicked step
        log = live.locator(".dflow-nb-livelog")
        expect(log).to_contain_text("widget-gate-waiting", timeout=WAIT)
        expect(log).to_contain_text("gate2")
        live.scroll_into_view_if_needed()
        shot("06-widget-running")
        (lab.root / "GO2").write_text("go\n")
        expect(gate2.locator(".dn-box")).to_have_attribute("fill", SUCCEEDED, timeout=WAIT)
        expect(log).to_contain_text("widget-gate-opened", timeout=WAIT)
        expect(live.locator(".dflow-nb-live .dflow-nb-status")).to_have_text(
            "finished: Succeeded", timeout=WAIT)
        expect(live.locator(".dflow-nb-live tr.dflow-nb-row")).to_contain_text(["hi", "gate2"])
        # one output per run: the widget's view turned Succeeded in place (its second line
        # too), no second copy of the run below it
        expect(fourth.locator(".jp-OutputArea-child")).to_have_count(1)
        expect(live.locator(".dflow-nb-live .dflow-nb-workflow")).to_have_attribute(
            "data-phase", "Succeeded", timeout=WAIT)
        expect(gate2.locator(".dn-sub")).to_have_text("Succeeded")
        assert fourth.locator(".dflow-nb-renderer").count() == 0
        live.scroll_into_view_if_needed()
        shot("07-widget-done")
        # saved, that one output also holds the lasting record and a text that states the phase
        page.keyboard.press("Control+s")
        output = _saved_output(lab.root / "demo.ipynb", 3, "widget-demo")
        assert output["text"].startswith("Workflow widget-demo (")
        assert ": Succeeded — 2/2 steps done" in output["text"] and "VBox" not in output["text"]
        assert {"application/vnd.jupyter.widget-view+json",
                "application/vnd.dflow-nb.workflow+json"} <= set(output["data"])

        # an untrusted notebook (saved elsewhere, unsigned) still renders, with its SVG's
        # script and event handlers stripped
        untrusted(lab.root, wf_id)
        page.goto(f"{lab.url}/lab/tree/untrusted.ipynb?reset&token={lab.token}", timeout=WAIT)
        saved = page.locator(".jp-Notebook .dflow-nb-renderer .dflow-nb-workflow")
        expect(saved).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
        expect(saved.locator(f'g[data-node-id="{node_id}"]')).to_have_attribute(
            "data-phase", "Succeeded")
        assert saved.locator("script").count() == 0
        assert page.evaluate("window.__dflow_nb_pwned === undefined")
        shot("05-untrusted-notebook")
    except Exception:
        shot("failure")
        print(lab.log_tail())
        raise
    finally:
        page.close()
    assert time.monotonic() - started < 150

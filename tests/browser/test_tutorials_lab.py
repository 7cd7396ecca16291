"""Tutorials 1, 4 and 6 opened and run in a real JupyterLab (Run All Cells, headless Chromium):
the live view ends Succeeded, a 200-slice fan-out is drawn as one box with its count, the reuse
form shows its rows and the edited value. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

pytestmark = pytest.mark.browser

WAIT = 120_000   # ms; every wait is on a real condition
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SMALL = {"01-quickstart.ipynb": {"ks": [0.02, 0.05, 0.1, 0.2]},
         "04-slices-fan-out.ipynb": {"n": 200, "group_size": 50},
         "06-restart-and-reuse.ipynb": {"cost": 0.2}}


@pytest.fixture(scope="module")
def tutorials_lab(tmp_path_factory: pytest.TempPathFactory, launcher: Any) -> Any:
    """JupyterLab over a copy of notebooks/ whose tutorials carry small parameters (papermill
    injects them, as for the headless test), with every cell kept in the page."""
    papermill = pytest.importorskip("papermill")
    for path, what in ((launcher.ENABLE_FILE, "server extension"),
                       (launcher.LABEXTENSION, "labextension")):
        if not path.exists():
            pytest.fail(f"the dflow_nb {what} is not installed in this venv: {launcher.SETUP_HINT}")
    base = tmp_path_factory.mktemp("tutorials-lab")
    root = base / "root"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns("runs", ".ipynb_*"))
    for name, parameters in SMALL.items():
        papermill.execute_notebook(str(root / name), str(root / name), parameters=parameters,
                                   prepare_only=True, kernel_name="python3")
    home = base / "home"
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # no windowing: cells far down a long notebook stay in the page, where the test reads them
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    jp = launcher.Jupyter(root, home, app="lab",
                          env={"DFLOW_MODE": "debug", "DFLOW_HOST": "", "HOME": str(home)},
                          args=[f"--LabApp.user_settings_dir={home / 'settings'}"]).start()
    try:
        yield jp
    finally:
        jp.stop()


def run_all(page: Any, lab: Any, name: str) -> Any:
    """Open a notebook, run all its cells, wait for its summary; returns the notebook node."""
    from playwright.sync_api import expect
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}", timeout=WAIT)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=WAIT)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    summary = notebook.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")
    expect(summary).to_contain_text("'phase': 'Succeeded'", timeout=WAIT)
    return notebook


def cell_with(notebook: Any, text: str) -> Any:
    """The code cell whose source contains ``text``."""
    return notebook.locator(".jp-CodeCell", has=notebook.page.locator(
        ".jp-InputArea-editor", has_text=text)).first


@pytest.fixture
def page(browser: Any, tutorials_lab: Any, artifacts: Path) -> Any:
    p = browser.new_page(viewport={"width": 1400, "height": 1000})
    p.shots = artifacts
    yield p
    p.close()


@contextlib.contextmanager
def on_failure(page: Any, lab: Any) -> Iterator[None]:
    """Keep a screenshot and the server's log when a test fails."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(page.shots / "failure.png"), full_page=True)
        print(lab.log_tail())
        raise


def shooter(page: Any) -> Callable[[Any, str], None]:
    def shot(locator: Any, name: str) -> None:
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(page.shots / f"{name}.png"))
    return shot


def test_tutorial_01_quickstart_in_jupyterlab(page: Any, tutorials_lab: Any) -> None:
    started = time.monotonic()
    shot = shooter(page)
    with on_failure(page, tutorials_lab):
        check_quickstart(page, run_all(page, tutorials_lab, "01-quickstart.ipynb"), shot)
    assert time.monotonic() - started < 180


def check_quickstart(page: Any, nb: Any, shot: Callable[[Any, str], None]) -> None:
    from playwright.sync_api import expect
    live = cell_with(nb, "%%dflow submit --wait").locator(".dflow-nb-liveview")
    expect(live.locator(".dflow-nb-live .dflow-nb-status")).to_have_text(
        "finished: Succeeded", timeout=WAIT)
    boxes = live.locator(".dflow-nb-live g.dn-node")
    subs = {boxes.nth(i).locator(".dn-sub").text_content() for i in range(boxes.count())
            if boxes.nth(i).locator(".dn-sub").count()}
    assert subs == {"Succeeded"} and boxes.count() >= 5   # 4 scans and the summary
    shot(live.locator(".dflow-nb-live svg").first, "01-quickstart-live-dag")
    picture = nb.locator(".dflow-nb-renderer .dflow-nb-workflow").last   # the `wf` cell
    expect(picture).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
    table = cell_with(nb, "%dflow steps wf").locator("table")
    expect(table).to_contain_text("scan(3:3)")
    expect(cell_with(nb, "result = wf.query_step")).to_contain_text("fastest: 2.8 min")
    shot(table, "01-quickstart-steps-table")
    shot(picture, "01-quickstart-dag")
    page.screenshot(path=str(page.shots / "01-quickstart-page.png"))


def test_tutorial_04_fan_out_collapsed_in_jupyterlab(page: Any, tutorials_lab: Any) -> None:
    shot = shooter(page)
    with on_failure(page, tutorials_lab):
        check_fan_out(page, run_all(page, tutorials_lab, "04-slices-fan-out.ipynb"), shot)


def check_fan_out(page: Any, nb: Any, shot: Callable[[Any, str], None]) -> None:
    from playwright.sync_api import expect
    live = cell_with(nb, "%%dflow submit --wait").locator(".dflow-nb-liveview")
    expect(live.locator(".dflow-nb-live .dflow-nb-status")).to_have_text(
        "finished: Succeeded", timeout=WAIT)
    group = live.locator(".dflow-nb-live g.dn-node", has_text="×200")
    expect(group).to_have_count(1)
    expect(group.locator(".dn-sub")).to_contain_text("200/200")
    assert live.locator(".dflow-nb-live g.dn-node").count() < 10   # not 200 boxes
    shot(live.locator(".dflow-nb-live svg").first, "04-fan-out-live-dag")
    # JupyterLab draws an SVG output as an <img>: the picture the `minimum` step made
    curve = cell_with(nb, "download_artifact(").locator(".jp-RenderedSVG img")
    expect(curve).to_be_visible()
    assert curve.evaluate("img => img.naturalWidth") == 600
    shot(curve, "04-fan-out-curve")
    grouped = cell_with(nb, "wf2.submit()")
    expect(grouped).to_contain_text("4 steps instead of 200")
    page.screenshot(path=str(page.shots / "04-fan-out-page.png"))


def test_tutorial_06_reuse_form_in_jupyterlab(page: Any, tutorials_lab: Any) -> None:
    shot = shooter(page)
    with on_failure(page, tutorials_lab):
        check_reuse(page, run_all(page, tutorials_lab, "06-restart-and-reuse.ipynb"), shot)


def check_reuse(page: Any, nb: Any, shot: Callable[[Any, str], None]) -> None:
    from playwright.sync_api import expect
    form = cell_with(nb, "form = %dflow reuse wf").locator(".jp-OutputArea-output").first
    expect(form).to_contain_text("Reuse steps of eos-", timeout=WAIT)
    expect(form.locator(".widget-checkbox")).to_have_count(8)   # 7 relaxations and the fit
    expect(form.locator("button", has_text="Resubmit")).to_be_visible()
    edited = form.locator("input[type=text]").evaluate_all("els => els.map(e => e.value)")
    assert "-3.49" in edited          # the edit made from code shows in the form
    shot(form, "06-reuse-form")
    result = cell_with(nb, "a0_new = new.query_step")
    expect(result).to_contain_text("7 relaxations reused, 0 ran")
    new_run = cell_with(nb, "new = form.resubmit").locator(".dflow-nb-renderer .dflow-nb-workflow")
    expect(new_run).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
    shot(new_run, "06-reuse-new-run")
    page.screenshot(path=str(page.shots / "06-reuse-page.png"))

"""The Workflows sidebar and a run's panel in a real JupyterLab, on real runs (tests/browser/
views_runs.py): a 1,000-slice fan-out with failed slices, a retried step, a keyed run and a run
whose step waits for the test. One server and one page serve the module's tests, in order;
each saves its screenshots under tests/browser/artifacts/<test>/ (printed)."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path

pytestmark = pytest.mark.browser

WAIT = 90_000   # ms: every wait is on a real condition
RUNS = Path(__file__).with_name("views_runs.py")


class Lab:
    def __init__(self, jupyter: Any, root: Path, page: Any) -> None:
        self.jupyter, self.root, self.page = jupyter, root, page

    def shot(self, artifacts: Path, name: str, target: Any = None) -> None:
        path = artifacts / f"{name}.png"
        (target or self.page).screenshot(path=str(path))
        print(f"screenshot: {path}")

    def row(self, name: str) -> Any:
        return self.page.locator("li.dflow-nb-wfitem", has=self.page.locator(
            f".dflow-nb-wfname:text-is('{name}')"))

    def open_run(self, name: str, keyboard: bool = False) -> Any:
        """Open a run's panel from the sidebar: a click, or focus its row and press Enter."""
        row = self.row(name).first
        if keyboard:
            row.focus()
            row.press("Enter")
        else:
            row.click()
        wf_id = row.get_attribute("data-workflow-id")
        panel = self.page.locator(f".dflow-nb-panel:has(.dflow-nb-workflow[data-workflow-id='{wf_id}'])")
        panel.locator(".dflow-nb-workflow").wait_for(timeout=WAIT)
        return panel


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, launcher: Any) -> Iterator[Lab]:
    sync_api = pytest.importorskip("playwright.sync_api")
    for path, what in ((launcher.ENABLE_FILE, "server extension"),
                       (launcher.LABEXTENSION, "labextension")):
        if not path.exists():
            pytest.fail(f"the dflow_nb {what} is not installed in this venv: {launcher.SETUP_HINT}")
    base = tmp_path_factory.mktemp("views")
    root, home = base / "root", base / "home"
    root.mkdir()
    home.mkdir()
    python = str(launcher.lab.python)
    subprocess.run([python, str(RUNS), str(root)], check=True, capture_output=True, timeout=300)
    gate = subprocess.Popen([python, str(RUNS), str(root), "gate"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    jp = launcher.Jupyter(root, home, app="lab").start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                        args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.set_default_timeout(WAIT)                      # a loaded 2-core machine
            sync_api.expect.set_options(timeout=WAIT)
            page.goto(f"{jp.url}/lab?reset&token={jp.token}", timeout=WAIT)
            page.locator('.jp-SideBar .lm-TabBar-tab[data-id="dflow-nb-sidebar"]').click(
                timeout=WAIT)
            try:
                yield Lab(jp, root, page)
            finally:
                browser.close()
    except Exception:
        print(jp.log_tail())
        raise
    finally:
        jp.stop()
        (root / "GO").write_text("go\n")
        try:
            gate.wait(30)
        except subprocess.TimeoutExpired:
            gate.kill()
            gate.wait()


def test_sidebar_lists_filters_and_opens_runs_by_keyboard(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = lab.page
    fanout = lab.row("fanout")
    # a Succeeded run whose slices failed says so, with its run id and progress
    expect(fanout).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
    expect(fanout.locator(".dflow-nb-failedcount")).to_have_text("11 failed")
    expect(fanout.locator(".dflow-nb-wfid")).to_have_text(fanout.get_attribute("data-workflow-id"))
    # 1,000 slices, the table and the success-ratio check
    expect(fanout.locator(".dflow-nb-progresstext")).to_have_text("1002/1002")
    expect(page.locator("li.dflow-nb-wfitem")).to_have_count(4)

    page.locator(".dflow-nb-phasechip[data-phase='Failed']").click()
    expect(page.locator("li.dflow-nb-wfitem")).to_have_count(1)
    expect(lab.row("flaky")).to_have_attribute("data-phase", "Failed")
    lab.shot(artifacts, "sidebar-filtered-failed", page.locator("#dflow-nb-sidebar"))
    page.locator(".dflow-nb-phasechip[data-phase='Failed']").click()
    page.locator(".dflow-nb-listsearch").fill("keyed")
    expect(page.locator("li.dflow-nb-wfitem")).to_have_count(1)
    page.locator(".dflow-nb-listsearch").fill("")
    page.locator(".dflow-nb-listsort").select_option("name")
    expect(page.locator("li.dflow-nb-wfitem .dflow-nb-wfname")).to_have_text(
        ["fanout", "flaky", "gated", "keyed"], timeout=WAIT)

    panel = lab.open_run("fanout", keyboard=True)
    wf_id = fanout.get_attribute("data-workflow-id")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"fanout · {wf_id}")
    expect(panel.locator(".dflow-nb-progresstext")).to_have_text("1002/1002 done")


def test_fanout_timeline_group_list_and_zoom(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import expect
    panel = lab.open_run("fanout")
    timeline = panel.locator(".dflow-nb-timeline")
    group = timeline.locator(".dflow-nb-tlgroup")
    expect(group).to_contain_text("square ×1000", timeout=WAIT)
    assert timeline.locator(".dflow-nb-tlrow").count() < 10          # aggregated, readable
    failed_part = group.locator(".dflow-nb-tlpart[data-phase='Failed']")
    expect(failed_part).to_have_count(1)
    group.focus()
    group.press("Enter")                                               # expand by keyboard
    expect(timeline.locator(".dflow-nb-tlstep")).to_have_count(2 + 200, timeout=WAIT)
    expect(timeline.locator(".dflow-nb-tlmorebtn")).to_have_text("800 more slices")
    lab.shot(artifacts, "timeline-1000-slices", panel.locator(".dflow-nb-graphs"))

    # zoom and fit move the picture, not the layout
    canvas = panel.locator(".dflow-nb-canvas")
    before = float(canvas.get_attribute("data-scale"))
    panel.locator(".dflow-nb-zoomin").click()
    assert float(canvas.get_attribute("data-scale")) == pytest.approx(before * 1.25, rel=1e-3)
    panel.locator(".dflow-nb-fit").click()
    assert float(canvas.get_attribute("data-scale")) == pytest.approx(before, rel=1e-3)

    # search by phase marks the fan-out (it holds failed slices); Enter opens it
    panel.locator(".dflow-nb-dagsearch").fill("failed")
    expect(panel.locator(".dflow-nb-searchinfo")).to_have_text("1 match")
    panel.locator(".dflow-nb-dagsearch").press("Enter")
    slices = panel.locator(".dflow-nb-slices")
    expect(slices).to_be_visible(timeout=WAIT)
    items = slices.locator("li.dflow-nb-slice")
    expect(items.first).to_have_attribute("data-phase", "Failed", timeout=WAIT)   # Failed first
    expect(slices.locator(".dflow-nb-pageinfo")).to_have_text("1–50 of 1000")
    slices.locator("select.dflow-nb-slicefilter").select_option("Failed")
    expect(slices.locator(".dflow-nb-pageinfo")).to_have_text("1–11 of 11", timeout=WAIT)
    slices.locator(".dflow-nb-slicesearch").fill("square-110")
    expect(items).to_have_count(1, timeout=WAIT)
    items.first.focus()
    items.first.press("Enter")
    details = panel.locator(".dflow-nb-details")
    expect(details).to_have_attribute("data-phase", "Failed", timeout=WAIT)
    expect(details.locator(".dflow-nb-dmessage")).to_contain_text("no square for 110 <b>in the table</b>")
    expect(panel.locator(".dflow-nb-log")).to_contain_text("looking up 110", timeout=WAIT)
    lab.shot(artifacts, "fanout-group-list", panel)


def test_failed_step_details_with_artifact_preview_and_attempts(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import expect
    panel = lab.open_run("fanout")
    panel.locator(".dflow-nb-dagsearch").fill("failed")
    panel.locator(".dflow-nb-dagsearch").press("Enter")
    slices = panel.locator(".dflow-nb-slices")
    slices.locator("select.dflow-nb-slicefilter").select_option("Failed")
    slices.locator(".dflow-nb-slicesearch").fill("square-13")
    item = slices.locator("li.dflow-nb-slice[data-phase='Failed']", has_text="square-13")
    expect(item).to_have_count(1)
    expect(slices.locator("li.dflow-nb-slice")).to_have_count(1)
    item.click()
    details = panel.locator(".dflow-nb-details")
    expect(details.locator(".dflow-nb-dname")).to_have_text("square(13:13)", timeout=WAIT)
    inputs = details.locator(".dflow-nb-inputs")
    expect(inputs.locator("tr[data-param='x'] .dflow-nb-ptype")).to_have_text("int")
    expect(inputs.locator("tr[data-param='x'] code")).to_have_text("13")
    table = inputs.locator(".dflow-nb-artifact[data-artifact='table']")
    table.locator(".dflow-nb-previewbtn").click()
    if table.get_attribute("data-kind") == "directory":      # an artifact folder: pick the file
        table.locator("li.dflow-nb-file[data-path$='table.csv']").click(timeout=WAIT)
    csv = table.locator("table.dflow-nb-csv")
    expect(csv.locator("th")).to_have_text(["x", "square"], timeout=WAIT)
    expect(csv.locator("tr").nth(4)).to_contain_text("39")
    assert details.locator("b").count() == 0                 # the message's markup stayed text
    lab.shot(artifacts, "failed-step-details-artifact-preview", panel.locator(".dflow-nb-side"))

    flaky = lab.open_run("flaky")
    flaky.locator("tr.dflow-nb-row").first.click()
    attempts = flaky.locator(".dflow-nb-attempt")
    expect(attempts).to_have_count(3, timeout=WAIT)
    expect(flaky.locator(".dflow-nb-details")).to_have_attribute("data-phase", "Failed")


def test_log_follows_a_running_step_searches_and_downloads(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import expect
    panel = lab.open_run("gated")
    expect(panel.locator(".dflow-nb-workflow")).to_have_attribute("data-phase", "Running",
                                                                  timeout=WAIT)
    panel.locator("tr.dflow-nb-row", has_text="gate").first.click()
    log = panel.locator(".dflow-nb-log")
    expect(log).to_contain_text("line-20-before-the-gate", timeout=WAIT)
    expect(log).not_to_contain_text("gate-opened")
    (lab.root / "GO").write_text("go\n")
    expect(log).to_contain_text("gate-opened", timeout=WAIT)            # followed, not reloaded
    expect(panel.locator(".dflow-nb-workflow")).to_have_attribute("data-phase", "Succeeded",
                                                                  timeout=WAIT)
    panel.locator(".dflow-nb-logsearch").fill("line-1")
    matches = panel.locator(".dflow-nb-logmatch")
    expect(matches).to_have_count(11, timeout=WAIT)                    # line-1, line-10..19
    href = panel.locator(".dflow-nb-logdownload a").get_attribute("href")
    body = lab.page.evaluate("url => fetch(url).then(r => r.text())", href)
    assert "line-1-before-the-gate" in body and "gate-opened" in body
    lab.shot(artifacts, "log-followed-and-searched", panel)


def test_reuse_from_the_panel_and_open_in_a_notebook(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = lab.page
    panel = lab.open_run("keyed")
    old_id = panel.locator(".dflow-nb-workflow").get_attribute("data-workflow-id")
    panel.locator(".dflow-nb-act-reuse").click()
    editor = panel.locator(".dflow-nb-reuseeditor")
    steps = editor.locator(".dflow-nb-reusestep")
    expect(steps).to_have_count(2, timeout=WAIT)
    steps.filter(has_text="fit").locator(".dflow-nb-reusetick").uncheck()
    value = steps.filter(has_text="prep").locator("input.dflow-nb-reusevalue[data-param='n']")
    expect(value).to_have_value("3")
    value.fill("7")                                       # edit prep's output
    lab.shot(artifacts, "reuse-editor", panel)
    editor.locator(".dflow-nb-reusesubmit").click()
    expect(panel.locator(".dflow-nb-actionresult")).to_have_attribute("data-state", "ok",
                                                                      timeout=WAIT)
    new = page.locator(".dflow-nb-panel:not(:has(.dflow-nb-workflow[data-workflow-id='"
                       f"{old_id}']))", has=page.locator(".dflow-nb-workflow[data-phase='Succeeded']"),
                       has_text="keyed")
    expect(new.locator(".dflow-nb-workflow")).to_have_attribute("data-phase", "Succeeded",
                                                                timeout=WAIT)
    expect(new.locator("tr.dflow-nb-row:has(.dflow-nb-reusedtag)")).to_have_count(1)
    expect(new.locator("g.dflow-nb-node.dflow-nb-reused")).to_have_count(1)
    new.locator("tr.dflow-nb-row", has_text="fit").first.click()
    expect(new.locator(".dflow-nb-log")).to_contain_text("fitting with n=7", timeout=WAIT)
    lab.shot(artifacts, "reused-run-panel", new)

    # Retry on a run with nothing failed is refused in the user's terms
    new.locator(".dflow-nb-act-retry").click()
    expect(new.locator(".dflow-nb-actionresult")).to_have_attribute("data-state", "error",
                                                                    timeout=WAIT)

    new.locator(".dflow-nb-act-notebook").click()
    cell = page.locator(".jp-NotebookPanel .jp-Cell").last
    expect(cell).to_contain_text("Workflow(id=", timeout=WAIT)
    new_id = new.locator(".dflow-nb-workflow").get_attribute("data-workflow-id")
    expect(cell).to_contain_text(new_id)


def test_panels_are_restored_after_a_reload_in_a_dark_theme(lab: Lab, artifacts: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
    page = lab.page
    titles = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab .lm-TabBar-tabLabel")
    before = {t for t in titles.all_inner_texts() if " · " in t}
    assert len(before) >= 4
    page.reload()
    try:        # the notebook test 5 opened is restored too and asks for its kernel
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=20_000)
    except PlaywrightTimeout:
        pass    # no dialog: nothing to answer
    expect(titles.filter(has_text="fanout · ")).to_have_count(1, timeout=WAIT)
    assert before <= set(titles.all_inner_texts())
    theme(page, "JupyterLab Dark")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=WAIT)
    panel = lab.open_run("fanout")
    panel.locator("tr.dflow-nb-row").first.click()
    expect(panel.locator(".dflow-nb-details")).to_be_visible(timeout=WAIT)
    wf_id = panel.locator(".dflow-nb-workflow").get_attribute("data-workflow-id")
    inside = f".dflow-nb-workflow[data-workflow-id='{wf_id}']"
    ratios = page.evaluate(CONTRAST, [f"{inside} .dflow-nb-name", f"{inside} .dflow-nb-stepname",
                                      f"{inside} .dflow-nb-facts dd",
                                      "li.dflow-nb-wfitem .dflow-nb-wfmeta"])
    assert all(r >= 4.5 for r in ratios), ratios       # WCAG AA for text
    lab.shot(artifacts, "dark-theme-panel", page)
    theme(page, "JupyterLab Light")


def theme(page: Any, name: str) -> None:
    """Settings > Theme > name, through the menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=name).first.click()


# The WCAG contrast ratio of each selector's first element's text against its nearest
# non-transparent background.
CONTRAST = """selectors => selectors.map(sel => {
  const el = document.querySelector(sel);
  if (!el) return 0;
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = null;
  for (let n = el; n && !bg; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length < 4 || c[3] > 0) bg = c;
  }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg || [255, 255, 255]);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})"""

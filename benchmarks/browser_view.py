"""The run view in the browser at 10,000 slices: time to first paint and to apply an update.

The view is the one JupyterLab's panel and renderer use (labextension/src/view.ts), here fed
through the live widget's front end (its built ESM, dflow_nb/notebook/static/dag.js) exactly as
a notebook feeds it: the traits of a ``LiveView`` of a synthetic 10,000-slice run. Headless
Debian Chromium (Playwright, never ``playwright install``); times are ``performance.now()``
around the render, up to the second animation frame after it (the page has painted).

Run: ``.venv-test/bin/python benchmarks/browser_view.py [slices] [changes-per-update] [repeats]``
(build the ESM first: ``scripts/setup/30-labextension.sh``).
"""
from __future__ import annotations

import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any, Dict

from dflow_nb.notebook.display import graph_payload
from dflow_nb.notebook.synthetic import SyntheticRun
from dflow_nb.notebook.widgets import LiveView

ESM = Path(__file__).parents[1] / "dflow_nb" / "notebook" / "static" / "dag.js"
CSS = ESM.with_suffix(".css")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", "--disable-background-networking"]

# A stand-in for anywidget's model in the page: traits, change events, nothing else.
PAGE = """async ([esm, traits]) => {
  const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}));
  const mod = (await import(url)).default;
  const listeners = {};
  window.model = {
    traits, get: k => traits[k], set: (k, v) => { traits[k] = v; }, save_changes: () => {},
    on: (e, f) => { (listeners[e] = listeners[e] || []).push(f); },
    off: () => {},
    emit: names => names.forEach(n => (listeners['change:' + n] || []).forEach(f => f())),
  };
  window.painted = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  window.mod = mod;
}"""

FIRST = """async () => {
  document.body.replaceChildren();
  const el = document.createElement('div');
  document.body.append(el);
  const t0 = performance.now();
  window.mod.render({model: window.model, el});
  while (!el.querySelector('svg .dn-node[data-node-id]')) await new Promise(r => setTimeout(r, 0));
  await window.painted();
  return {ms: performance.now() - t0, nodes: el.querySelectorAll('[data-node-id]').length,
          rows: el.querySelectorAll('.dflow-nb-tlrow').length};
}"""

UPDATE = """async (changed) => {
  const t0 = performance.now();
  Object.assign(window.model.traits, changed);
  window.model.emit(Object.keys(changed));
  await window.painted();   // the widget redraws in the next frame; the one after is painted
  return performance.now() - t0;
}"""


def traits(view: LiveView) -> Dict[str, Any]:
    payload = graph_payload(view.model)
    view.dag.want_timeline = True
    return {"svg": view.dag.svg, "states": view.dag.states, "summary": view.dag.summary,
            "timeline": view.dag.timeline, "nodes": payload["nodes"], "edges": payload["edges"],
            "status": view.dag.status}


def main(slices: int = 10_000, per_update: int = 1000, repeats: int = 5) -> Dict[str, Any]:
    from playwright.sync_api import sync_playwright
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    run = SyntheticRun(slices, fail_every=97)
    view = LiveView(run)
    view.refresh()
    first_traits = traits(view)
    updates = []
    while len(updates) < repeats:
        run.advance(per_update)
        view.refresh()
        t = traits(view)
        updates.append({k: t[k] for k in ("states", "summary", "timeline")})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_content(f"<style>{CSS.read_text()}</style><body></body>")
        firsts, applies = [], []
        for _ in range(repeats):
            page.evaluate(PAGE, [ESM.read_text(), json.loads(json.dumps(first_traits))])
            first = page.evaluate(FIRST)
            firsts.append(first["ms"])
            for changed in updates:
                applies.append(page.evaluate(UPDATE, json.loads(json.dumps(changed))))
        browser.close()
    return {"slices": slices, "changes_per_update": per_update, "repeats": repeats,
            "drawn_nodes": first["nodes"], "timeline_rows": first["rows"],
            "svg_bytes": len(first_traits["svg"]),
            "timeline_bytes": len(json.dumps(first_traits["timeline"])),
            "first_paint_ms_median": round(statistics.median(firsts), 1),
            "first_paint_ms_max": round(max(firsts), 1),
            "update_ms_median": round(statistics.median(applies), 1),
            "update_ms_max": round(max(applies), 1)}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(main(*args), indent=2))

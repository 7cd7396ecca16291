"""An untrusted notebook (unsigned, written by the test) whose saved output is a run bundle with
a hostile ``svg``: in a real JupyterLab the MIME renderer (marked safe) runs none of its script,
loads nothing from outside the Jupyter server, and still draws the DAG.

Every payload that would run script records itself in ``window.__dflow_nb_pwned`` and beacons
to a recording HTTP server on 127.0.0.1; every payload that would load something points at that
server. The test asserts the server got no request, Playwright saw none outside Jupyter's own
origin, no frame was created, and the DOM the renderer built holds only SVG drawing parts."""
from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List

import pytest

pytestmark = pytest.mark.browser

WAIT = 90_000   # ms
SUCCEEDED = "#18be94"
WF = "evil-wf"
HELLO, WORLD = f"{WF}-1001", f"{WF}-1002"


class Recorder(ThreadingHTTPServer):
    """Answers every request with an empty 200 and remembers its path."""
    daemon_threads = True

    def __init__(self) -> None:
        self.hits: List[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.hits.append(self.path)
                self.send_response(200)
                ctype = ("text/css" if self.path.endswith(".css") else
                         "image/svg+xml" if ".svg" in self.path else "image/png")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", "0")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def js(base: str, tag: str) -> str:
    """Script that, if it ever runs, says so (a page flag and a beacon)."""
    return (f"(top.__dflow_nb_pwned=top.__dflow_nb_pwned||[]).push('{tag}');"
            f"new Image().src='{base}/pwned/{tag}';void 0")   # void: a javascript: URL keeps the page


def attacks(base: str) -> str:
    """Hostile markup placed inside an otherwise ordinary DAG picture. The root declares
    xmlns:s (SVG again, under a prefix), xmlns:h (XHTML) and xmlns:x (XLink)."""
    return "".join([
        # script under a prefix: nodeName "s:script", localName "script"
        f"<s:script>{js(base, 's-script')}</s:script>",
        f'<s:script x:href="{base}/s-script-src.js"/>',
        # HTML frames, objects and images inside the SVG
        f'<h:iframe srcdoc="&lt;script&gt;{js(base, "iframe-srcdoc")}&lt;/script&gt;"/>',
        f'<h:iframe src="javascript:{js(base, "iframe-javascript")}"/>',
        f'<h:object data="{base}/h-object.svg" type="image/svg+xml"/>',
        f'<h:embed src="{base}/h-embed.svg" type="image/svg+xml"/>',
        f'<h:img src="{base}/h-img.png" onerror="{js(base, "h-img-onerror")}"/>',
        f'<h:link rel="stylesheet" href="{base}/h-link.css"/>',
        # foreign content, unprefixed and prefixed
        f'<foreignObject width="50" height="20"><h:img src="{base}/fo-img.png"/></foreignObject>',
        f'<s:foreignObject width="50" height="20"><h:img src="{base}/s-fo-img.png"/>'
        f'<h:div>foreign text</h:div></s:foreignObject>',
        # links: javascript: hrefs, also set by animation from a prefixed <set>
        f'<a href="javascript:{js(base, "a-href")}"><text x="230" y="20" id="evil-link-1">'
        f'click me</text></a>',
        f'<a><s:set attributeName="href" to="javascript:{js(base, "a-set-href")}"/>'
        f'<text x="230" y="40" id="evil-link-2">click me too</text></a>',
        f'<a x:href="javascript:{js(base, "a-xlink-href")}"><text x="230" y="60">'
        f'and me</text></a>',
        # stylesheets: @import, url() and CSS escapes that spell url(
        f"<style>@import url({base}/style-import.css);"
        f"body{{background-image:url({base}/style-url.png)}}"
        f".jp-Notebook{{border-image:\\75 rl({base}/style-escape.png) 1}}</style>",
        f"<s:style>body{{list-style-image:url({base}/s-style-url.png)}}</s:style>",
        # images: external href, xlink:href, and href set by a prefixed <set>
        f'<image x="0" y="0" width="4" height="4" href="{base}/image-href.png"/>',
        f'<image x="0" y="0" width="4" height="4" x:href="{base}/image-xlink.png"/>',
        f'<image x="0" y="0" width="4" height="4"><s:set attributeName="href" '
        f'to="{base}/image-set.png"/></image>',
        f'<use href="{base}/use.svg#a"/>',
        f'<s:feImage href="{base}/feimage.png"/>',
        # URLs in presentation attributes, plain and escaped
        f'<g filter="url({base}/attr-filter.svg#f)" mask="url({base}/attr-mask.svg#m)" '
        f'clip-path="url({base}/attr-clip.svg#c)"><rect x="0" y="150" width="4" height="4" '
        f'fill="url({base}/attr-fill.svg#p)" stroke="\\75 rl({base}/attr-escape.svg#p)" '
        f'cursor="url({base}/attr-cursor.png), auto"/></g>',
        # event handlers and animation events
        f'<s:animate attributeName="opacity" from="1" to="1" dur="0.1s" '
        f'onbegin="{js(base, "onbegin")}"/>',
        f'<s:handler type="application/ecmascript" ev:event="load" '
        f'xmlns:ev="http://www.w3.org/2001/xml-events">{js(base, "handler")}</s:handler>',
    ])


def notebook_picture(base: str) -> str:
    """The shape dflow_nb/notebook/svg.py draws (g.dn-node[data-id], rect.dn-box, a marker),
    with every attack mixed in: on the root, on a node's box and between the nodes."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg" '
        'xmlns:h="http://www.w3.org/1999/xhtml" xmlns:x="http://www.w3.org/1999/xlink" '
        'class="dflow-nb-dag" width="320" height="160" viewBox="0 0 320 160" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12" '
        f'onload="{js(base, "svg-onload")}" '
        f'style="background-image:\\75 rl({base}/css-escape-bg.png);'
        f'border-image:url({base}/css-plain-bg.png) 1">'
        '<defs><marker id="dn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#8a9399"/></marker></defs>'
        '<g class="dn-edges" fill="none" stroke="#8a9399" stroke-width="1.2">'
        '<path class="evil-edge" d="M100.0,45.0 C100.0,60.0 100.0,80.0 100.0,100.0" '
        'marker-end="url(#dn-arrow)"/></g>'
        f'<g class="dn-node" data-id="{HELLO}" data-type="Pod" cursor="pointer" '
        f'onmouseover="{js(base, "g-onmouseover")}"><title>hello: Succeeded</title>'
        f'<rect class="dn-box" x="50.0" y="7.0" width="100.0" height="38.0" rx="6" '
        f'fill="#18be94" onclick="{js(base, "rect-onclick")}"/>'
        '<text x="100.0" y="22.0" text-anchor="middle" fill="#ffffff" font-weight="bold">'
        'hello</text><text class="dn-sub" x="100.0" y="36.0" text-anchor="middle" '
        'fill="#ffffff" font-size="10">Succeeded</text></g>'
        + attacks(base) +
        f'<g class="dn-node" data-id="{WORLD}" data-type="Pod" cursor="pointer">'
        '<title>world: Succeeded</title><rect class="dn-box" x="50.0" y="100.0" width="100.0" '
        'height="38.0" rx="6" fill="#18be94"/><text x="100.0" y="115.0" text-anchor="middle" '
        'fill="#ffffff" font-weight="bold">world</text><text class="dn-sub" x="100.0" '
        'y="129.0" text-anchor="middle" fill="#ffffff" font-size="10">Succeeded</text></g>'
        "</svg>")


def graphviz_picture(base: str) -> str:
    """What `dot -Tsvg` (Graphviz 2.43) prints for the same graph, with a few attacks."""
    return f'''<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
 "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Generated by graphviz version 2.43.0 (0)
 -->
<!-- Title: workflow Pages: 1 -->
<svg width="62pt" height="77pt"
 viewBox="0.00 0.00 62.00 77.00" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:s="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:x="http://www.w3.org/1999/xlink">
<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 73)">
<title>workflow</title>
<!-- hello -->
<g id="node1" class="node">
<title>hello</title>
<path fill="#18be94" stroke="#ffffff" stroke-width="0.8" d="M46.67,-69C46.67,-69 7.33,-69 7.33,-69 3.67,-69 0,-65.33 0,-61.67 0,-61.67 0,-54.33 0,-54.33 0,-50.67 3.67,-47 7.33,-47 7.33,-47 46.67,-47 46.67,-47 50.33,-47 54,-50.67 54,-54.33 54,-54.33 54,-61.67 54,-61.67 54,-65.33 50.33,-69 46.67,-69"/>
<text text-anchor="middle" x="27" y="-55.5" font-family="Helvetica,sans-Serif" font-size="10.00" fill="#ffffff">hello</text>
<s:script>{js(base, "gv-s-script")}</s:script>
</g>
<!-- world -->
<g id="node2" class="node">
<title>world</title>
<path fill="#18be94" stroke="#ffffff" stroke-width="0.8" d="M46.67,-22C46.67,-22 7.33,-22 7.33,-22 3.67,-22 0,-18.33 0,-14.67 0,-14.67 0,-7.33 0,-7.33 0,-3.67 3.67,0 7.33,0 7.33,0 46.67,0 46.67,0 50.33,0 54,-3.67 54,-7.33 54,-7.33 54,-14.67 54,-14.67 54,-18.33 50.33,-22 46.67,-22"/>
<text text-anchor="middle" x="27" y="-8.5" font-family="Helvetica,sans-Serif" font-size="10.00" fill="#ffffff">world</text>
</g>
<!-- hello&#45;&gt;world -->
<g id="edge1" class="edge">
<title>hello&#45;&gt;world</title>
<path fill="none" stroke="#888888" d="M27,-46.56C27,-41.15 27,-34.41 27,-28.32"/>
<polygon fill="#888888" stroke="#888888" points="29.1,-28.07 27,-22.07 24.9,-28.07 29.1,-28.07"/>
</g>
<h:iframe srcdoc="&lt;script&gt;{js(base, "gv-iframe-srcdoc")}&lt;/script&gt;"/>
<style>@import url({base}/gv-style-import.css);</style>
</g>
</svg>
'''


def bundle(svg: Any) -> dict:
    t0 = 1_760_000_000
    node = lambda id_, name, type_, start, end: {  # noqa: E731
        "id": id_, "name": f"{WF}.{name}" if name != WF else WF, "displayName": name,
        "type": type_, "phase": "Succeeded", "parent": None, "children": [],
        "message": None, "startedAt": start, "finishedAt": end, "progress": "1/1",
        "key": None, "group": None}
    nodes = [node(WF, WF, "Steps", t0, t0 + 5), node(HELLO, "hello", "Pod", t0, t0 + 2),
             node(WORLD, "world", "Pod", t0 + 2, t0 + 5)]
    nodes[0]["children"] = [HELLO, WORLD]
    return {"version": 1,
            "workflow": {"id": WF, "name": WF, "phase": "Succeeded", "message": None,
                         "startedAt": t0, "finishedAt": t0 + 5},
            "nodes": nodes, "edges": [[WF, HELLO], [HELLO, WORLD]], "svg": svg}


def untrusted_notebook(base: str) -> dict:
    """Three saved outputs, no signature: the notebook-style picture, a Graphviz picture (both
    hostile) and no picture at all (the browser lays the DAG out)."""
    outputs = []
    for svg in (notebook_picture(base), graphviz_picture(base), None):
        if svg is not None:
            ET.fromstring(svg.encode())    # well-formed: the attacks are not parse errors
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"application/vnd.dflow-nb.workflow+json": bundle(svg),
                                 "text/plain": f"<dflow_nb workflow {WF}: Succeeded>"}})
    cells = [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": 1,
              "outputs": [out], "source": "wf"} for i, out in enumerate(outputs)]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                        "display_name": "Python 3 (ipykernel)"}}}


# What the audit below accepts in the rendered pictures: SVG drawing elements only, and
# attributes with no URL but a same-document url(#id), no CSS escape, no handler.
AUDIT = r"""() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const OK = new Set(['svg', 'g', 'defs', 'marker', 'title', 'path', 'rect', 'circle',
    'ellipse', 'line', 'polyline', 'polygon', 'text', 'tspan']);
  const bad = [];
  document.querySelectorAll('div.dflow-nb-dag svg').forEach(svg => {
    [svg, ...svg.querySelectorAll('*')].forEach(el => {
      const what = `${el.namespaceURI}|${el.localName}`;
      if (el.namespaceURI !== SVG || !OK.has(el.localName)) {
        bad.push('element ' + what);
      }
      for (const a of Array.from(el.attributes)) {
        const v = a.value;
        if (a.namespaceURI !== null || a.localName.startsWith('on') || a.localName === 'style'
            || a.localName === 'href' || v.includes('\\')
            || /url\s*\(/i.test(v.replace(/url\(#[A-Za-z0-9_.:-]+\)/g, ''))
            || /javascript:|http:|https:|data:/i.test(v)) {
          bad.push(`attribute ${what} ${a.name}=${v.slice(0, 80)}`);
        }
      }
    });
  });
  return bad;
}"""


@pytest.fixture
def lab(tmp_path: Path, launcher: Any, recorder: Recorder) -> Any:
    for path, what in ((launcher.ENABLE_FILE, "server extension"),
                       (launcher.LABEXTENSION, "labextension")):
        if not path.exists():
            pytest.fail(f"the dflow_nb {what} is not installed in this venv: {launcher.SETUP_HINT}")
    root = tmp_path / "root"
    root.mkdir()
    (root / "untrusted-svg.ipynb").write_text(json.dumps(untrusted_notebook(recorder.base)))
    home = tmp_path / "home"
    home.mkdir()
    jp = launcher.Jupyter(root, home, app="lab").start()
    try:
        yield jp
    finally:
        jp.stop()


def test_hostile_svg_in_untrusted_notebook(lab: Any, browser: Any, recorder: Recorder,
                                           artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    outside: List[str] = []
    page.on("request", lambda r: None if r.url.startswith((lab.url + "/", "data:", "blob:"))
            else outside.append(r.url))
    page.on("dialog", lambda d: d.dismiss())
    shot = lambda name: page.screenshot(path=str(artifacts / f"{name}.png"))  # noqa: E731
    try:
        page.goto(f"{lab.url}/lab/tree/untrusted-svg.ipynb?reset&token={lab.token}",
                  timeout=WAIT)
        views = page.locator(".jp-Notebook .jp-CodeCell .dflow-nb-renderer .dflow-nb-workflow")
        expect(views).to_have_count(3, timeout=WAIT)
        for i in range(3):
            expect(views.nth(i)).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)

        # the DAG still shows: both nodes of each picture, tied to the bundle, with their names
        notebook_view, graphviz_view, own_view = (views.nth(i) for i in range(3))
        for view in (notebook_view, graphviz_view, own_view):
            for node_id, name in ((HELLO, "hello"), (WORLD, "world")):
                g = view.locator(f'svg.dflow-nb-svg g[data-node-id="{node_id}"]')
                expect(g).to_have_attribute("data-phase", "Succeeded", timeout=WAIT)
                expect(g.locator("text").first).to_have_text(name)
                expect(g).to_be_visible()
        hello_box = notebook_view.locator(f'g[data-node-id="{HELLO}"] .dn-box')
        assert hello_box.get_attribute("fill") == SUCCEEDED
        # the edge's arrow head still points at a marker of the same picture
        marker = notebook_view.locator("svg.dflow-nb-svg g.dn-edges path").first \
            .get_attribute("marker-end")
        assert marker and marker.startswith("url(#"), marker
        assert notebook_view.locator(f'svg.dflow-nb-svg marker[id="{marker[5:-1]}"]').count() == 1
        assert graphviz_view.locator("svg.dflow-nb-svg g.edge path").count() == 1

        # poke the picture the way a reader would: hover and click the nodes and the links
        for view in (notebook_view, graphviz_view):
            for node_id in (HELLO, WORLD):
                g = view.locator(f'g[data-node-id="{node_id}"]')
                g.hover(timeout=10_000)
                g.click(timeout=10_000)
            for link in ("click me", "click me too", "and me"):
                target = view.locator("svg.dflow-nb-svg text", has_text=link)
                if target.count():
                    target.first.click(force=True, timeout=5_000)
                    page.wait_for_timeout(300)
        expect(notebook_view.locator(".dflow-nb-logpane")).to_be_visible()
        notebook_view.scroll_into_view_if_needed()
        time.sleep(2.0)    # give any load or timer a chance to fire
        shot("01-untrusted-notebook")

        found = {
            "script ran (window.__dflow_nb_pwned)": page.evaluate("window.__dflow_nb_pwned || []"),
            "requests the recording server got": sorted(recorder.hits),
            "requests outside Jupyter's origin": sorted(outside),
            "frames the SVG created": [f.url for f in page.frames[1:]],
            "more than drawing parts in the rendered SVG": page.evaluate(AUDIT),
        }
        assert not any(found.values()), "\n".join(
            f"{what}:\n  " + "\n  ".join(map(str, items)) for what, items in found.items() if items)
    except Exception:
        shot("failure")
        print(lab.log_tail())
        raise
    finally:
        page.close()

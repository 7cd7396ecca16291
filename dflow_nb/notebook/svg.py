"""The DAG as one self-contained SVG: boxes coloured by phase, groups with a progress bar.

Both the lasting record (static, no script, no CSS) and the live widget use this picture. Every
node is ``<g class="dn-node" data-id=...>`` with a ``dn-box`` shape, a ``dn-sub`` line of text and,
for a collapsed fan-out, a ``dn-bar`` whose segments the widget repaints as counts change; so a
live update re-sends states, never the picture.
"""
from __future__ import annotations

from html import escape
from typing import Any, Dict, List, Optional, Sequence, Tuple

from dflow_nb.notebook.layout import Layout, layout

COLORS: Dict[str, str] = {
    "Succeeded": "#18be94", "Failed": "#e96d76", "Error": "#d1444d", "Running": "#0dadea",
    "Pending": "#8fa4b1", "Skipped": "#b5c2cc", "Omitted": "#b5c2cc",
}
BAR_ORDER = ("Succeeded", "Failed", "Error", "Running", "Pending", "Skipped", "Omitted")
DOT_TYPES = ("StepGroup", "TaskGroup")
BOX_H = 38.0
GROUP_H = 50.0
MAX_LABEL = 30


def color(phase: Optional[str]) -> str:
    return COLORS.get(phase or "Pending", COLORS["Pending"])


def _label(node: Dict[str, Any]) -> str:
    text = node.get("displayName") or node.get("name") or node["id"]
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def node_size(node: Dict[str, Any]) -> Tuple[float, float]:
    """A box wide enough for its label (monospace-ish estimate: 7 px per character)."""
    if node["type"] in DOT_TYPES:
        return (14.0, 14.0)
    width = max(80.0, min(240.0, 24 + 7.2 * len(_label(node))))
    if node.get("group"):
        return (max(width, 150.0), GROUP_H)
    return (width, BOX_H)


def sub_text(node: Dict[str, Any]) -> str:
    """The small second line: phase, progress, or a group's done/total (or a given caption,
    for pictures that are not runs, such as ARCHITECTURE.md's)."""
    if "caption" in node:
        return str(node["caption"])
    group = node.get("group")
    if group:
        return f"×{group['count']}  {node.get('progress') or ''}  {node['phase']}"
    if node.get("pending"):
        return "not started"
    if node.get("reused"):
        return f"{node['phase']} · reused"
    prog = node.get("progress")
    if node["type"] == "Pod" and prog and prog not in ("1/1", "0/1"):
        return f"{node['phase']} {prog}"
    return node["phase"] if node["type"] not in DOT_TYPES else ""


def bar_segments(phases: Dict[str, int], x: float, y: float, w: float, h: float) -> str:
    """Stacked segments of a group's progress bar (the widget redraws the same thing in JS)."""
    total = sum(phases.values()) or 1
    out: List[str] = []
    for phase in BAR_ORDER:
        k = phases.get(phase, 0)
        if not k:
            continue
        sw = w * k / total
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{sw:.2f}" height="{h:.1f}" '
                   f'fill="{color(phase)}"/>')
        x += sw
    return "".join(out)


def render_svg(nodes: Sequence[Dict[str, Any]], edges: Sequence[Tuple[str, str]],
               lay: Optional[Layout] = None) -> str:
    """The whole picture; lays the graph out unless a layout is given."""
    if lay is None:
        lay = layout([n["id"] for n in nodes], {n["id"]: node_size(n) for n in nodes}, edges)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="dflow-nb-dag" '
             f'width="{lay.width:.0f}" height="{lay.height:.0f}" '
             f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             '<defs><marker id="dn-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#8a9399"/></marker></defs>',
             '<g class="dn-edges" fill="none" stroke="#8a9399" stroke-width="1.2">']
    for _, _, pts, bezier in lay.edges:
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
        if bezier and len(pts) >= 4:
            rest = pts[1:]
            for k in range(0, len(rest) - 2, 3):
                (x1, y1), (x2, y2), (x3, y3) = rest[k:k + 3]
                d += f" C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"
        else:
            d += "".join(f" L{x:.1f},{y:.1f}" for x, y in pts[1:])
        parts.append(f'<path d="{d}" marker-end="url(#dn-arrow)"/>')
    parts.append("</g>")
    for n in nodes:
        if n["id"] in lay.centers:
            parts.append(_node_svg(n, lay))
    parts.append("</svg>")
    return "".join(parts)


def _node_svg(n: Dict[str, Any], lay: Layout) -> str:
    cx, cy = lay.centers[n["id"]]
    w, h = lay.sizes[n["id"]]
    x, y = cx - w / 2, cy - h / 2
    fill = color(n["phase"])
    tip = f"{n.get('displayName') or n['id']}: {n['phase']}"
    if n.get("message"):
        tip += f"\n{n['message']}"
    classes = "dn-node" + (" dn-pending" if n.get("pending") else "") + \
        (" dn-reused" if n.get("reused") else "")
    faded = ' opacity="0.45" stroke-dasharray="4 3"' if n.get("pending") else ""
    head = (f'<g class="{classes}" data-id="{escape(n["id"])}" data-type="{escape(n["type"])}" '
            f'data-phase="{escape(n["phase"])}" cursor="pointer"{faded}>'
            f"<title>{escape(tip)}</title>")
    if n["type"] in DOT_TYPES:
        return (head + f'<circle class="dn-box" cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}" '
                f'stroke="#ffffff" stroke-width="1.5"/></g>')
    body = [head, f'<rect class="dn-box" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                  f'height="{h:.1f}" rx="6" fill="{fill}"/>',
            f'<text x="{cx:.1f}" y="{y + 15:.1f}" text-anchor="middle" fill="#ffffff" '
            f'font-weight="bold">{escape(_label(n))}</text>',
            f'<text class="dn-sub" x="{cx:.1f}" y="{y + 29:.1f}" text-anchor="middle" '
            f'fill="#ffffff" font-size="10">{escape(sub_text(n))}</text>']
    group = n.get("group")
    if group:
        bx, by, bw, bh = x + 8, y + h - 12, w - 16, 6
        body.append(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                    f'fill="#ffffff" opacity="0.6"/>')
        body.append(f'<g class="dn-bar" data-x="{bx:.1f}" data-y="{by:.1f}" data-w="{bw:.1f}" '
                    f'data-h="{bh:.1f}" stroke="#ffffff" stroke-width="0.5">'
                    f'{bar_segments(group["phases"], bx, by, bw, bh)}</g>')
    body.append("</g>")
    return "".join(body)

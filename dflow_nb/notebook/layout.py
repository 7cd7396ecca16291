"""Where each node of the (collapsed) DAG goes: Graphviz ``dot`` when installed, else pure Python.

The picture is laid out in the kernel, not in the browser, because the lasting record (a saved,
untrusted or exported notebook) must carry a finished SVG and no script can run there. ``dot``
(Debian ``graphviz``) gives the best layout; on a pip-only machine a small layered (Sugiyama-style)
layout written here takes over: longest-path ranks, a few barycenter sweeps to cut crossings,
rows centred. Collapsed graphs are small (tens to a few hundred nodes), so both are fast.
``DFLOW_NB_LAYOUT=python|dot`` forces one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

Point = Tuple[float, float]
RANK_GAP = 56.0
NODE_GAP = 18.0
MARGIN = 12.0


@dataclass
class Layout:
    """Box centres, edge polylines (or cubic Bézier control points) and the canvas size."""

    width: float
    height: float
    centers: Dict[str, Point]
    sizes: Dict[str, Tuple[float, float]]
    edges: List[Tuple[str, str, List[Point], bool]] = field(default_factory=list)  # bezier?
    engine: str = "python"


def dot_binary() -> Optional[str]:
    """The ``dot`` executable to use, or None for the pure-Python layout."""
    forced = os.environ.get("DFLOW_NB_LAYOUT", "").lower()
    if forced == "python":
        return None
    return shutil.which("dot")


def layout(ids: Sequence[str], sizes: Dict[str, Tuple[float, float]],
           edges: Sequence[Tuple[str, str]]) -> Layout:
    """Lay the graph out top to bottom with the best engine available."""
    exe = dot_binary()
    if exe is not None and ids:
        try:
            return _dot_layout(exe, ids, sizes, edges)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass  # a broken Graphviz install must not cost the user the picture
    return layered_layout(ids, sizes, edges)


# -- pure Python ---------------------------------------------------------------------------------
def _ranks(ids: Sequence[str], edges: Sequence[Tuple[str, str]]) -> Dict[str, int]:
    preds: Dict[str, List[str]] = {i: [] for i in ids}
    for a, b in edges:
        if a in preds and b in preds:
            preds[b].append(a)
    rank: Dict[str, int] = {}
    for start in ids:               # iterative longest path; cycles (never expected) are cut
        stack = [(start, False)]
        on_path = set()
        while stack:
            node, done = stack.pop()
            if done:
                on_path.discard(node)
                rank[node] = max((rank.get(p, 0) + 1 for p in preds[node] if p in rank),
                                 default=0)
                continue
            if node in rank or node in on_path:
                continue
            on_path.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in preds[node] if p not in rank and p not in on_path)
    return rank


def layered_layout(ids: Sequence[str], sizes: Dict[str, Tuple[float, float]],
                   edges: Sequence[Tuple[str, str]]) -> Layout:
    """A layered layout good enough for workflow graphs, with no dependency at all."""
    if not ids:
        return Layout(2 * MARGIN, 2 * MARGIN, {}, {})
    rank = _ranks(ids, edges)
    rows: Dict[int, List[str]] = {}
    for i in ids:
        rows.setdefault(rank[i], []).append(i)
    preds: Dict[str, List[str]] = {i: [] for i in ids}
    succs: Dict[str, List[str]] = {i: [] for i in ids}
    for a, b in edges:
        if a in preds and b in preds:
            succs[a].append(b)
            preds[b].append(a)
    order = {i: k for row in rows.values() for k, i in enumerate(row)}
    depth = max(rows)
    for sweep in range(4):          # barycenter sweeps, down then up
        down = sweep % 2 == 0
        for r in (range(1, depth + 1) if down else range(depth - 1, -1, -1)):
            row = rows[r]

            def bary(n: str) -> float:
                near = preds[n] if down else succs[n]
                return sum(order[m] for m in near) / len(near) if near else order[n]
            row.sort(key=bary)
            for k, n in enumerate(row):
                order[n] = k
    widths = {r: sum(sizes[n][0] for n in row) + NODE_GAP * (len(row) - 1)
              for r, row in rows.items()}
    total_w = max(widths.values()) + 2 * MARGIN
    heights = {r: max(sizes[n][1] for n in row) for r, row in rows.items()}
    centers: Dict[str, Point] = {}
    y = MARGIN
    for r in range(depth + 1):
        row = rows.get(r, [])
        x = (total_w - widths.get(r, 0)) / 2
        h = heights.get(r, 0)
        for n in row:
            w = sizes[n][0]
            centers[n] = (x + w / 2, y + h / 2)
            x += w + NODE_GAP
        y += h + RANK_GAP
    total_h = y - RANK_GAP + MARGIN
    out = []
    for a, b in edges:
        if a in centers and b in centers:
            (ax, ay), (bx, by) = centers[a], centers[b]
            start = (ax, ay + sizes[a][1] / 2)
            end = (bx, by - sizes[b][1] / 2)
            if end[1] > start[1]:
                mid = (start[1] + end[1]) / 2
                out.append((a, b, [start, (start[0], mid), (end[0], mid), end], True))
            else:
                out.append((a, b, [start, end], False))
    return Layout(total_w, total_h, centers, dict(sizes), out, "python")


# -- Graphviz ------------------------------------------------------------------------------------
def _dot_layout(exe: str, ids: Sequence[str], sizes: Dict[str, Tuple[float, float]],
                edges: Sequence[Tuple[str, str]]) -> Layout:
    """Ask ``dot -Tplain`` for positions; we draw the SVG ourselves so both engines match."""
    short = {i: f"n{k}" for k, i in enumerate(ids)}
    back = {v: k for k, v in short.items()}
    lines = ["digraph G {", "graph [rankdir=TB, nodesep=0.25, ranksep=0.5];",
             "node [shape=box, fixedsize=true, label=\"\"];"]
    for i in ids:
        w, h = sizes[i]
        lines.append(f"{short[i]} [width={w / 72:.3f}, height={h / 72:.3f}];")
    for a, b in edges:
        if a in short and b in short:
            lines.append(f"{short[a]} -> {short[b]};")
    lines.append("}")
    res = subprocess.run([exe, "-Tplain"], input="\n".join(lines), capture_output=True,
                         text=True, timeout=60, check=True)
    scale, gh = 72.0, 0.0
    width = height = 0.0
    centers: Dict[str, Point] = {}
    out: List[Tuple[str, str, List[Point], bool]] = []
    for line in res.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            gh = float(parts[3])
            width, height = float(parts[2]) * scale, gh * scale
        elif parts[0] == "node":
            centers[back[parts[1]]] = (float(parts[2]) * scale + MARGIN,
                                       (gh - float(parts[3])) * scale + MARGIN)
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [(float(parts[4 + 2 * k]) * scale + MARGIN,
                    (gh - float(parts[5 + 2 * k])) * scale + MARGIN) for k in range(n)]
            out.append((back[parts[1]], back[parts[2]], pts, n >= 4 and (n - 1) % 3 == 0))
    if len(centers) != len(ids):
        raise ValueError("dot left nodes out")
    return Layout(width + 2 * MARGIN, height + 2 * MARGIN, centers, dict(sizes), out, "dot")

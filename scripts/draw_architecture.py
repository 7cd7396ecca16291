"""Draw ARCHITECTURE.md's picture with dflow_nb's own DAG renderer: the packages of dflow_nb,
coloured by layer, with an arrow from each package to the packages it imports (arrows implied by
a longer path are left out, so the picture shows the layering rather than every import).

Usage: python scripts/draw_architecture.py [OUT.svg]   (default: docs/architecture.svg)
"""
from __future__ import annotations

import sys
from itertools import product
from pathlib import Path
from typing import Dict, List, Set, Tuple

import grimp

from dflow_nb.notebook.svg import render_svg

ROOT = Path(__file__).resolve().parent.parent
# Layer of each package (DESIGN.md), and the phase colour the renderer paints it with.
LAYERS: Dict[str, Tuple[str, str]] = {
    "notebook": ("face", "Running"), "jupyter": ("face", "Running"), "cli": ("face", "Running"),
    "local": ("backend", "Succeeded"), "argo": ("backend", "Succeeded"),
    "plugins": ("backend", "Succeeded"),
    "hub": ("hub", "Failed"),
    "python": ("authoring", "Pending"), "storage": ("storage", "Skipped"),
    "model": ("model", "Pending"),
    "expressions": ("foundation", "Skipped"), "config": ("foundation", "Skipped"),
    "errors": ("foundation", "Skipped"),
}


def package_edges() -> Set[Tuple[str, str]]:
    graph = grimp.build_graph("dflow_nb", exclude_type_checking_imports=True)
    edges = set()
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            other = imported.split(".")
            if len(other) >= 2 and other[1] in LAYERS and other[1] != parts[1]:
                edges.add((parts[1], other[1]))
    return edges


def transitive_reduction(edges: Set[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Drop a -> c when a -> ... -> c exists through other packages (the graph is acyclic)."""
    reach: Dict[str, Set[str]] = {n: {b for a, b in edges if a == n} for n in LAYERS}
    changed = True
    while changed:
        changed = False
        for a, b in product(LAYERS, LAYERS):
            if b in reach[a] and not reach[b] <= reach[a]:
                reach[a] |= reach[b]
                changed = True
    return sorted((a, c) for a, c in edges
                  if not any(c in reach[b] for b in reach[a] if b != c))


def main(out: Path) -> None:
    nodes = [{"id": name, "displayName": f"dflow_nb.{name}", "type": "Pod", "phase": phase,
              "caption": layer} for name, (layer, phase) in LAYERS.items()]
    svg = render_svg(nodes, transitive_reduction(package_edges()))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(svg + "\n")
    print(f"wrote {out} ({len(svg)} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "architecture.svg")

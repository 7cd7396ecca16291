"""Checks that keep the layout of ARCHITECTURE.md true; run by scripts/test.sh.

1. No import cycle between modules of dflow_nb, counting imports inside functions (grimp reads
   every import statement); imports under ``if TYPE_CHECKING:`` are not run and do not count.
2. No module over 700 lines.
The layer contract itself is import-linter's (``lint-imports``, configured in pyproject.toml).

Usage: python scripts/check_architecture.py   (exit 1 and a list of findings on failure)
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, Set

import grimp

MAX_LINES = 700
ROOT = Path(__file__).resolve().parent.parent


def import_cycles(package: str) -> List[List[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's SCC)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    edges: Dict[str, Set[str]] = {m: graph.find_modules_directly_imported_by(m)
                                  for m in graph.modules}
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


def long_modules(package_dir: Path) -> List[str]:
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {MAX_LINES})")
    return found


def main() -> int:
    problems = [f"import cycle: {' <-> '.join(c)}" for c in import_cycles("dflow_nb")]
    problems += long_modules(ROOT / "dflow_nb")
    for p in problems:
        print(p)
    if not problems:
        print("architecture: no import cycle, no module over", MAX_LINES, "lines")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Workload names, in table order, with the number of OP steps each executes.

Kept apart from ``workloads.py`` so the runner can read it without importing
an engine. ``per-step`` in the table is ``wall / steps``.
"""
from typing import Dict

WORKLOAD_STEPS: Dict[str, int] = {
    "trivial": 1,        # one Inc step
    "chain50": 50,       # 50 Inc steps in sequence
    "fanout100": 101,    # 100 slices + 1 step verifying the stacked list
    "fanout1000": 1001,  # 1000 slices + 1 step verifying the stacked list
    "recursion20": 20,   # 20 Inc steps, one per recursive Steps call
    "diamond": 4,        # A -> B, C -> D with 1 MB file artifacts
}

"""Live view cost on a large run: Python time per refresh and bytes sent to the browser.

Run: ``.venv/bin/python benchmarks/widget.py [slices] [changes-per-refresh]`` (e.g. ``100000
1000``). Targets: <= 100 ms per refresh on the Python side (issue 5), <= 20 ms at 100,000 slices
(issue 13), picture < 500 KB. Issue 15 adds the view data the panels read: the run view (bundle
+ timeline), one page of a group's slices, the run summary, and how long each takes to build.
The run is synthetic (``dflow_nb/notebook/synthetic.py``): its ``query_nodes(since_seq=...)``
returns the changed records without a database, so what the local engine's read of them costs
is measured apart (``benchmarks/scale.py``, column ``query_nodes(since_seq)``).
"""
from __future__ import annotations

import gc
import json
import statistics
import sys
import time

from dflow_nb.notebook.display import MIME, bundle_from
from dflow_nb.notebook.synthetic import SyntheticRun
from dflow_nb.notebook.viewdata import group_listing, run_summary, timeline
from dflow_nb.notebook.widgets import LiveView


def _timed(fn, *args, **kw):
    """Median of 5 builds, each after a full collection: a collection of the 100,000 records
    the synthetic run itself holds would otherwise land in whichever build it falls on."""
    took = []
    for _ in range(5):
        gc.collect()
        t = time.perf_counter()
        out = fn(*args, **kw)
        took.append(time.perf_counter() - t)
    return out, round(statistics.median(took) * 1000, 1), len(json.dumps(out, default=str))


def main(slices: int = 10_000, per_refresh: int = 500) -> dict:
    run = SyntheticRun(slices, fail_every=97)
    view = LiveView(run)
    t0 = time.perf_counter()
    view.refresh()
    first_ms = (time.perf_counter() - t0) * 1000
    times, cpu = [], []
    states_bytes = []
    while True:
        run.advance(per_refresh)
        t, c = time.perf_counter(), time.process_time()
        done = view.refresh()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        states_bytes.append(len(json.dumps(view.dag.states)))
        if done:
            break
    bundle = bundle_from(view.record, view.model)
    view_body, view_ms, view_bytes = _timed(
        lambda: {**bundle_from(view.record, view.model)[MIME], "timeline": timeline(view.model)})
    group_id = next(iter(view.model.bucket_by_id))
    _, group_ms, group_bytes = _timed(group_listing, view.model, group_id)
    _, tl_ms, tl_bytes = _timed(timeline, view.model)
    _, sum_ms, sum_bytes = _timed(run_summary, view.record, view.model)
    result = {
        "slices": slices, "changes_per_refresh": per_refresh, "refreshes": len(times),
        "first_refresh_ms": round(first_ms, 1),
        "refresh_ms_median": round(statistics.median(times), 2),
        "refresh_ms_p95": round(sorted(times)[int(len(times) * 0.95)], 2),
        "refresh_ms_max": round(max(times), 2),
        "refresh_cpu_ms_median": round(statistics.median(cpu), 2),
        "svg_bytes": len(view.dag.svg),
        "states_bytes_max": max(states_bytes),
        "table_bytes": len(view.table.value),
        "bundle_bytes": len(json.dumps(bundle)),
        "run_view_bytes": view_bytes, "run_view_ms": view_ms,
        "timeline_bytes": tl_bytes, "timeline_ms": tl_ms,
        "group_page_bytes": group_bytes, "group_page_ms": group_ms,
        "summary_bytes": sum_bytes, "summary_ms": sum_ms,
    }
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), indent=2))

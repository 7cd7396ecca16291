#!/usr/bin/env python
"""Run Dflow's own examples, tests and tutorials on dflow_nb (and pydflow).

Usage::

    python benchmarks/dflow_suite.py CHECKOUT [--impl dflow_nb|pydflow|both]
        [--only SUBSTR[,SUBSTR]] [--timeout SECONDS] [--list] [--keep] [--json OUT]

CHECKOUT is a path to a checkout of deepmodeling/dflow or a git URL (cloned
shallowly into a temporary directory). Nothing of Dflow's is stored in this
repository. ``dflow_items.py`` says which items run on one machine and why the
others do not (``--list`` prints it).

Each (item, implementation) runs as ``python <item>.py`` (a file of pytest
functions: ``python -m pytest <item>.py``) in a fresh temporary directory
with ``DFLOW_MODE=debug`` (Dflow's debug-mode switch) and no stdin:

* dflow_nb: the item's imports rewritten ``s/dflow/dflow_nb/`` and nothing
  else, under this interpreter with the project root importable;
* pydflow: the item as it is, under ``benchmarks/.venv-pydflow`` (pydflow
  1.8.134, created by ``run.ensure_venv``).

An item passes when its process exits with 0 within the timeout (Dflow's
examples assert their results; pydflow's and dflow_nb's debug modes raise when
a workflow fails). The time is the whole process's wall time.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import psutil
from dflow_items import FOLDERS, Item, find_items, rewrite_imports, source
from run import PROJECT, child_command, child_env, ensure_venv, fmt_time, kill_tree, machine, tail

IMPLS = ("dflow_nb", "pydflow")
POLL_S = 0.05


def checkout_of(where: str) -> str:
    """A local checkout: ``where`` itself, or a shallow clone of that URL (or bare repository)."""
    if any(os.path.isdir(os.path.join(where, folder)) for folder, _ in FOLDERS):
        return os.path.abspath(where)
    dest = tempfile.mkdtemp(prefix="dflow-checkout-")
    print("cloning %s into %s ..." % (where, dest), file=sys.stderr)
    done = subprocess.run(["git", "clone", "-q", "--depth", "1", where, dest],
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        raise SystemExit("could not clone %s (git exit %d): give a path to a "
                         "checkout of deepmodeling/dflow or a git URL"
                         % (where, done.returncode))
    return dest


def item_env(impl: str) -> Dict[str, str]:
    """The child's environment: debug mode, and only ``impl`` importable."""
    env = child_env(impl)
    env.pop("BENCH_IMPL", None)
    env["DFLOW_MODE"] = "debug"
    env["PYTHONPATH"] = PROJECT if impl == "dflow_nb" else ""
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_item(item: Item, impl: str, timeout: float,
             keep: bool) -> Dict[str, Any]:
    """Run one item on one implementation in a fresh directory."""
    text = source(item)
    if impl == "dflow_nb":
        text = rewrite_imports(text)
    tmp = tempfile.mkdtemp(prefix="dflow-suite-%s-" % impl)
    script = os.path.join(tmp, item.script_name)
    with open(script, "w", encoding="utf-8") as f:
        f.write(text)
    log_path = os.path.join(tmp, "output.log")
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(child_command(impl) + item.command(text), cwd=tmp,
                                 env=item_env(impl), stdout=log,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    status = "passed"
    try:
        while popen.poll() is None:
            if time.perf_counter() - t0 > timeout:
                status = "timeout"
                break
            time.sleep(POLL_S)
    finally:   # a timeout, Ctrl-C or SIGTERM of the runner ends the item's whole process tree
        if popen.poll() is None:
            kill_tree(psutil.Process(popen.pid))
            popen.wait()
    wall = time.perf_counter() - t0
    res: Dict[str, Any] = {"item": item.name, "impl": impl, "wall": wall,
                           "returncode": popen.returncode,
                           "workflows": workflow_phases(impl, tmp)}
    if status == "passed" and popen.returncode != 0:
        status = "failed"
        res["error"] = tail(log_path, 6)
    res["status"] = status
    if keep or status != "passed":
        res["workdir"] = tmp
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def workflow_phases(impl: str, workdir: str) -> List[str]:
    """Final phases of the workflows a run left in its directory: pydflow's debug mode writes
    ``<id>/status``; dflow_nb's state database (in the folder's default work directory,
    ``.dflow_nb/``) is read through its public API."""
    if impl == "pydflow":
        return sorted(p.read_text().strip() for p in Path(workdir).glob("*/status")
                      if p.is_file())
    from dflow_nb.config import runs_dir
    from dflow_nb.hub.workflow import query_workflows
    return sorted(r.phase for r in query_workflows(workdir=runs_dir(workdir)))


def phases_text(phases: List[str]) -> str:
    """``2 Succeeded, 1 Failed``-like, compact: ``S2 F1``."""
    counts = {p: phases.count(p) for p in sorted(set(phases))}
    return " ".join(f"{p[0]}{n}" for p, n in counts.items()) or "none"


def cell(res: Optional[Dict[str, Any]]) -> str:
    """Status, workflow phases and time of one run."""
    if res is None:
        return "— | — | —"
    phases = phases_text(res.get("workflows") or [])
    if res["status"] == "timeout":
        return "timeout | %s | >%s" % (phases, fmt_time(res["wall"]))
    return "%s | %s | %s" % (res["status"], phases, fmt_time(res["wall"]))


def agree(runs: List[Optional[Dict[str, Any]]]) -> str:
    """Whether both implementations ended alike: same status, same workflow phases."""
    if any(r is None for r in runs):
        return "—"
    done = [r for r in runs if r is not None]
    same = len({(r["status"], tuple(r.get("workflows") or [])) for r in done}) == 1
    return "yes" if same else "**no**"


def table(items: List[Item], results: List[Dict[str, Any]],
          impls: List[str]) -> str:
    """Markdown table: item, then status, workflow phases and time per implementation (and
    whether they agree); totals."""
    by = {(r["impl"], r["item"]): r for r in results}
    both = len(impls) > 1
    head = "| item | " + " | ".join("%s | workflows | time" % i for i in impls) + \
        (" | agree |" if both else " |")
    out = [head, "|---|" + "---|---|---:|" * len(impls) + ("---|" if both else "")]
    for it in items:
        runs = [by.get((i, it.name)) for i in impls]
        out.append("| %s | %s |%s" % (it.name, " | ".join(cell(r) for r in runs),
                                      " %s |" % agree(runs) if both else ""))
    totals = []
    for i in impls:
        runs = [r for r in results if r["impl"] == i]
        ok = sum(r["status"] == "passed" for r in runs)
        totals.append("**%d/%d** | | %s" % (
            ok, len(runs), fmt_time(sum(r["wall"] for r in runs))))
    alike = sum(agree([by.get((i, it.name)) for i in impls]) == "yes" for it in items)
    out.append("| total | %s |%s" % (" | ".join(totals),
                                     " %d/%d |" % (alike, len(items)) if both else ""))
    out.append("")
    out.append("workflows: final phases of the workflows the item ran (S = Succeeded, "
               "F = Failed, E = Error); agree: same status and same phases.")
    return "\n".join(out)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkout", help="path to a checkout of deepmodeling/dflow, or its git URL")
    ap.add_argument("--impl", choices=["dflow_nb", "pydflow", "both"], default="dflow_nb")
    ap.add_argument("--only", default="",
                    help="comma-separated substrings of item names (e.g. tests/,reuse)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds per run before its process tree is killed")
    ap.add_argument("--list", action="store_true",
                    help="list the items and why some cannot run here; run nothing")
    ap.add_argument("--keep", action="store_true", help="keep the working dirs of passed runs")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON")
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the runnable items and print the table; 0 if all passed."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the cleanups on SIGTERM
    checkout = checkout_of(args.checkout)
    try:
        return run_suite(args, find_items(checkout))
    finally:
        if checkout != os.path.abspath(args.checkout):   # a clone of ours
            shutil.rmtree(checkout, ignore_errors=True)


def run_suite(args: argparse.Namespace, items: List[Item]) -> int:
    """``--list``, or run the selected items on the selected implementations."""
    if args.list:
        for it in items:
            print("%-40s %s" % (it.name, "runs here" if it.runnable
                                else "needs " + it.needs))
        print("%d items, %d runnable on one machine"
              % (len(items), sum(it.runnable for it in items)))
        return 0
    wanted = [s for s in args.only.split(",") if s]
    items = [it for it in items if it.runnable
             and (not wanted or any(s in it.name for s in wanted))]
    impls = list(IMPLS) if args.impl == "both" else [args.impl]
    if "pydflow" in impls:
        ensure_venv(extras=["pytest"])
    results = []
    for it in items:
        for impl in impls:
            print("%-40s on %-8s ..." % (it.name, impl), end=" ",
                  file=sys.stderr, flush=True)
            res = run_item(it, impl, args.timeout, args.keep)
            results.append(res)
            print("%s %s%s" % (res["status"], fmt_time(res["wall"]),
                               "".join("\n    " + ln for ln in
                                       res.get("error", "").splitlines())),
                  file=sys.stderr)
    print(table(items, results, impls))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "timeout": args.timeout,
                       "results": results}, f, indent=1)
    return 0 if all(r["status"] == "passed" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Run the Dflow-API workloads on dflow_nb and on pydflow 1.8.134 side by side.

Usage::

    python benchmarks/run.py [--only NAME[,NAME]] [--impl dflow_nb|pydflow|both]
                             [--timeout SECONDS] [--json OUT] [--merge IN]

Every (workload, implementation) pair runs ``benchmarks/workloads.py`` in a
fresh subprocess with its own temporary working directory and
``config["mode"] = "debug"``:

* dflow_nb runs under this interpreter with the project root importable;
* pydflow runs under ``benchmarks/.venv-pydflow`` (created once, cached), which
  gets ``pip install pydflow==1.8.134``. pydflow is never a project dependency.

Measured:

* wall: inside the child, around ``submit()`` + ``wait()``;
* per-step: wall / number of OP steps the workload executes;
* peak RSS: the sum of RSS over the child and all its descendants, sampled
  every 20 ms with psutil (a bench-only dependency).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

import psutil

HERE: str = os.path.dirname(os.path.abspath(__file__))
PROJECT: str = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from catalog import WORKLOAD_STEPS  # noqa: E402

PYDFLOW_VERSION: str = "1.8.134"
VENV: str = os.path.join(HERE, ".venv-pydflow")
VENV_MARK: str = os.path.join(VENV, ".bench-ready")
IMPLS: Dict[str, str] = {"dflow_nb": "dflow_nb", "pydflow": "dflow"}
"""implementation label -> importable package name (BENCH_IMPL)."""
SAMPLE_S: float = 0.02
TAIL_LINES: int = 15


def venv_python() -> str:
    """Path of the pydflow virtualenv's interpreter."""
    return os.path.join(VENV, "bin", "python")


def ensure_venv(extras: Sequence[str] = ()) -> str:
    """Create ``.venv-pydflow`` with pydflow==1.8.134 once; return its python.

    ``extras``: more packages the caller's runs import (e.g. pytest), installed when missing.
    """
    py = venv_python()
    if os.path.exists(VENV_MARK) and os.path.exists(py):
        with open(VENV_MARK) as f:
            if f.read().strip() == PYDFLOW_VERSION:
                missing = [e for e in extras if subprocess.run(
                    [py, "-c", "import " + e], capture_output=True).returncode]
                if missing:
                    subprocess.run([py, "-m", "pip", "install", "-q"] + missing, check=True)
                return py
    print("creating %s with pydflow==%s ..." % (VENV, PYDFLOW_VERSION),
          file=sys.stderr)
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q",
                    "pydflow==%s" % PYDFLOW_VERSION] + list(extras), check=True)
    with open(VENV_MARK, "w") as f:
        f.write(PYDFLOW_VERSION)
    return py


def child_command(impl: str) -> List[str]:
    """Interpreter used for ``impl``'s child process."""
    return [venv_python() if impl == "pydflow" else sys.executable]


def child_env(impl: str) -> Dict[str, str]:
    """Environment for ``impl``'s child: BENCH_IMPL, PYTHONPATH and PATH.

    PATH starts with the interpreter's bin dir so that a step spawned as
    ``python3`` (pydflow's default command) gets the same environment.
    """
    env = dict(os.environ)
    env["BENCH_IMPL"] = IMPLS[impl]
    paths = [HERE] if impl == "pydflow" else [PROJECT, HERE]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    bindir = os.path.dirname(child_command(impl)[0])
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    if impl == "pydflow":
        env["VIRTUAL_ENV"] = VENV
    else:
        env.pop("VIRTUAL_ENV", None)
    return env


def tree_rss(proc: psutil.Process) -> int:
    """Sum of RSS (bytes) over ``proc`` and its live descendants."""
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def kill_tree(proc: psutil.Process) -> None:
    """Kill ``proc`` and every descendant (children first, then the root)."""
    try:
        procs = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        procs = []
    for p in procs + [proc]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs + [proc], timeout=10)


def tail(path: str, n: int = TAIL_LINES) -> str:
    """Last ``n`` non-empty lines of a log file."""
    try:
        with open(path, errors="replace") as f:
            lines = [ln.rstrip() for ln in f if ln.strip()]
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def run_one(impl: str, workload: str, timeout: float,
            keep: bool = False) -> Dict[str, Any]:
    """Run one workload on one implementation in a fresh subprocess."""
    steps = WORKLOAD_STEPS[workload]
    res: Dict[str, Any] = {"impl": impl, "workload": workload,
                           "steps": steps, "status": "failed"}
    tmp = tempfile.mkdtemp(prefix="bench-%s-%s-" % (impl, workload))
    result_path = os.path.join(tmp, "result.json")
    log_path = os.path.join(tmp, "child.log")
    cmd = child_command(impl) + [os.path.join(HERE, "workloads.py"),
                                 workload, result_path]
    peak = 0
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(cmd, cwd=tmp, env=child_env(impl),
                                 stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    proc = psutil.Process(popen.pid)
    timed_out = False
    while popen.poll() is None:
        peak = max(peak, tree_rss(proc))
        if time.perf_counter() - t0 > timeout:
            timed_out = True
            kill_tree(proc)
            popen.wait()
            break
        time.sleep(SAMPLE_S)
    res["process_wall"] = time.perf_counter() - t0
    res["peak_rss"] = peak
    res["returncode"] = popen.returncode
    if timed_out:
        res["status"] = "timeout"
        res["timeout"] = timeout
    elif popen.returncode == 0 and os.path.exists(result_path):
        with open(result_path) as f:
            child = json.load(f)
        res.update(wall=child["wall"], build=child["build"],
                   per_step=child["wall"] / steps, status="ok")
    else:
        res["error"] = tail(log_path) or "exit code %s" % popen.returncode
    if res["status"] != "ok":
        res["log"] = log_path
    if keep or res["status"] != "ok":
        res["workdir"] = tmp
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def fmt_time(sec: Optional[float]) -> str:
    """Human wall time."""
    if sec is None:
        return "—"
    return "%.3f s" % sec if sec < 10 else "%.1f s" % sec


def fmt_ms(sec: Optional[float]) -> str:
    """Seconds as milliseconds."""
    return "—" if sec is None else "%.1f ms" % (sec * 1000)


def fmt_mb(nbytes: Optional[int]) -> str:
    """Bytes as MiB."""
    return "—" if not nbytes else "%.0f MB" % (nbytes / 2 ** 20)


def cells(res: Optional[Dict[str, Any]]) -> List[str]:
    """Wall, per-step and RSS cells for one result."""
    if res is None:
        return ["not run"] * 3
    if res["status"] == "timeout":
        return [">%g s (timeout)" % res["timeout"], "—",
                "≥" + fmt_mb(res["peak_rss"])]
    if res["status"] != "ok":
        return ["FAILED", "—", "—"]
    return [fmt_time(res["wall"]), fmt_ms(res["per_step"]),
            fmt_mb(res["peak_rss"])]


def speedup(nb: Optional[Dict[str, Any]], pd: Optional[Dict[str, Any]]) -> str:
    """pydflow wall / dflow_nb wall."""
    if not nb or not pd or nb["status"] != "ok":
        return "—"
    if pd["status"] == "ok":
        return "%.1f×" % (pd["wall"] / nb["wall"])
    if pd["status"] == "timeout":
        return ">%.0f×" % (pd["timeout"] / nb["wall"])
    return "—"


def table(results: List[Dict[str, Any]], workloads: List[str]) -> str:
    """Markdown table of ``results`` for ``workloads``."""
    by = {(r["impl"], r["workload"]): r for r in results}
    out = ["| workload | steps | dflow_nb wall | dflow_nb per-step "
           "| dflow_nb peak RSS | pydflow wall | pydflow per-step "
           "| pydflow RSS | speed-up |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in workloads:
        nb, pd = by.get(("dflow_nb", w)), by.get(("pydflow", w))
        out.append("| %s | %d | %s | %s |" % (
            w, WORKLOAD_STEPS[w],
            " | ".join(cells(nb) + cells(pd)), speedup(nb, pd)))
    out.append("")
    out.append("wall = submit()+wait() inside the child; per-step = wall / "
               "steps (OP steps executed); peak RSS = max over 20 ms samples "
               "of the summed RSS of the child process tree; speed-up = "
               "pydflow wall / dflow_nb wall.")
    return "\n".join(out)


def machine() -> Dict[str, Any]:
    """Facts about this machine for the JSON report."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu,
            "mem_gb": round(psutil.virtual_memory().total / 2 ** 30, 1),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="",
                    help="comma-separated workloads (default: all of %s)"
                    % ",".join(WORKLOAD_STEPS))
    ap.add_argument("--impl", choices=["dflow_nb", "pydflow", "both"],
                    default="both")
    ap.add_argument("--timeout", type=float, default=1200.0,
                    help="seconds per run before the process tree is killed")
    ap.add_argument("--json", metavar="OUT", help="write results as JSON")
    ap.add_argument("--merge", metavar="IN", action="append", default=[],
                    help="add results from an earlier --json file for runs "
                    "not done now (e.g. reuse slow pydflow figures)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary working dirs")
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the selected workloads and print the table."""
    args = parse_args(argv)
    workloads = [w for w in args.only.split(",") if w] or list(WORKLOAD_STEPS)
    bad = [w for w in workloads if w not in WORKLOAD_STEPS]
    if bad:
        print("unknown workload(s): %s (known: %s)" % (
            ",".join(bad), ",".join(WORKLOAD_STEPS)), file=sys.stderr)
        return 2
    impls = ["dflow_nb", "pydflow"] if args.impl == "both" else [args.impl]
    if "pydflow" in impls:
        ensure_venv()
    results: List[Dict[str, Any]] = []
    for w in workloads:
        for impl in impls:
            print("running %-11s on %-8s ..." % (w, impl), end=" ",
                  file=sys.stderr, flush=True)
            res = run_one(impl, w, args.timeout, args.keep)
            results.append(res)
            if res["status"] == "ok":
                print("%s (%s per step, %s)" % (
                    fmt_time(res["wall"]), fmt_ms(res["per_step"]),
                    fmt_mb(res["peak_rss"])), file=sys.stderr)
            elif res["status"] == "timeout":
                print("TIMEOUT after %g s (killed)" % args.timeout,
                      file=sys.stderr)
            else:
                print("FAILED (exit %s); log %s\n%s\n" % (
                    res["returncode"], res["log"],
                    "\n".join("    " + ln for ln in
                              res["error"].splitlines())),
                      file=sys.stderr)
    done = {(r["impl"], r["workload"]) for r in results}
    for path in args.merge:
        with open(path) as f:
            for r in json.load(f)["results"]:
                if (r["impl"], r["workload"]) not in done and \
                        r["workload"] in workloads:
                    results.append(r)
                    done.add((r["impl"], r["workload"]))
    print(table(results, workloads))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "timeout": args.timeout,
                       "results": results}, f, indent=1)
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Run Argo's own example manifests on the local engine and compare with Argo's outcomes.

Usage::

    python benchmarks/argo_examples.py EXAMPLES_DIR [--impl dflow_nb|pydflow]
        [--only SUBSTR[,SUBSTR]] [--timeout SECONDS] [--list] [--json OUT]

EXAMPLES_DIR is the ``examples/`` folder of a checkout of argoproj/argo-workflows (e.g.
``git --git-dir=REPO archive HEAD examples | tar -x -C /tmp/argo``); nothing of Argo's is
kept in this repository. Each selected example runs as a new user would run it:
``Workflow.from_yaml(text, templates=EXAMPLES_DIR)`` then ``submit(wait=True)`` on the local
engine, in a fresh working directory and its own process (killed at the timeout).
``--impl pydflow`` runs the same with Dflow's debug mode (``dflow.Workflow.from_yaml``, then
``submit()``; pydflow 1.8.134 in ``benchmarks/.venv-pydflow``, made by ``run.ensure_venv``).

Which examples count (``--list`` prints every file with its class and reason):

* **documented outcome** -- a ``kind: Workflow`` document that Argo's e2e suite submits (no
  ``workflows.argoproj.io/no-test`` label), which Argo requires to end Succeeded; or one of
  the labelled examples whose outcome Argo states (``OUTCOMES``: its expected-failure tests
  and the timeouts documentation). Examples whose outcome is random (a script draws a random
  number: coin flips, retries of a randomly failing step) are left out.
* **host-runnable** (class ``H``) -- every container/script image is one whose command the
  local engine runs as the same command on the host (``HOST_IMAGES``: busybox, alpine,
  python, argosay for ``echo``), and no template needs what only a cluster or an emulated
  Argo facility gives (``NEEDS``: artifacts, volumes, sidecars, daemons, resource/http/
  plugin/data/suspend/containerSet templates, ConfigMaps, Secrets, memoization, locks).
* class ``T`` -- as H, but it calls WorkflowTemplates/ClusterWorkflowTemplates
  (``templateRef``, ``workflowTemplateRef``): runnable with the template registry, which
  the runner points at EXAMPLES_DIR (its WorkflowTemplate documents).

An example passes when its workflow ends in the expected phase.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import psutil
import yaml
from run import PROJECT, child_command, child_env, ensure_venv, kill_tree

HOST_IMAGES = ("busybox", "alpine", "python", "argoproj/argosay")
OUTCOMES: Dict[str, str] = {
    # labelled no-test (expected-failure or environment); outcomes Argo states for them
    "continue-on-fail.yaml": "Succeeded",
    "dag-continue-on-fail.yaml": "Failed",
    "dag-disable-failFast.yaml": "Failed",
    "dag-task-level-timeout.yaml": "Failed",
    "exit-handlers.yaml": "Failed",
    # a template timeout kills the pod (Kubernetes' activeDeadlineSeconds): the node is Failed,
    # which the step with continueOn.error does not tolerate (workflow/controller/operator.go)
    "step-level-timeout.yaml": "Failed",
    "timeouts-step.yaml": "Failed",
    "timeouts-workflow.yaml": "Failed",
}
NEEDS: Tuple[Tuple[str, str], ...] = (
    (r"^\s*(resource|http|plugin|data|suspend|containerSet):", "a cluster-side template kind"),
    (r"\bartifacts:", "an artifact repository"),
    (r"\b(volumes|volumeClaimTemplates|volumeMounts):", "volumes"),
    (r"\b(sidecars|initContainers):|daemon:\s*true", "sidecars or daemons"),
    (r"configMapKeyRef|secretKeyRef|secretName", "ConfigMaps or Secrets"),
    (r"\bmemoize:|\bsynchronization:", "memoization or locks"),
)
RANDOM = re.compile(r"\brandom\b|\$RANDOM")
TEMPLATE_REFS = re.compile(r"\b(templateRef|workflowTemplateRef):")


@dataclass(frozen=True)
class Example:
    """One Workflow document of Argo's examples and what the runner makes of it."""

    name: str                # path under EXAMPLES_DIR
    cls: str                 # H, T, or "-" (left out)
    expected: Optional[str]  # the workflow phase Argo documents; None: none documented
    reason: str              # why it is left out ("" when it runs)


def classify(name: str, text: str, doc: Dict[str, Any]) -> Example:
    """The class and expected outcome of one Workflow document (see the module docstring)."""
    labels = (doc.get("metadata") or {}).get("labels") or {}
    base = os.path.basename(name)
    expected = OUTCOMES.get(base) if "workflows.argoproj.io/no-test" in labels else "Succeeded"
    if expected is None:
        return Example(name, "-", None, "no-test label, no documented outcome")
    if RANDOM.search(text) and "retryStrategy" in text:
        return Example(name, "-", None, "random outcome (retries of a randomly failing step)")
    images = set(re.findall(r"^\s*image:\s*['\"]?([^\s'\"]+)", text, re.M))
    foreign = sorted(i for i in images if not i.split(":")[0].startswith(HOST_IMAGES))
    if foreign:
        return Example(name, "-", expected, "image " + ", ".join(foreign))
    for pattern, what in NEEDS:
        if re.search(pattern, text, re.M):
            return Example(name, "-", expected, "needs " + what)
    return Example(name, "T" if TEMPLATE_REFS.search(text) else "H", expected, "")


def find_examples(root: str) -> List[Example]:
    """Every Workflow document under ``root``, classified."""
    found = []
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(dirpath, f)
            text = open(path, encoding="utf-8").read()
            try:
                docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
            except yaml.YAMLError:
                continue
            for doc in docs:
                if doc.get("kind") == "Workflow":
                    found.append(classify(os.path.relpath(path, root), text, doc))
    return sorted(found, key=lambda e: e.name)


CHILD = """
import json, sys
from dflow_nb import Workflow, config
config["mode"] = "debug"
config["debug_workdir"] = "."
text = open(sys.argv[1], encoding="utf-8").read()
try:
    try:
        wf = Workflow.from_yaml(text, templates=sys.argv[2])
    except TypeError:   # a dflow_nb without the template registry (to measure it)
        wf = Workflow.from_yaml(text)
    record = wf.submit(wait=True)
    out = {"phase": record.phase, "message": record.message or ""}
except Exception as exc:
    out = {"phase": "refused", "message": "%s: %s" % (type(exc).__name__, exc)}
print("RESULT " + json.dumps(out))
"""

PYDFLOW_CHILD = """
import json, sys
from dflow import Workflow, config
config["mode"] = "debug"
out = {"message": ""}
try:
    wf = Workflow.from_yaml(open(sys.argv[1], encoding="utf-8").read())
except Exception as exc:
    print("RESULT " + json.dumps({"phase": "refused", "message": "%s: %s" % (type(exc).__name__, exc)}))
    sys.exit()
try:
    wf.submit()
except Exception as exc:
    out["message"] = "%s: %s" % (type(exc).__name__, exc)
try:
    out["phase"] = wf.query_status()
except Exception as exc:
    out["phase"] = "crashed"
print("RESULT " + json.dumps(out))
"""


def run_example(root: str, ex: Example, timeout: float, impl: str = "dflow_nb"
                ) -> Dict[str, Any]:
    """Load and run one example in a fresh directory and process; its phase and message."""
    tmp = tempfile.mkdtemp(prefix="argo-example-")
    env = dict(child_env(impl), PYTHONUNBUFFERED="1",
               PYTHONPATH=PROJECT if impl == "dflow_nb" else "")
    t0 = time.perf_counter()
    child = CHILD if impl == "dflow_nb" else PYDFLOW_CHILD
    popen = subprocess.Popen(child_command(impl) + ["-c", child, os.path.join(root, ex.name), root],
                             cwd=tmp, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        out, _ = popen.communicate(timeout=timeout)
        lines = [ln for ln in out.decode(errors="replace").splitlines()
                 if ln.startswith("RESULT ")]
        res = json.loads(lines[-1][7:]) if lines else \
            {"phase": "crashed", "message": out.decode(errors="replace")[-300:]}
    except subprocess.TimeoutExpired:
        res = {"phase": "timeout", "message": f"still running after {timeout:g}s"}
    finally:
        if popen.poll() is None:
            kill_tree(psutil.Process(popen.pid))
            popen.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    res.update(example=ex.name, cls=ex.cls, expected=ex.expected,
               wall=time.perf_counter() - t0, ok=res["phase"] == ex.expected)
    return res


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("examples", help="the examples/ folder of an argo-workflows checkout")
    p.add_argument("--impl", choices=("dflow_nb", "pydflow"), default="dflow_nb")
    p.add_argument("--only", default="", help="comma-separated substrings of example paths")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per example")
    p.add_argument("--list", action="store_true", help="print the classification and exit")
    p.add_argument("--json", help="write the results to this file")
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    root = os.path.abspath(args.examples)
    if not os.path.isdir(root):
        raise SystemExit(f"{args.examples}: not a directory (give the examples/ folder of a "
                         "checkout of argoproj/argo-workflows)")
    examples = find_examples(root)
    if args.list:
        for ex in examples:
            print(f"{ex.cls}  {ex.name:70} {ex.expected or '-':10} {ex.reason}")
        return 0
    only = [s for s in args.only.split(",") if s]
    chosen = [ex for ex in examples if ex.cls != "-"
              and (not only or any(s in ex.name for s in only))]
    if args.impl == "pydflow":
        ensure_venv()
    results = []
    print("| example | class | expected | got | s | |")
    print("|---|---|---|---|---:|---|")
    for ex in chosen:
        res = run_example(root, ex, args.timeout, args.impl)
        results.append(res)
        note = "" if res["ok"] else res["message"].replace("\n", " ").replace("|", "/")[:110]
        print(f"| {ex.name} | {ex.cls} | {ex.expected} | {res['phase']}"
              f"{'' if res['ok'] else ' ✗'} | {res['wall']:.1f} | {note} |", flush=True)
    for cls in ("H", "T"):
        of = [r for r in results if r["cls"] == cls]
        if of:
            print(f"class {cls}: {sum(r['ok'] for r in of)} of {len(of)} end as Argo documents")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Hand-written Argo manifests run on the local engine with Argo's outcomes.

Each file in ``manifests/`` holds two YAML documents: the Workflow, and what Argo gives for it
(workflow phase; per node, found by display name: phase, type, result, message, outputs; nodes
that must not exist; counts; ordering; global outputs). The expectations were derived from
Argo's rules in SEMANTICS.md, not from what the engine does.
"""
from pathlib import Path

import pytest
import yaml

from dflow_nb import Workflow

MANIFESTS = sorted((Path(__file__).parent / "manifests").glob("*.yaml"))


def _load(path):
    manifest, expect = list(yaml.safe_load_all(path.read_text()))
    return manifest, expect


def test_there_are_at_least_30_manifests():
    assert len(MANIFESTS) >= 30


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.stem for p in MANIFESTS])
def test_manifest_is_valid(path, validate_manifest):
    manifest, _ = _load(path)
    validate_manifest(manifest)


def _outputs(node):
    return {p["name"]: p["value"] for p in node.raw_outputs.get("parameters") or []}


def _matches(node, want):
    for field, value in want.items():
        if field == "result":
            if node.raw_outputs.get("result") != value:
                return f"result {node.raw_outputs.get('result')!r} != {value!r}"
        elif field == "message":
            if value not in (node.message or ""):
                return f"message {node.message!r} lacks {value!r}"
        elif field == "outputs":
            got = _outputs(node)
            for k, v in value.items():
                if got.get(k) != v:
                    return f"output {k} = {got.get(k)!r}, expected {v!r}"
        elif getattr(node, field) != value:
            return f"{field} {getattr(node, field)!r} != {value!r}"
    return None


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.stem for p in MANIFESTS])
def test_manifest_runs_locally_as_on_argo(path):
    manifest, expect = _load(path)
    wf = Workflow.from_dict(manifest)
    record = wf.submit(wait=True)
    nodes = wf.query_nodes()
    table = "\n".join(f"  {n.displayName:30} {n.type:10} {n.phase:10} {n.message or ''}"
                      for n in nodes)
    assert record.phase == expect["phase"], f"workflow {record.phase}: {record.message}\n{table}"
    for display, want in (expect.get("nodes") or {}).items():
        candidates = [n for n in nodes if n.displayName == display]
        assert candidates, f"no node {display!r}\n{table}"
        problems = [_matches(n, want) for n in candidates]
        assert None in problems, f"node {display!r}: {problems}\n{table}"
    for display in expect.get("absent") or []:
        assert not [n for n in nodes if n.displayName == display], f"{display!r} ran\n{table}"
    for key, n in (expect.get("count") or {}).items():
        found = [x for x in nodes if (x.displayName.startswith(key) if key.endswith("(")
                                      else x.displayName == key)]
        assert len(found) == n, f"{len(found)} nodes {key!r}, expected {n}\n{table}"
    for before, after in expect.get("order") or []:
        a = next(n for n in nodes if n.displayName == before)
        b = next(n for n in nodes if n.displayName == after)
        assert a.finishedAt <= b.startedAt, f"{before} must finish before {after} starts"
    if "exit_result" in expect:
        exits = [n for n in nodes if n.displayName.endswith(".onExit")]
        assert exits and exits[0].raw_outputs.get("result") == expect["exit_result"], table
    for name, value in (expect.get("global") or {}).items():
        got = {k: p.raw if hasattr(p, "raw") else p
               for k, p in record.outputs.parameters.items()}
        assert got.get(name) == value

"""``%dflow debug WF STEP``: re-run one Python OP step inside the kernel with its recorded inputs.

The OP runs through ``dflow_nb.python.op_runner.run_op`` (the very code path the engine's workers
use), in this process, so its exception surfaces with a real traceback, ``%debug`` opens at the
failing line and breakpoints work. Inputs are the step's recorded ones: parameter texts from
``<step dir>/inputs/parameters/<name>`` and the artifacts the engine placed under
``<step dir>/inputs/artifacts/<name>``. It writes only below ``<step dir>/debug/``.

The OP comes from the Workflow object the notebook built, or else the model the engine kept
(``Workflow.model()``); a sliced step gets the slice index its node name records.

On Argo the step's inputs come from the cluster: parameter texts from the node's recorded
``inputs`` in ``status.nodes`` (the slice from its ``dflow_slice`` parameter), and input artifacts
downloaded from the artifact repository by the S3 keys Argo recorded on the node
(``dflow_nb.storage``), placed as Argo places them (a ``.tgz`` with one top entry becomes the
artifact). It writes only below ``<debug_workdir>/.dflow-nb-debug/<run>/<node>/``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.step import Step, Template
from dflow_nb.notebook.graph import loop_base
from dflow_nb.python.op import AnyOP
from dflow_nb.python.op_runner import OPCall, SliceSpec, run_op

_SLICE = re.compile(r"^(?P<base>.*)\((?P<j>\d+):(?P<desc>.*)\)(\(\d+\))?$", re.S)


class DebugError(LookupError):
    """The step cannot be re-run here (no Python OP, no recorded inputs, no stored model)."""


def stored_model(workflow: Workflow) -> Workflow:
    """The Workflow model a run started from: the notebook's own object if it has templates,
    else the copy the engine kept (``Workflow.model()``)."""
    try:
        return workflow.model()
    except LookupError as exc:
        raise DebugError(str(exc)) from None


def walk_steps(container: Optional[Template], seen: Set[int]) -> Iterator[Step]:
    """Every Step/Task of a model, nested templates included."""
    if not isinstance(container, CompositeTemplate) or id(container) in seen:
        return
    seen.add(id(container))
    for step in container.children():
        yield step
        yield from walk_steps(step.template, seen)


def find_step(model: Workflow, step: StepRecord) -> Tuple[Step, Template]:
    """The model's Step and template behind a record: by template and step name, else by
    template name, else by step name (a model built again names its templates anew)."""
    seen: Set[int] = set()
    roots = [model.entrypoint, model.on_exit]
    base = loop_base(step.displayName)
    names = {step.displayName, base[0] if base else None}
    by_template: Optional[Tuple[Step, Template]] = None
    by_name: Optional[Tuple[Step, Template]] = None
    for root in roots:
        for s in walk_steps(root, seen):
            if getattr(s.template, "name", None) == step.templateName:
                if s.name in names:
                    return s, s.template
                by_template = by_template or (s, s.template)
            elif s.name in names:
                by_name = by_name or (s, s.template)
    fallback = by_template or by_name
    if fallback is None:
        raise DebugError(f"template {step.templateName!r} of step {step.displayName!r} is not "
                         "in the stored workflow model")
    return fallback


def argo_backend(workflow: Workflow) -> Any:
    """The workflow's Argo backend (one that can read raw nodes), or None for a local run."""
    backend = workflow.backend
    return backend if backend.kind == "argo" else None


def leaf_of(workflow: Workflow, step: StepRecord) -> StepRecord:
    """The record that ran: the step itself, or the last attempt under a Retry node."""
    if step.dir:
        return step
    on_argo = argo_backend(workflow) is not None
    if on_argo and step.type == "Pod":
        return step
    tried = [n for n in workflow.query_nodes() if n.parentID == step.id
             and (n.dir or (on_argo and n.type == "Pod"))]
    if not tried:
        raise DebugError(f"step {step.displayName!r} ({step.type}) ran no container: name a "
                         "step that ran (a Pod, or its Retry node)")
    return sorted(tried, key=lambda n: (n.startedAt or 0, n.seq))[-1]


def recorded_parameters(step: StepRecord) -> Dict[str, str]:
    """Parameter texts as the step received them."""
    root = Path(step.dir) / "inputs" / "parameters" if step.dir else None
    if root is not None and root.is_dir():
        return {p.name: p.read_text() for p in sorted(root.iterdir()) if p.is_file()}
    return {k: p.raw if p.raw is not None else p.value for k, p in step.inputs.parameters.items()}


def slice_spec(step_obj: Step, record: StepRecord, params: Dict[str, str]) -> Optional[SliceSpec]:
    """The slice a loop item ran (index from its node name ``name(j:item)``)."""
    recorded = Path(record.dir or ".") / "slice.json"
    if recorded.is_file():   # the engine records the exact slice it ran
        return SliceSpec(**json.loads(recorded.read_text()))
    sl = getattr(step_obj, "slices", None)
    if sl is None:
        return None
    m = _SLICE.match(record.displayName)
    if m is None:
        return None
    if getattr(sl, "shuffle", False):
        raise DebugError("this step's slices are shuffled; its slice cannot be re-run exactly")
    j, desc = int(m.group("j")), m.group("desc")
    index: Any = j
    if sl.slices == "{{item}}":
        try:
            index = int(json.loads(desc))
        except (ValueError, TypeError):
            index = j
    if sl.group_size:
        g = sl.group_size
        size = None
        for name in sl.input_parameter:
            try:
                size = len(json.loads(params.get(name, "")))
                break
            except (ValueError, TypeError):
                continue
        index = [i for i in range(j * g, (j + 1) * g) if size is None or i < size]
    return SliceSpec(index=index, input_parameter=sl.input_parameter,
                     input_artifact=sl.input_artifact, output_parameter=sl.output_parameter,
                     output_artifact=sl.output_artifact, pool_size=None,
                     create_dir=sl.create_dir)


def choose_step(steps: List[StepRecord], ref: str) -> StepRecord:
    """The step to re-run among those a name matched (``%dflow debug``, ``dflow-nb debug``):
    the first that failed, else the only one that ran."""
    ran = [s for s in steps if s.type in ("Pod", "Retry")]
    failed = [s for s in ran if s.phase in ("Failed", "Error")]
    if failed:
        return failed[0]
    if len(ran) == 1:
        return ran[0]
    names = ", ".join(s.displayName for s in ran[:8]) or "none that ran"
    raise DebugError(f"{ref!r} matches {len(ran)} steps and none failed; name one: {names}")


def prepare(workflow: Workflow, step: StepRecord) -> Tuple[AnyOP, OPCall]:
    """The OP and the call that re-runs ``step`` as it ran (nothing runs yet)."""
    record = leaf_of(workflow, step)
    model = stored_model(workflow)
    step_obj, tmpl = find_step(model, record)
    op = getattr(tmpl, "op", None)
    backend = argo_backend(workflow)
    if op is None:
        where = f"its script and log are in {record.dir}" if record.dir else \
            "re-running needs the OP's Python code: name the Workflow variable this notebook " \
            "built and submitted (a run loaded back from Argo holds only its script)"
        raise DebugError(f"step {record.displayName!r} runs a {type(tmpl).__name__}, not a "
                         f"Python OP; {where}")
    if backend is not None:
        return op, argo_call(workflow, backend, record, tmpl)
    assert record.dir is not None   # leaf_of gives a local run's records that have a directory
    params = recorded_parameters(record)
    arts: Dict[str, Optional[str]] = {}
    for name in tmpl.inputs.artifacts:
        placed = Path(record.dir) / "inputs" / "artifacts" / name
        arts[name] = str(placed) if placed.exists() else None
    scratch = Path(record.dir) / "debug"
    shutil.rmtree(scratch, ignore_errors=True)
    call = OPCall(step=record.displayName, parameters=params, artifacts=arts,
                  workdir=str(scratch / "workdir"), outputs=str(scratch / "outputs"),
                  slice=slice_spec(step_obj, record, params), key=record.key,
                  workflow_name=workflow.id)
    return op, call


def rerun(op: AnyOP, call: OPCall) -> Dict[str, str]:
    """Run the OP here; its exceptions propagate untouched (``%debug`` works on them)."""
    cwd = os.getcwd()
    try:
        return run_op(op, call)
    finally:
        os.chdir(cwd)


def raw_node(backend: Any, wf_id: str, node_id: str) -> Dict[str, Any]:
    """One node of an Argo run as the server recorded it (inputs with their S3 keys)."""
    wf = backend.get(wf_id, fields="metadata.name,status.nodes")
    node = ((wf.get("status") or {}).get("nodes") or {}).get(node_id)
    if node is None:
        raise DebugError(f"run {wf_id} has no node {node_id!r} on the Argo server")
    return node


def fetch_artifact(storage: Any, key: str, dest: Path) -> Path:
    """Place one input artifact as Argo does: a ``.tgz`` is extracted (one top entry becomes
    ``dest``), a prefix becomes a directory, a single object a file."""
    from dflow_nb.storage import download_tree, extract_as_artifact
    dest.parent.mkdir(parents=True, exist_ok=True)
    if key.endswith((".tgz", ".tar.gz")):
        tgz = dest.parent / (dest.name + ".download.tgz")
        storage.download(key, str(tgz))
        try:
            return extract_as_artifact(tgz, dest)
        finally:
            tgz.unlink(missing_ok=True)
    download_tree(storage, key, dest)
    return dest


def argo_call(workflow: Workflow, backend: Any, record: StepRecord, tmpl: Template) -> OPCall:
    """The call that re-runs an Argo Pod node here: its recorded parameter texts, its input
    artifacts fetched from S3 by the keys on the node, its slice from ``dflow_slice``."""
    node = raw_node(backend, record.workflow, record.id)
    inputs = node.get("inputs") or {}
    raw = {p["name"]: p.get("value", p.get("default")) for p in inputs.get("parameters") or []}
    declared = list(tmpl.inputs.parameters)
    missing = [n for n in declared if raw.get(n) is None]
    if missing:
        raise DebugError(f"Argo recorded no value for input parameter(s) {', '.join(missing)} of "
                         f"{record.displayName!r}")
    params = {n: str(raw[n]) for n in declared}
    spec: Optional[SliceSpec] = None
    if raw.get("dflow_slice"):
        try:
            spec = SliceSpec(**json.loads(str(raw["dflow_slice"])))
        except (ValueError, TypeError) as exc:
            raise DebugError(f"cannot read the slice Argo recorded ({exc})") from None
    scratch = Path(workflow.workdir).resolve() / ".dflow-nb-debug" / record.workflow / record.id
    shutil.rmtree(scratch, ignore_errors=True)
    recorded = {a["name"]: a for a in inputs.get("artifacts") or []}
    arts: Dict[str, Optional[str]] = {}
    storage = None
    for name in tmpl.inputs.artifacts:
        entry = recorded.get(name) or {}
        key = (entry.get("s3") or {}).get("key")
        if not key:
            if entry and set(entry) - {"name", "path", "optional", "s3", "archive", "mode"}:
                raise DebugError(f"input artifact {name!r} of {record.displayName!r} is not in "
                                 "S3 (only S3 artifacts can be fetched)")
            arts[name] = None
            continue
        if storage is None:
            from dflow_nb.storage import client_from_config
            storage = getattr(backend, "storage", None) or client_from_config()
        arts[name] = str(fetch_artifact(storage, key, scratch / "inputs" / "artifacts" / name))
    return OPCall(step=record.displayName, parameters=params, artifacts=arts,
                  workdir=str(scratch / "workdir"), outputs=str(scratch / "outputs"),
                  slice=spec, key=record.key, workflow_name=workflow.id)

"""What the engine passes around: local artifacts, node results, Argo's loop aggregation."""
from __future__ import annotations

import errno
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from dflow_nb.errors import DflowNbError
from dflow_nb.python.op_runner import SliceSpec

if TYPE_CHECKING:
    from dflow_nb.model.step import Template

FAILED = ("Failed", "Error")
RESULT_LIMIT = 256 * 1024

Scope = Dict[str, Any]   # what ``{{...}}`` tags and expressions see: text, artifacts, loop items
# A leaf's slice; every slice of a loop when one leaf runs them all (merge_sliced_step).
SliceArg = Union[SliceSpec, List[SliceSpec], None]


class StepError(DflowNbError):
    """A node that cannot run as written (bad argument, unresolvable reference...)."""


def os_error_message(exc: OSError, near: Optional[str] = None) -> str:
    """An OSError as a node's message: a full disk says so, and where (the file, else the
    directory ``near`` which the failed write was made from)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f": cannot write {exc.filename}" if exc.filename else \
            f" while writing from {near}" if near else ""
        return f"disk full{where} ({exc.strerror})"
    return str(exc)


@dataclass(frozen=True)
class Art:
    """An artifact on the local filesystem: one path, or several merged in order (loops)."""

    parts: Tuple[str, ...]
    select: Optional[Tuple[int, ...]] = None   # only these items (a slice of a fan-out)

    def __str__(self) -> str:
        return self.parts[0] if len(self.parts) == 1 else json.dumps(list(self.parts))


@dataclass
class Result:
    phase: str
    message: Optional[str] = None
    parameters: Dict[str, str] = field(default_factory=dict)
    artifacts: Dict[str, Optional[Art]] = field(default_factory=dict)
    result: Optional[str] = None
    exit_code: Optional[str] = None
    node_id: str = ""
    continue_ok: bool = False   # failed, but the step had continueOn for this phase
    children_phases: Optional[List[str]] = None   # loops: each item's phase
    outbound: List[str] = field(default_factory=list)   # node ids a next step hangs under
    failed_child: str = ""   # a loop (it has no node of its own): its first failed item's node
    all_parameters: Optional[str] = None   # loops: ``outputs.parameters``, one map per item

    @property
    def ok(self) -> bool:
        return self.phase not in FAILED or self.continue_ok

    def child_failed(self) -> str:
        """Argo's message for the parent of this failed child: ``child '<node id>' failed``."""
        return f"child '{self.node_id or self.failed_child}' failed"


def json_or_str(text: Optional[str]) -> Any:
    """A recorded value as JSON if it parses, else as the text it is."""
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return text


def aggregate(values: List[Optional[str]]) -> str:
    """Argo's loop aggregate: JSON lists/maps embed as JSON, anything else as strings."""
    present = [v for v in values if v is not None]
    parsed = [json_or_str(v) for v in present]
    if present and all(isinstance(p, (list, dict)) for p in parsed):
        return json.dumps(parsed, separators=(",", ":"))
    return json.dumps(present, separators=(",", ":"))  # Go's json.Marshal: compact


def output_types(tmpl: Template) -> Dict[str, str]:
    """Declared output types; a re-exported parameter has the type of what it re-exports."""
    out = {}
    for k, p in tmpl.outputs.parameters.items():
        tp = p.type if p.type is not None else getattr(p.value_from_parameter, "type", None)
        if tp is not None:
            out[k] = type_name(tp)
    return out


def input_types(tmpl: Template) -> Dict[str, str]:
    """Declared input types, so records give inputs as typed values (as Dflow's do)."""
    return {k: type_name(p.type) for k, p in tmpl.inputs.parameters.items()
            if p.type is not None}


def type_name(tp: Any) -> str:
    """How a declared type is recorded: enough to decode values (str stays text)."""
    from dflow_nb.model.typing_checks import describe_type
    return "str" if tp is str else describe_type(tp)


def input_entries(params: Dict[str, str], types: Dict[str, str],
                  slice_spec: "SliceArg") -> List[Dict[str, Any]]:
    """A node's input parameters as it records them; a slice's own element of a sliced input
    (the engine hands it a one-element list) as that element, the value its OP gets."""
    sliced = slice_spec.input_parameter if isinstance(slice_spec, SliceSpec) and \
        isinstance(slice_spec.index, int) else []
    out = []
    for k, v in params.items():
        if k in sliced:
            try:
                items = json.loads(v)
            except ValueError:
                items = None
            if isinstance(items, list) and len(items) == 1:
                v = items[0] if isinstance(items[0], str) else json.dumps(items[0])
        out.append(param_entry(k, v, types.get(k)))
    return out


def param_entry(name: str, value: str, type_: Optional[str]) -> Dict[str, Any]:
    """An output parameter as a node records it (with its declared type, if any)."""
    entry: Dict[str, Any] = {"name": name, "value": value}
    if type_ is not None:
        entry["type"] = type_
    return entry


def result_from_outputs(outputs: Dict[str, Any], phase: str, message: Optional[str]) -> Result:
    """A Result from a node's recorded outputs (resumed or reused steps)."""
    params = {p["name"]: p["value"] for p in outputs.get("parameters", [])}
    arts = {a["name"]: Art(tuple(a["path"])) if a.get("path") is not None else None
            for a in outputs.get("artifacts", [])}
    return Result(phase, message, params, arts, outputs.get("result"),
                  outputs.get("exitCode"))

"""Backend-neutral views of a run: what faces read, whichever engine ran the workflow.

A ``StepRecord`` is one Argo-shaped node (``status.nodes[id]``), with Dflow's ``ArgoStep``
conveniences: ``step.outputs.parameters["x"].value`` decoded by the declared type, and
``step.outputs.artifacts["y"]`` usable as another workflow's input (reuse).
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
from dataclasses import dataclass, field, fields
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from dflow_nb.hub._registry import implementation
from dflow_nb.model.serialization import decode, dumps, slice_items, slice_value

if TYPE_CHECKING:
    from dflow_nb.hub.artifacts import LocalArtifact

#: Where an artifact's files are on this machine: one path, or several when merged.
LocalPath = Union[str, List[str], None]


class _Fields(Mapping[str, Any]):
    """A record is also a read-only mapping of its fields, as Dflow's records are dicts:
    ``step["phase"]``, ``step.get("key")``, ``"outputs" in step``, ``dict(step)``."""

    _hidden: ClassVar[FrozenSet[str]] = frozenset()

    def _keys(self) -> List[str]:
        return [f.name for f in fields(self) if f.name not in self._hidden]  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


@dataclass
class ParameterRecord(_Fields):
    """A parameter: ``value`` decoded (by its type; a slice's output is the value its OP
    returned, a stacked output the list of them), ``raw`` the text as recorded."""

    _hidden = frozenset({"slice_order"})

    name: str
    value: Any
    type: Optional[str] = None
    raw: Optional[str] = None
    globalName: Optional[str] = None
    slice_order: Union[int, List[int], None] = None   # a slice's output: its slice number(s)

    @classmethod
    def from_raw(cls, p: Dict[str, Any]) -> "ParameterRecord":
        text, tp = p.get("value"), p.get("type")
        item = slice_value(text)
        if item is not None:
            return cls(p["name"], item[0], tp, text, p.get("globalName"), item[1])
        return cls(p["name"], decode(text, tp), tp, text, p.get("globalName"))

    @property
    def text(self) -> str:
        """The value as a user reads and types it: text as is, anything else as JSON."""
        return self.value if isinstance(self.value, str) else dumps(self.value)

    def set_text(self, text: str) -> str:
        """Take a new value typed as ``text``; returns the text to record (a slice's output
        tagged with its slice number again, so it stacks as before)."""
        given = slice_value(text)
        if given is not None:   # tagged as Dflow writes a slice's output: taken as it is
            self.value, self.slice_order, self.raw = given[0], given[1], text
            return text
        plain = self.type == "str" or (self.type is None and self.slice_order is None)
        value = text if plain else decode(text, self.type or "json")
        self.value = value
        if self.slice_order is not None:
            text = dumps(slice_items(value, self.slice_order))
        self.raw = text
        return text


@dataclass
class ArtifactRecord(_Fields):
    """A produced artifact; locally its files are at ``local_path`` (list if merged)."""

    name: str
    local_path: LocalPath = None
    globalName: Optional[str] = None

    @property
    def paths(self) -> List[str]:
        lp = self.local_path
        return [] if lp is None else [lp] if isinstance(lp, str) else list(lp)


@dataclass
class IORecord(_Fields):
    parameters: Dict[str, ParameterRecord] = field(default_factory=dict)
    artifacts: Dict[str, ArtifactRecord] = field(default_factory=dict)
    result: Optional[str] = None
    exitCode: Optional[str] = None

    @classmethod
    def from_raw(cls, raw: Optional[Dict[str, Any]]) -> "IORecord":
        raw = raw or {}
        params = {p["name"]: ParameterRecord.from_raw(p) for p in raw.get("parameters", [])}
        arts = {}
        for a in raw.get("artifacts", []):
            path = a.get("path")
            if isinstance(path, list) and len(path) == 1:
                path = path[0]
            arts[a["name"]] = ArtifactRecord(a["name"], path, a.get("globalName"))
        return cls(params, arts, raw.get("result"), raw.get("exitCode"))


class LazyIORecord(IORecord):
    """An IORecord parsed on first use: a full read of 10,000 nodes should not decode every
    parameter of every node that nobody looks at (``raw`` may still be its JSON text)."""

    def __init__(self, raw: Union[str, Dict[str, Any], None]) -> None:  # noqa: D107
        self._raw = raw
        self._parsed: Optional[IORecord] = None

    def _io(self) -> IORecord:
        if self._parsed is None:
            raw = self._raw
            self._parsed = IORecord.from_raw(json.loads(raw) if isinstance(raw, str) else raw)
        return self._parsed

    parameters = property(lambda self: self._io().parameters)
    artifacts = property(lambda self: self._io().artifacts)
    result = property(lambda self: self._io().result)
    exitCode = property(lambda self: self._io().exitCode)


@dataclass
class StepRecord(_Fields):
    """One node of a run (Argo's NodeStatus), Dflow ``ArgoStep``-compatible."""

    _hidden = frozenset({"raw_outputs", "seq"})

    id: str
    name: str
    displayName: str
    type: str
    phase: str
    workflow: str
    templateName: Optional[str] = None
    boundaryID: Optional[str] = None
    parentID: Optional[str] = None
    message: Optional[str] = None
    startedAt: Optional[float] = None
    finishedAt: Optional[float] = None
    key: Optional[str] = None
    progress: Optional[str] = None
    inputs: IORecord = field(default_factory=IORecord)
    outputs: IORecord = field(default_factory=IORecord)
    raw_outputs: Dict[str, Any] = field(default_factory=dict, repr=False)
    dir: Optional[str] = None
    seq: int = 0
    dependsOn: List[str] = field(default_factory=list)   # ids this node follows (DAG, groups)
    executor: Optional[Dict[str, Any]] = None   # where an executor ran it (e.g. Slurm job ids)
    children: Optional[List[str]] = None   # Argo's NodeStatus.children (on full reads)
    #: Argo's memoizationStatus (``hit``, ``key``, ``cacheName``): a reused step's outputs
    #: came from an earlier run (``cacheName``: its id, locally), nothing ran
    memoizationStatus: Optional[Dict[str, Any]] = None

    @classmethod
    def from_node(cls, wf: str, n: Dict[str, Any]) -> "StepRecord":
        return cls(id=n["id"], name=n["name"], displayName=n["display_name"], type=n["type"],
                   phase=n["phase"], workflow=wf, templateName=n.get("template"),
                   boundaryID=n.get("boundary_id"), parentID=n.get("parent_id"),
                   message=n.get("message"), startedAt=n.get("started_at"),
                   finishedAt=n.get("finished_at"), key=n.get("key"), progress=n.get("progress"),
                   inputs=LazyIORecord(n.get("inputs")),
                   outputs=LazyIORecord(n.get("outputs")),
                   raw_outputs=dict(n.get("outputs") or {}), dir=n.get("dir"),
                   seq=n.get("seq") or 0, dependsOn=list(n.get("depends_on") or []),
                   executor=n.get("executor"), memoizationStatus=n.get("memoization"))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, Any]:
        return implementation("display.step")(self)

    @property
    def reused(self) -> bool:
        """The step's outputs were reused (``reuse_step``, Argo's memoization), not made."""
        return bool((self.memoizationStatus or {}).get("hit"))

    @property
    def duration(self) -> Optional[float]:
        if self.startedAt is None or self.finishedAt is None:
            return None
        return self.finishedAt - self.startedAt

    def modify_output_parameter(self, name: str, value: Any) -> None:
        """Change an output before reusing this step (``submit(reuse_step=[...])``)."""
        if name not in self.outputs.parameters:
            raise KeyError(f"step {self.displayName!r} has no output parameter {name!r} "
                           f"(it has: {', '.join(self.outputs.parameters) or 'none'})")
        rec = self.outputs.parameters[name]
        text = rec.set_text(value if isinstance(value, str) else dumps(value))
        if rec.type is None and rec.slice_order is None:
            rec.value = value   # untyped: kept as given
        for p in self.raw_outputs.setdefault("parameters", []):
            if p["name"] == name:
                p["value"] = text

    def modify_output_artifact(self, name: str, artifact: Union[
            "LocalArtifact", ArtifactRecord, str, os.PathLike, Sequence[str]]) -> None:
        """Point an output artifact elsewhere before reusing this step."""
        if name not in self.outputs.artifacts:
            raise KeyError(f"step {self.displayName!r} has no output artifact {name!r} "
                           f"(it has: {', '.join(self.outputs.artifacts) or 'none'})")
        path = getattr(artifact, "local_path", artifact)
        paths = [str(path)] if isinstance(path, (str, bytes)) or not hasattr(path, "__iter__") \
            else [str(p) for p in path]
        self.outputs.artifacts[name].local_path = paths[0] if len(paths) == 1 else paths
        for a in self.raw_outputs.setdefault("artifacts", []):
            if a["name"] == name:
                a["path"] = paths


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while many records are built: they hold no cycles, and
    100,000 of them would otherwise set off collections that walk every object so far (60 %
    of reading a 100,000-slice run). Left alone if something else turned it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def wire_children(nodes: List["StepRecord"]) -> None:
    """Fill Argo's ``children``: a node hangs under what it follows, else under its parent."""
    children: Dict[str, List[str]] = {n.id: [] for n in nodes}
    for n in nodes:
        for up in (n.dependsOn or ([n.parentID] if n.parentID else [])):
            if up in children:
                children[up].append(n.id)
    for n in nodes:
        n.children = children[n.id]


@dataclass
class WorkflowRecord(_Fields):
    """A run's summary: phase, timing and global outputs."""

    id: str
    name: str
    phase: str
    message: Optional[str] = None
    createdAt: Optional[float] = None
    startedAt: Optional[float] = None
    finishedAt: Optional[float] = None
    dir: Optional[str] = None
    outputs: IORecord = field(default_factory=IORecord)
    labels: Dict[str, str] = field(default_factory=dict)

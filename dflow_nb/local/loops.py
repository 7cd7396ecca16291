"""Loops and slices: the items a step fans out over, how its slices group, each slice's own
inputs, and how the items' results combine into the step's (Argo's aggregation)."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.expressions import render
from dflow_nb.local.arguments import argument, item_scope, resolve_artifact
from dflow_nb.local.results import FAILED, Art, Result, Scope, StepError, aggregate, json_or_str
from dflow_nb.model.references import ArgoSequence, ArgoVar
from dflow_nb.model.serialization import dumps
from dflow_nb.model.step import Step
from dflow_nb.python.op_runner import SliceSpec
from dflow_nb.python.python_op_template import PythonOPTemplate, Slices, slice_groups

# A slice's own arguments: its elements of each sliced parameter and its items of each artifact.
SlicedInputs = Tuple[Dict[str, str], Dict[str, Optional[Art]]]


def loop_items(step: Step, scope: Scope) -> Optional[List[Any]]:
    """What the step loops over (withItems, withParam, withSequence, or its slices), or None."""
    if step.with_items is not None:
        return list(step.with_items)
    if step.with_param is not None:
        wp = step.with_param
        if isinstance(wp, (list, tuple)):
            return list(wp)
        text = render(str(wp), scope)
        try:
            items = json.loads(text)
        except ValueError:
            raise StepError(f"withParam value could not be parsed as a JSON list: {text[:200]}")
        if not isinstance(items, list):
            raise StepError(f"withParam value could not be parsed as a JSON list: {text[:200]}")
        return items
    if step.with_sequence is not None:
        return sequence(step.with_sequence, scope)
    sl = step.slices
    if sl is not None and isinstance(step.template, PythonOPTemplate):
        if sl.input_parameter:
            first = step.parameters.get(sl.input_parameter[0])
            values = json.loads(argument(first, scope)) if first is not None else []
            return list(range(len(values)))
        if sl.input_artifact:
            from dflow_nb.python.catalog import read_catalog
            art = resolve_artifact(step.artifacts.get(sl.input_artifact[0]), scope)
            count = sum(len(read_catalog(p) or os.listdir(p)) if os.path.isdir(p) else 1
                        for p in (art.parts if art else ()))
            return list(range(count))
    return None


def sequence(seq: ArgoSequence, scope: Scope) -> List[str]:
    """Argo's withSequence: ``count`` or ``start``..``end`` (either way), each ``format``-ted."""
    def num(v: Any) -> Optional[int]:
        if v is None:
            return None
        text = str(v) if isinstance(v, ArgoVar) else v
        return int(render(text, scope) if isinstance(text, str) else text)
    count, start, end = num(seq.count), num(seq.start) or 0, num(seq.end)
    if count is not None:
        values = list(range(start, start + count))
    elif end is not None:
        values = list(range(start, end + 1)) if end >= start else list(range(start, end - 1, -1))
    else:
        values = []
    fmt = seq.format
    return [(fmt % v) if fmt else str(v) for v in values]


def slice_plan(sl: Slices, items: List[Any], scope: Scope) -> Tuple[List[Any], List[SliceSpec]]:
    """The loop's items and each child's slice: the slices expression per item, grouped by
    group_size (then one child per group)."""
    def index_of(item: Any) -> Any:
        text = render(sl.slices, item_scope(scope, item))
        try:
            return json.loads(text)
        except ValueError:
            raise StepError(f"slices expression {sl.slices!r} gave {text!r}, not an index")

    indices = [index_of(it) for it in items]
    chosen: List[Any] = indices
    if sl.group_size:
        chosen = slice_groups(indices, sl.group_size, sl.shuffle, sl.random_seed)
        items = list(range(len(chosen)))
    specs = [SliceSpec(index=c, input_parameter=sl.input_parameter,
                       input_artifact=sl.input_artifact, output_parameter=sl.output_parameter,
                       output_artifact=sl.output_artifact, pool_size=sl.pool_size,
                       create_dir=sl.create_dir) for c in chosen]
    return items, specs


def sliced_inputs(step: Step, sl: Slices, specs: List[SliceSpec], scope: Scope
                  ) -> List[SlicedInputs]:
    """Each slice's own elements, computed once for the whole fan-out.

    Argo hands every slice the whole list and lets it pick; here each slice gets only its
    elements (and only its items of a sliced artifact), so a fan-out of n costs O(n),
    not O(n^2). The spec's ``index`` becomes local and ``order`` keeps the slice number.
    """
    from dflow_nb.python.op_runner import parse_parameter
    lists = {}
    for k in sl.input_parameter:
        if k in step.parameters:
            text = argument(step.parameters[k], scope)
            lists[k] = parse_parameter(text, list, f"{step.name}, sliced input {k!r}")
            if not isinstance(lists[k], list):
                raise StepError(f"sliced input parameter {k!r} must be a list, given {text[:80]}")
    arts = {k: resolve_artifact(step.artifacts[k], scope)
            for k in sl.input_artifact if k in step.artifacts}
    out = []
    for spec in specs:
        wanted = spec.index if isinstance(spec.index, list) else [spec.index]
        for k, values in lists.items():
            for i in wanted:
                if not 0 <= i < len(values):
                    raise StepError(f"slice {i} of input {k!r} is out of range "
                                    f"(the list has {len(values)} items)")
        params = {k: dumps([values[i] for i in wanted]) for k, values in lists.items()}
        sliced_arts = {k: Art(a.parts[:1], tuple(wanted)) if a is not None else None
                       for k, a in arts.items()}
        spec.order = spec.index
        spec.index = list(range(len(wanted))) if isinstance(spec.index, list) else 0
        out.append((params, sliced_arts))
    return out


@dataclass(frozen=True)
class SuccessVerdict:
    """How many items of a success-counted loop succeeded, of how many, and how many must."""

    succeeded: int
    total: int
    needed: int

    @property
    def passed(self) -> bool:
        return self.succeeded >= self.needed

    @property
    def message(self) -> str:
        return f"{self.succeeded} of {self.total} succeeded, {self.needed} needed"


def success_verdict(step: Step, phases: List[str]) -> Optional[SuccessVerdict]:
    """The count behind ``continue_on_num_success``/``continue_on_success_ratio``, else None."""
    ratio = step.continue_on_success_ratio
    if step.continue_on_num_success is None and ratio is None:
        return None
    needed = step.continue_on_num_success if step.continue_on_num_success is not None else \
        math.ceil((ratio or 0) * len(phases))
    return SuccessVerdict(sum(p == "Succeeded" for p in phases), len(phases), needed)


def loop_result(step: Step, results: List[Result]) -> Result:
    """The loop's own result: its phase (continueOn thresholds included) and its outputs
    aggregated over the items that succeeded, as Argo aggregates them."""
    ok = [r for r in results if r.phase == "Succeeded"]
    failed = [r for r in results if r.phase in FAILED and not r.continue_ok]
    phase, message = "Succeeded", None
    first_failed = next((r.node_id for r in results if r.phase in FAILED), "")
    verdict = success_verdict(step, [r.phase for r in results])
    if verdict is not None:
        if not verdict.passed:
            phase, message = "Failed", verdict.message
    elif failed:
        phase, message = failed[0].phase, failed[0].child_failed()
    params: Dict[str, str] = {}
    for p in step.template.outputs.parameters:
        params[p] = aggregate([r.parameters.get(p) for r in ok])
    # Dflow stacks a sliced step's output artifacts into one, an empty one for no slices.
    stacked = step.slices.output_artifact if step.slices is not None and \
        isinstance(step.template, PythonOPTemplate) else []
    arts: Dict[str, Optional[Art]] = {}
    for a in step.template.outputs.artifacts:
        parts = tuple(pp for r in ok for art in [r.artifacts.get(a)] if art for pp in art.parts)
        arts[a] = Art(parts) if parts or a in stacked else None
    result = None
    if any(r.result is not None for r in ok):
        result = json.dumps([json_or_str(r.result) for r in ok])
    # Argo: {{steps.X.outputs.parameters}} is the JSON list of each item's {name: value}
    per_item = [r.parameters for r in ok if r.parameters]
    return Result(phase, message, params, arts, result,
                  children_phases=[r.phase for r in results],
                  outbound=[o for r in results for o in r.outbound], failed_child=first_failed,
                  all_parameters=json.dumps(per_item, separators=(",", ":")))

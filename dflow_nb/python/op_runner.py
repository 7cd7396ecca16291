"""Run one OP against files: read inputs, call ``execute``, write outputs.

This is the one code path for Python OPs: the local engine's workers call it, and so does the
script a compiled Argo template runs in its container. Parameters arrive as Argo text, artifacts
as placed paths; outputs are written under ``outputs/parameters`` and ``outputs/artifacts``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from dflow_nb.model.serialization import (
    declared_classes,
    dumps,
    loads,
    slice_items,
    unwrap_sliced,
)
from dflow_nb.model.typing_checks import describe_type, list_of
from dflow_nb.python._files import make_dir, write_text
from dflow_nb.python.catalog import load_input, save_output
from dflow_nb.python.op import OP, AnyOP, check_signature
from dflow_nb.python.opio import OPIO, Artifact, Parameter


@dataclass
class SliceSpec:
    """Which inputs a sliced step indexes, and this slice's index (a list when grouped)."""

    index: Union[int, List[int]]
    input_parameter: List[str] = field(default_factory=list)
    input_artifact: List[str] = field(default_factory=list)
    output_parameter: List[str] = field(default_factory=list)
    output_artifact: List[str] = field(default_factory=list)
    pool_size: Optional[int] = None
    create_dir: bool = False
    order: Union[int, List[int], None] = None   # global slice numbers when ``index`` is local

    @property
    def position(self) -> Union[int, List[int]]:
        """Where this slice's outputs go in the stacked result (its global slice number)."""
        return self.index if self.order is None else self.order

    @property
    def positions(self) -> List[int]:
        """The global slice numbers of this slice's items (one, or one per grouped item)."""
        position = self.position
        return position if isinstance(position, list) else [position]


@dataclass
class OPCall:
    """Everything an OP run needs, in plain data (it crosses process boundaries)."""

    step: str
    parameters: Dict[str, str]
    artifacts: Dict[str, Optional[str]]
    workdir: str
    outputs: str
    slice: Optional[SliceSpec] = None
    key: Optional[str] = None
    workflow_name: Optional[str] = None
    progress_file: Optional[str] = None


class InputError(ValueError):
    """An input the OP cannot take (bad JSON for a typed parameter, a slice out of range)."""


def parse_parameter(text: Any, tp: Any, where: str) -> Any:
    """Argo text to the declared type: str stays text, everything else is JSON.

    Stacked outputs of a sliced step (``dflow_list_item`` entries) arrive as the plain list.
    """
    if not isinstance(text, str):
        return text
    if tp is str:
        return text
    classes = declared_classes(tp)   # objects of other classes stay JSON data: never code
    try:
        value = loads(text, classes)
        return unwrap_sliced(value, classes) if "dflow_list_item" in text else value
    except ValueError as exc:
        if tp in (None, Any) or getattr(tp, "__name__", "") == "Any":
            return text
        given = text if len(text) <= 200 else text[:200] + "..."
        raise InputError(f"{where}: expected {describe_type(tp)} as JSON ({exc}), "
                         f"given {given!r}") from None


def format_parameter(value: Any, where: str) -> str:
    """An output value as Argo text (str as-is, else JSON)."""
    if isinstance(value, str):
        return value
    try:
        return dumps(value)
    except Exception as exc:
        raise TypeError(f"{where}: a {type(value).__name__} cannot be encoded as a "
                        f"parameter ({exc}); return JSON-able values, objects of plain "
                        "classes, or use an Artifact") from None


def pick_slice(values: Any, index: Union[int, List[int]], where: str) -> Any:
    """Element ``index`` of a sliced input, or the elements of a group of indices."""
    if isinstance(index, list):
        return [pick_slice(values, i, where) for i in index]
    if not isinstance(values, list):
        raise InputError(f"{where}: a sliced input must be a list, given {values!r}")
    if not 0 <= index < len(values):
        raise InputError(f"{where}: slice {index} is out of range (the list has {len(values)} items)")
    return values[index]


def _instance(op: AnyOP) -> OP:
    return op() if isinstance(op, type) else op


def read_inputs(op: OP, call: OPCall, index: Union[int, List[int], None]) -> OPIO:
    """The OPIO for one execution (one item of a slice when ``index`` is given)."""
    name = getattr(op, "__name__", None) or type(op).__name__
    sl = call.slice
    opio = OPIO()
    for key, item in op.get_input_sign().items():
        where = f"OP {name}, input {key!r}"
        if isinstance(item, Artifact):
            path = call.artifacts.get(key)
            if sl is not None and index is not None and key in sl.input_artifact:
                value = pick_slice(load_input(Path(path) if path else None,
                                              list_of(item.type)), index, where)
            else:
                value = load_input(Path(path) if path else None, item.type)
            if value is None and not item.optional:
                raise InputError(f"{where}: a required artifact is missing")
            opio[key] = value
            continue
        if key in call.parameters:   # else check_signature fills the default or says so
            opio[key] = _parameter(item, call, key, index, where)
    return opio


def _parameter(item: Any, call: OPCall, key: str, index: Union[int, List[int], None],
               where: str) -> Any:
    tp = item.type if isinstance(item, Parameter) else item
    sl = call.slice
    if sl is not None and index is not None and key in sl.input_parameter:
        return pick_slice(parse_parameter(call.parameters[key], list_of(tp), where), index, where)
    return parse_parameter(call.parameters[key], tp, where)


def input_parameters(op: AnyOP, call: OPCall) -> Dict[str, Any]:
    """The parameter values the OP gets in this call (a slice: its items of sliced inputs),
    for showing them."""
    name = getattr(op, "__name__", None) or type(op).__name__
    index = call.slice.index if call.slice is not None else None
    return {key: _parameter(item, call, key, index, f"OP {name}, input {key!r}")
            for key, item in _instance(op).get_input_sign().items()
            if not isinstance(item, Artifact) and key in call.parameters}


def _execute_one(op: AnyOP, call: OPCall, index: Union[int, List[int], None],
                 order: List[int]) -> Dict[str, Any]:
    instance = _instance(op)
    instance.key = call.key
    instance.workflow_name = call.workflow_name
    if call.progress_file:
        progress = call.progress_file
        instance.progress_callback = lambda cur, tot: write_text(progress, f"{cur}/{tot}")
    opio = read_inputs(instance, call, index)
    checked = getattr(type(instance).execute, "__dflow_checked__", False)
    if not checked:
        check_signature(instance, opio, instance.get_input_sign(), True)
    out = instance.execute(opio)
    sign = instance.get_output_sign()
    if not checked:
        check_signature(instance, out, sign, False)
    _save_artifacts(instance, sign, call, out, order)
    return {k: v for k, v in out.items() if not isinstance(sign[k], Artifact)}


def _save_artifacts(op: OP, sign: Dict[str, Any], call: OPCall, out: Dict[str, Any],
                    order: List[int]) -> None:
    for key, item in sign.items():
        if isinstance(item, Artifact):
            value = out.get(key)
            target = Path(call.outputs) / "artifacts" / key
            if value is None:
                target.mkdir(parents=True, exist_ok=True)
                continue
            sl = call.slice
            prefix = str(order[0]) if sl is not None and sl.create_dir and order else ""
            try:
                save_output(value, target, Path.cwd(), order, prefix)
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"OP {type(op).__name__}, output artifact {key!r}: "
                                        f"{exc}") from None


def _run_item(args: Any) -> Dict[str, Any]:
    op, call, index, order = args
    return _execute_one(op, call, index, order)


def run_op(op: AnyOP, call: OPCall) -> Dict[str, str]:
    """Execute the OP (once, or once per item of a grouped slice); returns written parameters."""
    make_dir(call.workdir)
    os.chdir(call.workdir)
    sl = call.slice
    if sl is None:
        params = _execute_one(op, call, None, [])
    elif not isinstance(sl.index, list):
        params = _execute_one(op, call, sl.index, sl.positions)
    elif not sl.pool_size:
        # A group without a pool: one execute() over lists, as Dflow does.
        params = _execute_one(op, call, sl.index, sl.positions[:1])
    else:
        jobs = [(op, call, i, [o]) for i, o in zip(sl.index, sl.positions)]
        if sl.pool_size and sl.pool_size != 1 and len(jobs) > 1:
            from concurrent.futures import ProcessPoolExecutor  # only here: a worker starts faster
            workers = None if sl.pool_size == -1 else sl.pool_size
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(_run_item, jobs))
        else:
            results = [_run_item(j) for j in jobs]
        params = {}
        for key in (results[0] if results else {}):
            if key in sl.output_parameter:
                params[key] = [r.get(key) for r in results]
            else:
                params[key] = results[-1][key]
    return _write_parameters(op, call, params)


def _write_parameters(op: AnyOP, call: OPCall, params: Dict[str, Any]) -> Dict[str, str]:
    name = getattr(op, "__name__", None) or type(op).__name__
    root = os.path.join(call.outputs, "parameters")
    make_dir(call.outputs)
    make_dir(root)
    written = {}
    sl = call.slice
    for key in (sl.output_parameter if sl is not None else []):
        if sl is None or key not in params:
            continue
        if isinstance(sl.index, list):
            values = params[key]
            if not isinstance(values, list) or len(values) != len(sl.index):
                raise TypeError(f"OP {name}, output {key!r}: a group of {len(sl.index)} slices "
                                f"must return a list of {len(sl.index)} values, returned {values!r}")
            params[key] = slice_items(values, sl.positions)
        else:
            params[key] = slice_items(params[key], sl.position)
    for key, value in params.items():
        text = format_parameter(value, f"OP {name}, output {key!r}")
        write_text(os.path.join(root, key), text)
        written[key] = text
    return written

"""Dflow's ``dflow.python.utils``: read an OP's inputs and write its outputs in a step's layout.

A script that runs an OP by hand (as Dflow's pod scripts and plug-ins do) reads
``<data_root>/inputs/{parameters,artifacts}/<name>`` and writes
``<data_root>/outputs/{parameters,artifacts}/<name>``; these functions do it with the same code
the engine uses (``op_runner``, ``catalog``), so the values match what an OP sees in a step.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Union

from dflow_nb.model.serialization import slice_items
from dflow_nb.model.typing_checks import list_of
from dflow_nb.python.catalog import load_input, save_output
from dflow_nb.python.op_runner import format_parameter, parse_parameter, pick_slice
from dflow_nb.python.opio import Artifact, BigParameter, Parameter

Slices = Union[int, List[int], None]


def _type(sign: Any) -> Any:
    return sign.type if isinstance(sign, (Artifact, Parameter)) else sign


def handle_input_artifact(name: str, sign: Artifact, slices: Slices = None,
                          data_root: str = "/tmp", path: Optional[str] = None) -> Any:
    """The value an OP sees for input artifact ``name`` (its slice ``slices`` if given): a
    path, or a list/dict of paths, shaped by ``sign.type``; None if optional and absent."""
    root = Path(path) if path else Path(data_root) / "inputs" / "artifacts" / name
    if not (root.exists() or root.is_symlink()):
        if sign.optional:
            return None
        raise FileNotFoundError(f"input artifact {name!r}: {root} does not exist")
    if slices is None:
        return load_input(root, sign.type)
    return pick_slice(load_input(root, list_of(sign.type)), slices, f"input artifact {name!r}")


def handle_input_parameter(name: str, value: Optional[str], sign: Any, slices: Slices = None,
                           data_root: str = "/tmp") -> Any:
    """Parameter text (a BigParameter: its file under ``data_root``) as the declared type."""
    where = f"input parameter {name!r}"
    if value is None and isinstance(sign, BigParameter):
        value = (Path(data_root) / "inputs" / "parameters" / name).read_text()
    if slices is None:
        return parse_parameter(value, _type(sign), where)
    return pick_slice(parse_parameter(value, list_of(_type(sign)), where), slices, where)


def handle_output_parameter(name: str, value: Any, sign: Any, slices: Slices = None,
                            data_root: str = "/tmp") -> str:
    """Write an output parameter's text (a slice's value tagged with its order, so the
    stacked output keeps slice order); returns the text."""
    if slices is not None:
        value = slice_items(value, slices)
    text = format_parameter(value, f"output parameter {name!r}")
    root = Path(data_root) / "outputs" / "parameters"
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)
    return text


def handle_output_artifact(name: str, value: Any, sign: Artifact, slices: Slices = None,
                           data_root: str = "/tmp", create_dir: bool = False) -> Path:
    """Copy the files an OP returned into the output artifact ``name`` with their catalog (in
    slice order; under a directory named after the slice with ``create_dir``); returns its root."""
    order = [] if slices is None else slices if isinstance(slices, list) else [slices]
    prefix = str(order[0]) if create_dir and order else ""
    root = Path(data_root) / "outputs" / "artifacts" / name
    save_output(value, root, Path.cwd(), order, prefix)
    return root


__all__ = ["handle_input_artifact", "handle_input_parameter", "handle_output_artifact",
           "handle_output_parameter"]

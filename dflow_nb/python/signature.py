"""Signs of function OPs, read from annotations (inputs) and the return annotation (outputs)."""
from __future__ import annotations

import inspect
import typing
from typing import Any, Callable, Dict, Tuple

from dflow_nb.python.opio import Artifact, Parameter


def sign_from_function(func: Callable) -> Tuple[Dict[str, Any], Dict[str, Any], Callable, Callable]:
    """(input sign, output sign, return value -> outputs dict, outputs dict -> call result)."""
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # annotations that cannot be resolved: use them as written
        hints = dict(getattr(func, "__annotations__", {}))
    inputs: Dict[str, Any] = {}
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"function OP {func.__name__}: *args/**kwargs cannot be typed inputs")
        tp = func.__annotations__.get(p.name, hints.get(p.name, Any))
        if isinstance(tp, str):
            tp = hints.get(p.name, Any)
        if p.default is not p.empty:
            if isinstance(tp, Artifact):
                if p.default is None:
                    tp.optional = True
            elif isinstance(tp, Parameter):
                tp.default = p.default
            else:
                tp = Parameter(tp, default=p.default)
        inputs[p.name] = tp
    ret = func.__annotations__.get("return", None)
    if isinstance(ret, str):
        ret = hints.get("return")
    return (inputs, *_outputs(func.__name__, ret))


def _outputs(name: str, ret: Any) -> Tuple[Dict[str, Any], Callable, Callable]:
    if ret is None or ret is inspect.Signature.empty or ret is type(None):
        return {}, lambda _: {}, lambda _: None
    if isinstance(ret, dict):                                     # -> {"x": int, ...}
        return dict(ret), _as_dict(name), lambda out: out
    if isinstance(ret, type) and issubclass(ret, dict) and hasattr(ret, "__annotations__"):
        return dict(ret.__annotations__), _as_dict(name), lambda out: out   # TypedDict
    if isinstance(ret, type) and issubclass(ret, tuple) and hasattr(ret, "_fields"):
        fields = list(ret.__annotations__)                        # NamedTuple
        return (dict(ret.__annotations__),
                lambda value: dict(zip(fields, value)),
                lambda out: ret(**{f: out[f] for f in fields}))
    if typing.get_origin(ret) is tuple:                           # -> Tuple[int, str]
        names = [f"dflow_output_{i}" for i in range(len(typing.get_args(ret)))]
        return (dict(zip(names, typing.get_args(ret))),
                lambda value: dict(zip(names, value)),
                lambda out: tuple(out[n] for n in names))
    return ({"dflow_output": ret}, lambda value: {"dflow_output": value},   # a single type
            lambda out: out["dflow_output"])


def _as_dict(name: str) -> Callable[[Any], Dict[str, Any]]:
    def convert(value: Any) -> Dict[str, Any]:
        if not isinstance(value, dict):
            raise TypeError(f"function OP {name} must return a dict of its outputs, "
                            f"returned {type(value).__name__}")
        return value
    return convert

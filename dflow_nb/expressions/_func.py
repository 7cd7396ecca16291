"""Functions as expression values: ``Func`` (an implementation and its arity), ``Namespace``
(``sprig``), and the argument checks every implementation uses, so a wrong argument fails
with a message naming the function, as Go would panic on it.

Implementations take already-evaluated arguments and return JSON-like values; the evaluator
adds the position to their errors.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._values import go_sprint, plain, type_name

__all__ = ["Func", "Namespace", "fail", "arg_list", "arg_map", "arg_str", "arg_int"]


class Func(NamedTuple):
    """A callable with its arity (max_args None = variadic)."""
    fn: Callable[..., Any]
    min_args: int
    max_args: Optional[int]

    def check_arity(self, name: str, n: int, pos: int) -> None:
        """Raise if ``n`` arguments do not fit (at parse time when the callee is known)."""
        lo, hi = self.min_args, self.max_args
        if n >= lo and (hi is None or n <= hi):
            return
        if hi == lo:
            want = f"{lo} argument{'s' if lo != 1 else ''}"
        elif hi is None:
            want = f"at least {lo} argument{'s' if lo != 1 else ''}"
        else:
            want = f"{lo} to {hi} arguments"
        raise ExpressionError(f"{name} expects {want}, got {n}", position=pos)


class Namespace:
    """A map of functions seen as a value (``sprig``): members are functions."""

    __slots__ = ("name", "funcs")

    def __init__(self, name: str, funcs: dict[str, Func]) -> None:
        self.name = name
        self.funcs = funcs

    def __repr__(self) -> str:
        return f"<{self.name} functions>"


def fail(name: str, msg: str) -> ExpressionError:
    """The error of function ``name``."""
    return ExpressionError(f"{name}: {msg}")


def arg_list(name: str, v: Any) -> list[Any]:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return list(v)
    raise fail(name, f"expected an array, got {type_name(v)} {go_sprint(v)!r}")


def arg_map(name: str, v: Any) -> dict[Any, Any]:
    v = plain(v)
    if isinstance(v, dict):
        return v
    raise fail(name, f"expected a map, got {type_name(v)}")


def arg_str(name: str, v: Any, i: int = 1) -> str:
    if type(v) is str:
        return v
    raise fail(name, f"argument {i} must be a string, got {type_name(v)} {go_sprint(v)!r}")


def arg_int(name: str, v: Any, i: int = 1) -> int:
    if type(v) is int:
        return v
    raise fail(name, f"argument {i} must be an int, got {type_name(v)} {go_sprint(v)!r}")

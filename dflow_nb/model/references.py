"""Values known only at run time: references to inputs/outputs and expressions built on them.

An ``ArgoVar`` is an expr-lang expression (Argo's ``{{= }}`` syntax). References that are plain
paths also keep their simple-tag form (``{{steps.a.outputs.result}}``), which is what Argo and
Dflow emit for them. Python operators on an ArgoVar build new expressions, the way Dflow does, so
``when=step.outputs.parameters["n"] < 10`` works. Nothing here is evaluated: the expressions module
does that, at run time.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping, Optional, Union

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def path_expr(parts: Iterable[str]) -> str:
    """expr-lang access path; names with '-' need brackets (``steps['my-step']``)."""
    out = ""
    for i, part in enumerate(parts):
        if i == 0:
            out = part
        elif _IDENT.match(part):
            out += "." + part
        else:
            out += "[" + quote(part) + "]"
    return out


def quote(text: str) -> str:
    """An expr-lang single-quoted string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_expr(value: Any) -> str:
    """A Python literal (or reference) as expr-lang source."""
    if isinstance(value, ArgoVar):
        return value.expr
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_expr(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{quote(str(k))}: {to_expr(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot use a {type(value).__name__} in a workflow expression: {value!r}")


class ArgoVar:
    """A run-time value: an expr-lang expression, plus its simple tag when it is a plain path."""

    def __init__(self, expr: str, is_str: bool = True, tag: Optional[str] = None) -> None:
        self._expr = expr
        self.is_str = is_str
        self._tag = tag

    @property
    def expr(self) -> str:
        return self._expr

    @property
    def tag(self) -> Optional[str]:
        return self._tag

    def __str__(self) -> str:
        return "{{%s}}" % self.tag if self.tag else "{{=%s}}" % self.expr

    def __repr__(self) -> str:
        return str(self)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(f"{self} is only known when the workflow runs: use it in when=, "
                        "if_expression() or as an argument, not in a Python condition")

    def __iter__(self):
        raise TypeError(f"{self} is only known when the workflow runs and cannot be iterated; "
                        "fan out over it with with_param= instead")

    def __getitem__(self, key: Union[int, str, "ArgoVar"]) -> "ArgoVar":
        return ArgoVar(f"jsonpath({self.expr}, '$')[{to_expr(key)}]", is_str=False)

    def _compare(self, op: str, other: Any) -> "ArgoVar":
        if isinstance(other, ArgoVar):
            return ArgoVar(f"{self.expr} {op} {other.expr}", is_str=False)
        if isinstance(other, str):
            return ArgoVar(f"{self.expr} {op} {quote(other)}", is_str=False)
        if isinstance(other, bool):
            return ArgoVar(f"{self.expr} {op} {quote(str(other).lower())}", is_str=False)
        return ArgoVar(f"asFloat({self.expr}) {op} {to_expr(other)}", is_str=False)

    def __eq__(self, other: Any) -> "ArgoVar":  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: Any) -> "ArgoVar":  # type: ignore[override]
        return self._compare("!=", other)

    def __lt__(self, other: Any) -> "ArgoVar":
        return self._numeric("<", other)

    def __le__(self, other: Any) -> "ArgoVar":
        return self._numeric("<=", other)

    def __gt__(self, other: Any) -> "ArgoVar":
        return self._numeric(">", other)

    def __ge__(self, other: Any) -> "ArgoVar":
        return self._numeric(">=", other)

    def _numeric(self, op: str, other: Any, swap: bool = False) -> "ArgoVar":
        left = f"asFloat({self.expr})" if self.is_str else self.expr
        if isinstance(other, ArgoVar):
            right = f"asFloat({other.expr})" if other.is_str else other.expr
        else:
            right = to_expr(other)
        if swap:
            left, right = right, left
        return ArgoVar(f"{left} {op} {right}", is_str=False)

    def __add__(self, other: Any) -> "ArgoVar":
        return self._numeric("+", other)

    def __radd__(self, other: Any) -> "ArgoVar":
        return self._numeric("+", other, swap=True)

    def __sub__(self, other: Any) -> "ArgoVar":
        return self._numeric("-", other)

    def __rsub__(self, other: Any) -> "ArgoVar":
        return self._numeric("-", other, swap=True)

    def __mul__(self, other: Any) -> "ArgoVar":
        return self._numeric("*", other)

    def __rmul__(self, other: Any) -> "ArgoVar":
        return self._numeric("*", other, swap=True)

    def __truediv__(self, other: Any) -> "ArgoVar":
        return self._numeric("/", other)

    def __rtruediv__(self, other: Any) -> "ArgoVar":
        return self._numeric("/", other, swap=True)

    def __and__(self, other: Any) -> "ArgoVar":
        return ArgoVar(f"({self.expr}) && ({to_expr(other)})", is_str=False)

    def __or__(self, other: Any) -> "ArgoVar":
        return ArgoVar(f"({self.expr}) || ({to_expr(other)})", is_str=False)

    def __invert__(self) -> "ArgoVar":
        return ArgoVar(f"!({self.expr})", is_str=False)


def if_expression(_if: Any, _then: Any, _else: Any) -> ArgoVar:
    """``cond ? then : else`` evaluated at run time (values, parameters or artifacts)."""
    if isinstance(_if, ArgoVar):
        cond = f"{_if.expr} == 'true'" if _if.tag else _if.expr
    else:
        cond = _if if isinstance(_if, str) else to_expr(bool(_if))
    return IfExpression(cond, _then, _else)


class IfExpression(ArgoVar):
    """Kept apart so compilers can tell parameter and artifact branches."""

    def __init__(self, cond: str, then: Any, otherwise: Any) -> None:
        super().__init__(f"({cond}) ? {to_expr(then)} : {to_expr(otherwise)}",
                         is_str=not (isinstance(then, ArgoVar) and not then.is_str))
        self.cond, self.then, self.otherwise = cond, then, otherwise


def _int_expr(v: Any) -> str:
    return f"sprig.atoi({v.expr})" if isinstance(v, ArgoVar) and v.is_str else to_expr(v)


def argo_range(*args: Any) -> ArgoVar:
    """``range(...)`` at run time, as a JSON list; arguments may be references."""
    if not 1 <= len(args) <= 3:
        raise TypeError(f"argo_range() takes 1 to 3 arguments ({len(args)} given)")
    start, end, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    return ArgoVar(f"toJson(sprig.untilStep({_int_expr(start)}, {_int_expr(end)}, "
                   f"{_int_expr(step)}))", is_str=False)


def argo_len(param: Any) -> ArgoVar:
    """The length of a JSON-list parameter at run time."""
    if not isinstance(param, ArgoVar):
        return ArgoVar(str(len(param)), is_str=False)
    return ArgoVar(f"len(sprig.fromJson({param.expr}))", is_str=False)


class ArgoSequence:
    """Argo ``withSequence``: count or start/end, with an optional printf format."""

    def __init__(self, count: Any = None, start: Any = None, end: Any = None,
                 format: Optional[str] = None) -> None:
        if count is not None and end is not None:
            raise ValueError("argo_sequence takes count or end, not both (Argo rejects both)")
        self.count, self.start, self.end, self.format = count, start, end, format

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("count", "start", "end"):
            v = getattr(self, key)
            if v is not None:
                out[key] = "{{=%s}}" % v.expr if isinstance(v, ArgoVar) else str(v)
        if self.format is not None:
            out["format"] = self.format
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ArgoSequence":
        return cls(count=d.get("count"), start=d.get("start"), end=d.get("end"),
                   format=d.get("format"))


def argo_sequence(count: Any = None, start: Any = None, end: Any = None,
                  format: Optional[str] = None) -> ArgoSequence:
    """A ``withSequence`` for a step: ``count`` items, or ``start``..``end`` inclusive."""
    return ArgoSequence(count=count, start=start, end=end, format=format)


def argo_enumerate(*args: Any, **kwargs: Any) -> ArgoVar:
    """Zip lists into ``[{'order': i, name: value_i, ...}]`` at run time."""
    if len(args) == 1:
        kwargs["value"] = args[0]
    else:
        for i, arg in enumerate(args):
            kwargs[f"value{i}"] = arg
    if not kwargs:
        raise TypeError("argo_enumerate() needs at least one list")
    first = next(iter(kwargs.values()))
    length = (f"len(sprig.fromJson({first.expr}))" if isinstance(first, ArgoVar)
              else str(len(first)))
    fields = "".join(
        f", {quote(k)}: jsonpath({v.expr if isinstance(v, ArgoVar) else quote(json.dumps(v))}, '$')[#]"
        for k, v in kwargs.items())
    return ArgoVar(f"toJson(map(sprig.untilStep(0, {length}, 1), {{'order': #{fields}}}))",
                   is_str=False)


class ArgoSum(ArgoVar):
    """Sum of a JSON list of numbers (e.g. an aggregated output of a loop)."""

    def __init__(self, param: ArgoVar) -> None:
        super().__init__(f"sum(sprig.fromJson({param.expr}))", is_str=False)
        self.param = param


def argo_sum(param: ArgoVar) -> ArgoSum:
    """The sum of a JSON-list parameter at run time."""
    return ArgoSum(param)


class ArgoConcat(ArgoVar):
    """Concatenation of a JSON list of lists (e.g. outputs of a sliced step with group_size)."""

    def __init__(self, param: ArgoVar) -> None:
        super().__init__(f"toJson(flatten(sprig.fromJson({param.expr})))", is_str=False)
        self.param = param


def argo_concat(param: ArgoVar) -> ArgoConcat:
    """The concatenation of a JSON list of lists at run time."""
    return ArgoConcat(param)

"""What compiled expr-lang closures share at run time: the evaluation context ``Ctx``, member
access (``fetch``) and slicing with expr-lang's rules, and the helpers that phrase errors.

A missing map member is nil; fetching from nil fails unless ``?.`` is used (``NilChain``);
a path through nil names the whole dotted path in the UnresolvedReference.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from dflow_nb.expressions._errors import ExpressionError, UnresolvedReference
from dflow_nb.expressions._expr_time import time_member
from dflow_nb.expressions._func import Namespace
from dflow_nb.expressions._go_time import GoDuration, GoTime
from dflow_nb.expressions._scope import MISSING, Resolver, ScopeView
from dflow_nb.expressions._values import go_sprint, plain, type_name

__all__ = ["Ctx", "Fn", "NilChain", "fetch", "slice_value", "show", "locate"]


class NilChain(Exception):
    """Raised by ``?.`` on nil; caught by the enclosing chain, which yields nil."""


class Ctx:
    """One evaluation: the scope's resolver, the frames of the predicates being run
    (``[#, #index, #acc]``, innermost last) and the ``let`` variables."""

    __slots__ = ("resolver", "stack", "vars")

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.stack: list[list[Any]] = []
        self.vars: dict[str, Any] = {}


Fn = Callable[[Ctx], Any]
"""A compiled expression (or sub-expression)."""


def fetch(o: Any, k: Any, optional: bool, obj_path: Optional[str]) -> Any:
    """``o[k]`` / ``o.k``; ``obj_path`` is the dotted scope name of ``o`` when it has one."""
    t = type(o)
    if t is ScopeView:
        if type(k) is not str:
            raise ExpressionError(f"cannot use {type_name(k)} {k!r} as a key of a map")
        v = o.get_member(k)
        return None if v is MISSING else v
    if t is dict:
        try:
            return o.get(k)
        except TypeError:
            raise ExpressionError(f"cannot use {type_name(k)} as a key of a map") from None
    if t is list or t is tuple or t is str:
        tk = type(k)
        if tk is int:
            i = k
        elif tk is float:
            i = int(k)
        else:
            raise ExpressionError(f"cannot index {type_name(o)} with {type_name(k)} {k!r}")
        n = len(o)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise ExpressionError(f"index out of range: {i} (array length is {n})")
        return o[j]
    if o is None:
        if optional:
            raise NilChain()
        if obj_path is not None:
            raise UnresolvedReference(f"{obj_path}.{k}" if type(k) is str else obj_path,
                                      f"{obj_path!r} is nil")
        raise ExpressionError(f"cannot fetch {k!r} from nil (use '?.' to allow nil)")
    if t is Namespace:
        return o.funcs.get(k) if type(k) is str else None
    if t is GoTime or t is GoDuration:
        return time_member(o, k)
    if isinstance(o, dict):
        return o.get(k)
    raise ExpressionError(f"cannot fetch {k!r} from {type_name(o)}")


def slice_value(o: Any, lo: Any, hi: Any) -> Any:
    """``o[lo:hi]`` of an array or a string; bounds are clamped, negative ones count from the
    end."""
    o = plain(o)
    if not isinstance(o, (list, tuple, str)):
        raise ExpressionError(f"cannot slice {type_name(o)}")
    n = len(o)
    a = 0 if lo is None else _index_int(lo)
    b = n if hi is None else _index_int(hi)
    if a < 0:
        a = max(a + n, 0)
    if b < 0:
        b = max(b + n, 0)
    b = min(b, n)
    a = min(a, b)
    return list(o[a:b]) if not isinstance(o, str) else o[a:b]


def _index_int(v: Any) -> int:
    if type(v) is int:
        return v
    if type(v) is float:
        return int(v)
    raise ExpressionError(f"slice bounds must be integers, got {type_name(v)}")


def show(v: Any) -> str:
    """A value as error messages quote it (Go ``%v``, shortened)."""
    s = go_sprint(plain(v)) if v is not None else "nil"
    return repr(s if len(s) <= 40 else s[:40] + "...")


def locate(e: ExpressionError, pos: int) -> ExpressionError:
    """Give ``e`` the position of the node that raised it, unless it has a closer one."""
    if e.position is None:
        e.position = pos
    return e

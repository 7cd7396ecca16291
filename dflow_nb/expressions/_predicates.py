"""expr-lang's predicate builtins (``all``, ``filter``, ``map``, ``sortBy``, ``reduce``...): what
each does with the per-element values of its predicate. The compiler evaluates the
collection, binds ``#``/``#index``/``#acc`` and hands a ``Loop`` to the implementation.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._operators import add, less
from dflow_nb.expressions._runtime import show
from dflow_nb.expressions._scope import MISSING
from dflow_nb.expressions._values import type_name

__all__ = ["Loop", "PREDICATE_IMPLS"]


@dataclass
class Loop:
    """One run of a predicate builtin over a collection."""
    items: list[Any]
    value: Callable[[Any, int], Any]   # the predicate's value for (element, index)
    test: Callable[[Any, int], bool]   # the same, which must be a bool
    extra: Any                         # the optional last argument, or MISSING
    frame: list[Any]                   # [#, #index, #acc] as the predicate sees them
    pos: int


def _all(loop: Loop) -> bool:
    test = loop.test
    return all(test(x, i) for i, x in enumerate(loop.items))


def _none(loop: Loop) -> bool:
    return not _any(loop)


def _any(loop: Loop) -> bool:
    test = loop.test
    return any(test(x, i) for i, x in enumerate(loop.items))


def _one(loop: Loop) -> bool:
    return _count(loop) == 1


def _filter(loop: Loop) -> list[Any]:
    test = loop.test
    return [x for i, x in enumerate(loop.items) if test(x, i)]


def _map(loop: Loop) -> list[Any]:
    value = loop.value
    return [value(x, i) for i, x in enumerate(loop.items)]


def _count(loop: Loop) -> int:
    test = loop.test
    return sum(1 for i, x in enumerate(loop.items) if test(x, i))


def _sum(loop: Loop) -> Any:
    total: Any = 0
    value = loop.value
    for i, x in enumerate(loop.items):
        v = value(x, i)
        try:
            total = add(total, v)
        except ExpressionError:
            raise ExpressionError(f"sum: cannot add {type_name(v)}", position=loop.pos) from None
    return total


def _find_index(loop: Loop) -> int:
    return next((i for i, x in enumerate(loop.items) if loop.test(x, i)), -1)


def _find_last_index(loop: Loop) -> int:
    items = loop.items
    return next((i for i in range(len(items) - 1, -1, -1) if loop.test(items[i], i)), -1)


def _find(loop: Loop) -> Any:
    i = _find_index(loop)
    return loop.items[i] if i >= 0 else None


def _find_last(loop: Loop) -> Any:
    i = _find_last_index(loop)
    return loop.items[i] if i >= 0 else None


def _group_by(loop: Loop) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for i, x in enumerate(loop.items):
        k = loop.value(x, i)
        try:
            out.setdefault(k, []).append(x)
        except TypeError:
            raise ExpressionError(f"groupBy: cannot group by {type_name(k)}",
                                  position=loop.pos) from None
    return out


def _sort_by(loop: Loop) -> list[Any]:
    order = "asc" if loop.extra is MISSING else loop.extra
    if order not in ("asc", "desc"):
        raise ExpressionError(f"sortBy: order must be 'asc' or 'desc', got {show(order)}",
                              position=loop.pos)
    keyed = [(loop.value(x, i), x) for i, x in enumerate(loop.items)]

    def compare(a: tuple[Any, Any], b: tuple[Any, Any]) -> int:
        return -1 if less(a[0], b[0]) else (1 if less(b[0], a[0]) else 0)
    try:
        keyed.sort(key=functools.cmp_to_key(compare))
    except ExpressionError as e:
        raise ExpressionError(f"sortBy: {e.cause}", position=loop.pos) from None
    out = [x for _, x in keyed]
    return out[::-1] if order == "desc" else out


def _reduce(loop: Loop) -> Any:
    items = loop.items
    start = 0
    if loop.extra is MISSING:
        if not items:
            raise ExpressionError("reduce of an empty array with no initial value",
                                  position=loop.pos)
        acc, start = items[0], 1
    else:
        acc = loop.extra
    for i in range(start, len(items)):
        loop.frame[2] = acc
        acc = loop.value(items[i], i)
    return acc


PREDICATE_IMPLS: dict[str, Callable[[Loop], Any]] = {
    "all": _all, "none": _none, "any": _any, "one": _one, "filter": _filter, "map": _map,
    "count": _count, "sum": _sum, "find": _find, "findIndex": _find_index,
    "findLast": _find_last, "findLastIndex": _find_last_index, "groupBy": _group_by,
    "sortBy": _sort_by, "reduce": _reduce,
}

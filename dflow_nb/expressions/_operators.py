"""expr-lang's binary operators on evaluated values (``BINOPS``), as expr-lang v1.17 defines
them: ints stay ints (int64, wrapping), ``/`` and ``**`` give floats, ``%`` needs ints, ``+``
adds numbers or concatenates strings, comparisons need numbers with numbers or strings with
strings, ``==`` never fails. Times and durations add, subtract and compare as in Go
(``_expr_time``).

The logical operators and ``??`` short-circuit, so the compiler builds them itself.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._expr_time import time_arith, time_compare
from dflow_nb.expressions._go_regexp import go_regex
from dflow_nb.expressions._go_stdlib import go_float_div, go_int_rem, wrap_int64
from dflow_nb.expressions._limits import check_size
from dflow_nb.expressions._scope import MISSING, ScopeView
from dflow_nb.expressions._values import type_name, values_equal

__all__ = ["BINOPS", "add", "less"]

BinOp = Callable[[Any, Any], Any]


def _mismatch(op: str, a: Any, b: Any) -> ExpressionError:
    return ExpressionError(f"invalid operation: {op} (mismatched types {type_name(a)} and "
                           f"{type_name(b)})")


def _arith(op: str, fn: Callable[[Any, Any], Any], concat: bool = False) -> BinOp:
    """``+ - *``: int op int stays int64; a float on either side gives a float; ``concat``
    lets ``+`` join two strings."""
    def arith(a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if ta is int and tb is int:
            return wrap_int64(fn(a, b))
        if (ta is int or ta is float) and (tb is int or tb is float):
            return fn(float(a), float(b))
        if concat and ta is str and tb is str:
            return a + b
        r = time_arith(op, a, b)
        if r is None:
            raise _mismatch(op, a, b)
        return r
    return arith


add = _arith("+", operator.add, concat=True)
"""expr-lang ``+``: numbers add, strings concatenate."""


def _div(a: Any, b: Any) -> float:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return go_float_div(float(a), float(b))
    raise _mismatch("/", a, b)


def _mod(a: Any, b: Any) -> int:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise ExpressionError("integer divide by zero")
        return go_int_rem(a, b)
    raise _mismatch("%", a, b)


def _pow(a: Any, b: Any) -> float:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        try:
            return math.pow(float(a), float(b))
        except OverflowError:
            return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf
        except ValueError:
            return math.nan
    raise _mismatch("**", a, b)


def _compare(op: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        ta, tb = type(a), type(b)
        if (ta is int or ta is float) and (tb is int or tb is float):
            if ta is not tb:
                return fn(float(a), float(b))
            return fn(a, b)
        if ta is str and tb is str:
            return fn(a, b)
        r = time_compare(op, a, b)
        if r is None:
            raise _mismatch(op, a, b)
        return r
    return compare


less = _compare("<", operator.lt)
"""expr-lang ordering (``<``): numbers with numbers, strings with strings."""


def _ne(a: Any, b: Any) -> bool:
    return not values_equal(a, b)


def _in(a: Any, b: Any) -> bool:
    if b is None:
        return False
    tb = type(b)
    if tb is list or tb is tuple:
        return any(values_equal(a, x) for x in b)
    if tb is ScopeView:
        return type(a) is str and b.get_member(a) is not MISSING
    if tb is dict:
        try:
            return a in b
        except TypeError:
            return False
    raise ExpressionError(f"operator 'in' not defined on {type_name(b)}")


def _on_strings(op: str, fn: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def f(a: Any, b: Any) -> bool:
        if type(a) is str and type(b) is str:
            return fn(a, b)
        raise _mismatch(op, a, b)
    return f


def _range(a: Any, b: Any) -> list[int]:
    if type(a) is int and type(b) is int:
        check_size(b - a + 1, f"range {a}..{b}")
        return list(range(a, b + 1))
    raise _mismatch("..", a, b)


BINOPS: dict[str, BinOp] = {
    "+": add, "-": _arith("-", operator.sub), "*": _arith("*", operator.mul), "/": _div,
    "%": _mod, "**": _pow, "^": _pow, "==": values_equal, "!=": _ne, "<": less,
    ">": _compare(">", operator.gt), "<=": _compare("<=", operator.le),
    ">=": _compare(">=", operator.ge), "in": _in, "..": _range,
    "matches": _on_strings("matches", lambda a, b: go_regex(b).search(a)),
    "contains": _on_strings("contains", lambda a, b: b in a),
    "startsWith": _on_strings("startsWith", lambda a, b: a.startswith(b)),
    "endsWith": _on_strings("endsWith", lambda a, b: a.endswith(b)),
}

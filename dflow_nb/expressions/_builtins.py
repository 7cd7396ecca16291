"""expr-lang's builtin functions (``len``, ``upper``, ``sort``, ``int``...) and Argo's extras
(``asInt``, ``asFloat``, ``toJson``, ``jsonpath``): ``BUILTINS``.

Predicate builtins (``map``, ``filter``, ``all``...) evaluate their argument per element, so
the compiler builds them (see ``_predicates``). Where Go iterates a map in random order
(``keys``, ``values``) we sort by key, for determinism.
"""
from __future__ import annotations

import base64
import functools
import math
from typing import Any, Callable

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._expr_time import TIME_BUILTINS
from dflow_nb.expressions._func import Func, arg_int, arg_list, arg_map, arg_str, fail
from dflow_nb.expressions._go_stdlib import go_atoi, go_parse_float, go_split, trunc_int64, wrap_int64
from dflow_nb.expressions._jsonpath import jsonpath
from dflow_nb.expressions._limits import check_size
from dflow_nb.expressions._operators import less
from dflow_nb.expressions._scope import MISSING, ScopeView
from dflow_nb.expressions._values import from_json, go_sprint, plain, to_json, type_name, values_equal

__all__ = ["BUILTINS", "unique", "repeat"]


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


def as_int(v: Any, name: str = "int") -> int:
    """expr-lang ``int()`` (Argo's ``asInt``): ints as-is, floats truncated, strings parsed as
    base-10 integers (``"3.0"`` is an error, as in Go's strconv.Atoi)."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        return trunc_int64(v)
    if t is str:
        n = go_atoi(v)
        if n is None:
            raise fail(name, f"cannot parse {v!r} as an integer")
        return n
    raise fail(name, f"cannot convert {type_name(v)} {go_sprint(v)!r} to an integer")


def as_float(v: Any, name: str = "float") -> float:
    """expr-lang ``float()`` (Argo's ``asFloat``): numbers converted, strings parsed."""
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    if t is str:
        f = go_parse_float(v)
        if f is None:
            raise fail(name, f"cannot parse {v!r} as a number")
        return f
    raise fail(name, f"cannot convert {type_name(v)} {go_sprint(v)!r} to a number")


def _len(v: Any) -> int:
    t = type(v)
    if t is str:
        return len(v.encode("utf-8"))  # Go's len(string) counts bytes
    if t in (list, tuple, dict) or hasattr(v, "to_plain"):
        return len(v)
    raise fail("len", f"invalid argument of type {type_name(v)}")


def _abs(v: Any) -> Any:
    if _is_num(v):
        return abs(v)
    raise fail("abs", f"invalid argument of type {type_name(v)}")


def _float_math(name: str, op: Callable[[float], float]) -> Callable[[Any], float]:
    def f(v: Any) -> float:
        if _is_num(v):
            return float(op(v)) if type(v) is float else float(v)
        raise fail(name, f"invalid argument of type {type_name(v)}")
    return f


def _go_round(x: float) -> float:  # Go math.Round: half away from zero
    if math.isnan(x) or math.isinf(x):
        return x
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _trim(s: Any, cutset: Any = None) -> str:
    s = arg_str("trim", s)
    if cutset is None:
        return s.strip(" \t\n\r\v\f\x85\xa0")
    return s.strip(arg_str("trim", cutset, 2))


def _split(s: Any, sep: Any, n: Any = -1) -> list[Any]:
    return go_split(arg_str("split", s), arg_str("split", sep, 2), arg_int("split", n, 3))


def _split_after(s: Any, sep: Any, n: Any = -1) -> list[Any]:
    return go_split(arg_str("splitAfter", s), arg_str("splitAfter", sep, 2),
                    arg_int("splitAfter", n, 3), after=True)


def _join(arr: Any, sep: Any = "") -> str:
    items = arg_list("join", arr)
    arg_str("join", sep, 2)
    out = []
    for x in items:
        if type(x) is not str:
            raise fail("join", f"array elements must be strings, got {type_name(x)}")
        out.append(x)
    return sep.join(out)


def _extreme(name: str, pick_first: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        items: list[Any] = []
        for a in args:
            a = plain(a)
            if isinstance(a, (list, tuple)):
                items.extend(a)
            else:
                items.append(a)
        if not items:
            raise fail(name, "not enough arguments")
        best = items[0]
        for x in items:
            if not _is_num(x):
                raise fail(name, f"invalid argument of type {type_name(x)}")
            if pick_first(x, best):
                best = x
        return best
    return f


def _mean(arr: Any) -> float:
    items = arg_list("mean", arr)
    if not items:
        return 0.0
    for x in items:
        if not _is_num(x):
            raise fail("mean", f"invalid element of type {type_name(x)}")
    return sum(float(x) for x in items) / len(items)


def _median(arr: Any) -> float:
    items = arg_list("median", arr)
    for x in items:
        if not _is_num(x):
            raise fail("median", f"invalid element of type {type_name(x)}")
    if not items:
        return 0.0
    s = sorted(float(x) for x in items)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _first(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return v[0] if v else None
    raise fail("first", f"expected an array, got {type_name(v)}")


def _last(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return v[-1] if v else None
    raise fail("last", f"expected an array, got {type_name(v)}")


def _get(v: Any, key: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, ScopeView):
        r = v.get_member(key) if type(key) is str else MISSING
        return None if r is MISSING else r
    v2 = plain(v)
    if isinstance(v2, dict):
        try:
            return v2.get(key)
        except TypeError:
            return None
    if isinstance(v2, (list, tuple, str)) and _is_num(key):
        i = int(key)
        if i < 0:
            i += len(v2)
        return v2[i] if 0 <= i < len(v2) else None
    return None


def _take(arr: Any, n: Any) -> list[Any]:
    return arg_list("take", arr)[:max(arg_int("take", n, 2), 0)]


def _keys(m: Any) -> list[Any]:
    return sorted(arg_map("keys", m))


def _values(m: Any) -> list[Any]:
    d = arg_map("values", m)
    return [d[k] for k in sorted(d)]


def _to_pairs(m: Any) -> list[Any]:
    d = arg_map("toPairs", m)
    return [[k, d[k]] for k in sorted(d)]


def _from_pairs(arr: Any) -> dict[Any, Any]:
    out = {}
    for p in arg_list("fromPairs", arr):
        p = plain(p)
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise fail("fromPairs", "expected an array of [key, value] pairs")
        out[p[0]] = p[1]
    return out


def _sort(arr: Any, order: Any = "asc") -> list[Any]:
    items = arg_list("sort", arr)
    if order not in ("asc", "desc"):
        raise fail("sort", f"order must be 'asc' or 'desc', got {go_sprint(order)!r}")
    out = items[:]
    try:
        out.sort(key=functools.cmp_to_key(lambda a, b: -1 if less(a, b) else
                                          (1 if less(b, a) else 0)))
    except ExpressionError as e:
        raise fail("sort", e.cause) from None
    if order == "desc":
        out.reverse()
    return out


def _reverse(arr: Any) -> list[Any]:
    return arg_list("reverse", arr)[::-1]


def unique(arr: Any) -> list[Any]:
    """expr-lang ``uniq``: the elements without repeats (by ``==``), in order of first appearance."""
    out: list[Any] = []
    for x in arg_list("uniq", arr):
        if not any(values_equal(x, y) for y in out):
            out.append(x)
    return out


def _flatten(arr: Any) -> list[Any]:
    out: list[Any] = []

    def walk(xs: list[Any]) -> None:
        for x in xs:
            x = plain(x)
            if isinstance(x, (list, tuple)):
                walk(list(x))
            else:
                out.append(x)
    walk(arg_list("flatten", arr))
    return out


def _concat(*arrs: Any) -> list[Any]:
    out: list[Any] = []
    for a in arrs:
        out.extend(arg_list("concat", a))
    return out


def _from_json(s: Any) -> Any:
    return from_json(arg_str("fromJSON", s))


def _to_base64(s: Any) -> str:
    return base64.b64encode(arg_str("toBase64", s).encode()).decode()


def _from_base64(s: Any) -> str:
    try:
        return base64.b64decode(arg_str("fromBase64", s).encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        raise fail("fromBase64", str(e)) from None


def _index_of(s: Any, sub: Any) -> int:
    return arg_str("indexOf", s).find(arg_str("indexOf", sub, 2))


def _last_index_of(s: Any, sub: Any) -> int:
    return arg_str("lastIndexOf", s).rfind(arg_str("lastIndexOf", sub, 2))


def repeat(name: str, s: Any, s_arg: int, n: Any, n_arg: int) -> str:
    """``s`` repeated ``n`` times (none if negative), within the size limit; ``s_arg`` and
    ``n_arg`` are their argument numbers, for the error."""
    text = arg_str(name, s, s_arg)
    count = max(arg_int(name, n, n_arg), 0)
    check_size(len(text) * count, name, "characters")
    return text * count


BUILTINS: dict[str, Func] = {
    "len": Func(_len, 1, 1),
    "type": Func(type_name, 1, 1),
    "abs": Func(_abs, 1, 1),
    "ceil": Func(_float_math("ceil", math.ceil), 1, 1),
    "floor": Func(_float_math("floor", math.floor), 1, 1),
    "round": Func(_float_math("round", _go_round), 1, 1),
    "int": Func(as_int, 1, 1),
    "float": Func(as_float, 1, 1),
    "string": Func(go_sprint, 1, 1),
    "trim": Func(_trim, 1, 2),
    "trimPrefix": Func(lambda s, p=" ": arg_str("trimPrefix", s).removeprefix(
        arg_str("trimPrefix", p, 2)), 1, 2),
    "trimSuffix": Func(lambda s, p=" ": arg_str("trimSuffix", s).removesuffix(
        arg_str("trimSuffix", p, 2)), 1, 2),
    "upper": Func(lambda s: arg_str("upper", s).upper(), 1, 1),
    "lower": Func(lambda s: arg_str("lower", s).lower(), 1, 1),
    "split": Func(_split, 2, 3),
    "splitAfter": Func(_split_after, 2, 3),
    "replace": Func(lambda s, o, n: arg_str("replace", s).replace(arg_str("replace", o, 2),
                                                                  arg_str("replace", n, 3)), 3, 3),
    "repeat": Func(lambda s, n: repeat("repeat", s, 1, n, 2), 2, 2),
    "join": Func(_join, 1, 2),
    "indexOf": Func(_index_of, 2, 2),
    "lastIndexOf": Func(_last_index_of, 2, 2),
    "hasPrefix": Func(lambda s, p: arg_str("hasPrefix", s).startswith(arg_str("hasPrefix", p, 2)),
                      2, 2),
    "hasSuffix": Func(lambda s, p: arg_str("hasSuffix", s).endswith(arg_str("hasSuffix", p, 2)),
                      2, 2),
    "max": Func(_extreme("max", lambda x, best: less(best, x)), 1, None),
    "min": Func(_extreme("min", lambda x, best: less(x, best)), 1, None),
    "mean": Func(_mean, 1, 1),
    "median": Func(_median, 1, 1),
    "toJSON": Func(lambda v: to_json(v, indent="  "), 1, 1),
    "fromJSON": Func(_from_json, 1, 1),
    "toBase64": Func(_to_base64, 1, 1),
    "fromBase64": Func(_from_base64, 1, 1),
    "first": Func(_first, 1, 1),
    "last": Func(_last, 1, 1),
    "get": Func(_get, 2, 2),
    "take": Func(_take, 2, 2),
    "keys": Func(_keys, 1, 1),
    "values": Func(_values, 1, 1),
    "toPairs": Func(_to_pairs, 1, 1),
    "fromPairs": Func(_from_pairs, 1, 1),
    "sort": Func(_sort, 1, 2),
    "reverse": Func(_reverse, 1, 1),
    "uniq": Func(unique, 1, 1),
    "flatten": Func(_flatten, 1, 1),
    "concat": Func(_concat, 1, None),
    # Argo's extras (util/expr/env): asInt/asFloat are expr's int/float under another name
    "asInt": Func(lambda v: as_int(v, "asInt"), 1, 1),
    "asFloat": Func(lambda v: as_float(v, "asFloat"), 1, 1),
    "toJson": Func(to_json, 1, 1),
    "jsonpath": Func(jsonpath, 2, 2),
}

_U64 = (1 << 64) - 1


def _bits(name: str, op: Callable[[int, int], int]) -> Func:
    """A bitwise builtin on two ints (Go int64 arithmetic)."""
    return Func(lambda a, b: wrap_int64(op(arg_int(name, a, 1), arg_int(name, b, 2))), 2, 2)


def _shift_count(name: str, n: int) -> int:
    if n < 0:
        raise fail(name, f"negative shift amount {n}")
    return n


BUILTINS.update({
    "bitand": _bits("bitand", lambda a, b: a & b),
    "bitor": _bits("bitor", lambda a, b: a | b),
    "bitxor": _bits("bitxor", lambda a, b: a ^ b),
    "bitnand": _bits("bitnand", lambda a, b: a & ~b),   # Go's a &^ b
    "bitnot": Func(lambda a: ~arg_int("bitnot", a), 1, 1),
    "bitshl": _bits("bitshl", lambda a, n: a << min(_shift_count("bitshl", n), 64)),
    "bitshr": _bits("bitshr", lambda a, n: a >> min(_shift_count("bitshr", n), 64)),
    "bitushr": _bits("bitushr", lambda a, n: (a & _U64) >> min(_shift_count("bitushr", n), 64)),
})

BUILTINS.update(TIME_BUILTINS)   # now(), date(), duration(), timezone()

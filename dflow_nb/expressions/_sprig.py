"""The Sprig functions Argo offers under ``sprig.`` (``sprig.upper(s)``,
``sprig.default('x', v)``...), as Go's Sprig v3 defines them: ``SPRIG`` and ``SPRIG_NAMESPACE``.

Sprig converts its arguments leniently (spf13/cast: a bad number is 0) but panics when a typed
parameter gets another Go type; both are reproduced. Sprig puts the subject string last.
"""
from __future__ import annotations

import base64
import functools
import math
import re
from typing import Any, Callable

from dflow_nb.expressions._builtins import repeat, unique
from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._func import Func, Namespace, arg_int, arg_list, arg_map, arg_str, fail
from dflow_nb.expressions._go_regexp import go_regex
from dflow_nb.expressions._go_stdlib import (
    INT64_MAX,
    INT64_MIN,
    go_atoi,
    go_int_rem,
    go_parse_float,
    go_split,
    trunc_int64,
    wrap_int64,
)
from dflow_nb.expressions._limits import check_size
from dflow_nb.expressions._values import from_json, go_sprint, plain, to_json, type_name, values_equal

__all__ = ["SPRIG", "SPRIG_NAMESPACE"]


def _cast_int(v: Any) -> int:
    """spf13/cast ToInt64 as Sprig uses it: lenient, 0 on failure."""
    t = type(v)
    if t is int:
        return v
    if t is bool:
        return 1 if v else 0
    if t is float:
        return trunc_int64(v)
    if t is str:
        s = v
        if re.fullmatch(r"[+-]?[0-9]+\.0*", s):  # trimZeroDecimal
            s = s[:s.index(".")]
        try:
            if re.fullmatch(r"[+-]?0[0-7_]+", s):
                n = int(s.replace("_", ""), 8)
            else:
                n = int(s, 0)
        except ValueError:
            return 0
        return n if INT64_MIN <= n <= INT64_MAX else 0
    return 0


def _cast_float(v: Any) -> float:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    if t is bool:
        return 1.0 if v else 0.0
    if t is str:
        f = go_parse_float(v)
        return 0.0 if f is None else f
    return 0.0


def _strval(v: Any) -> str:
    return v if type(v) is str else go_sprint(v)


def _strslice(v: Any) -> list[Any]:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return [_strval(x) for x in v if x is not None]
    if v is None:
        return []
    return [_strval(v)]


def _empty(v: Any) -> bool:
    if v is None:
        return True
    t = type(v)
    if t is bool:
        return not v
    if t is int or t is float:
        return v == 0
    if t is str:
        return v == ""
    v = plain(v)
    if isinstance(v, (list, tuple, dict)):
        return len(v) == 0
    return False


def _until_step(start: Any, stop: Any, step: Any, name: str = "sprig.untilStep") -> list[Any]:
    start = arg_int("sprig.untilStep", start, 1)
    stop = arg_int("sprig.untilStep", stop, 2)
    step = arg_int("sprig.untilStep", step, 3)
    if step == 0 or (stop < start and step > 0) or (stop >= start and step < 0):
        return []
    items = range(start, stop, step)
    check_size(len(items), name)
    return list(items)


def _until(count: Any) -> list[Any]:
    count = arg_int("sprig.until", count)
    return _until_step(0, count, -1 if count < 0 else 1, "sprig.until")


def _sprig_atoi(s: Any) -> int:
    n = go_atoi(arg_str("sprig.atoi", s))
    return 0 if n is None else n


def _sprig_from_json(s: Any) -> Any:
    try:
        return from_json(arg_str("sprig.fromJson", s))
    except ExpressionError as e:
        if e.cause.startswith("sprig."):
            raise
        return None


def _sprig_must_from_json(s: Any) -> Any:
    return from_json(arg_str("sprig.mustFromJson", s))


def _sprig_to_json(v: Any) -> str:
    try:
        return to_json(v)
    except ExpressionError:
        return ""


def _int_div(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    q = abs(a) // abs(b)
    return wrap_int64(q if (a >= 0) == (b >= 0) else -q)


def _int_mod(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    return go_int_rem(a, b)


def _sprig_add(*xs: Any) -> int:
    total = 0
    for x in xs:
        total = wrap_int64(total + _cast_int(x))
    return total


def _sprig_mul(a: Any, *xs: Any) -> int:
    total = _cast_int(a)
    for x in xs:
        total = wrap_int64(total * _cast_int(x))
    return total


def _sprig_max(a: Any, *xs: Any) -> int:
    return max([_cast_int(a)] + [_cast_int(x) for x in xs])


def _sprig_min(a: Any, *xs: Any) -> int:
    return min([_cast_int(a)] + [_cast_int(x) for x in xs])


def _sprig_round(a: Any, p: Any, r_opt: Any = 0.5) -> float:
    val = _cast_float(a)
    p = _cast_int(p)
    r = _cast_float(r_opt)
    pow_ = math.pow(10, p)
    digit = pow_ * val
    _, div = math.modf(digit)
    if div >= r:
        rounder = math.ceil(digit)
    else:
        rounder = math.floor(digit)
    return rounder / pow_


def _sprig_dict(*kv: Any) -> dict[Any, Any]:
    out = {}
    for i in range(0, len(kv), 2):
        k = _strval(kv[i])
        out[k] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _sprig_get(d: Any, key: Any) -> Any:
    d = arg_map("sprig.get", d)
    key = arg_str("sprig.get", key, 2)
    return d[key] if key in d else ""


def _sprig_set(d: Any, key: Any, value: Any) -> dict[Any, Any]:
    d = arg_map("sprig.set", d)
    d[arg_str("sprig.set", key, 2)] = value
    return d


def _sprig_has_key(d: Any, key: Any) -> bool:
    return arg_str("sprig.hasKey", key, 2) in arg_map("sprig.hasKey", d)


def _sprig_keys(*ds: Any) -> list[Any]:
    out: list[Any] = []
    for d in ds:
        out.extend(arg_map("sprig.keys", d))
    return sorted(out)


def _sprig_values(d: Any) -> list[Any]:
    m = arg_map("sprig.values", d)
    return [m[k] for k in sorted(m)]


def _sprig_pick(d: Any, *keys: Any) -> dict[Any, Any]:
    m = arg_map("sprig.pick", d)
    return {k: m[k] for k in keys if k in m}


def _sprig_omit(d: Any, *keys: Any) -> dict[Any, Any]:
    m = arg_map("sprig.omit", d)
    return {k: v for k, v in m.items() if k not in keys}


def _sprig_list_fn(name: str, op: Callable[[list[Any]], Any]) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        return op(arg_list(name, v))
    return f


def _sprig_default(d: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return d
    return given[0]


def _sprig_coalesce(*vs: Any) -> Any:
    for v in vs:
        if not _empty(v):
            return v
    return None


def _sprig_ternary(vt: Any, vf: Any, cond: Any) -> Any:
    if type(cond) is not bool:
        raise fail("sprig.ternary", f"argument 3 must be a bool, got {type_name(cond)}")
    return vt if cond else vf


def _sprig_fail(msg: Any) -> Any:
    raise fail("sprig.fail", _strval(msg))


def _sprig_split(sep: Any, s: Any) -> dict[Any, Any]:
    parts = go_split(arg_str("sprig.split", s, 2), arg_str("sprig.split", sep, 1))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _sprig_splitn(sep: Any, n: Any, s: Any) -> dict[Any, Any]:
    parts = go_split(arg_str("sprig.splitn", s, 3), arg_str("sprig.splitn", sep, 1),
                     arg_int("sprig.splitn", n, 2))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _sprig_substr(start: Any, end: Any, s: Any) -> str:
    start = arg_int("sprig.substr", start, 1)
    end = arg_int("sprig.substr", end, 2)
    s = arg_str("sprig.substr", s, 3)
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


def _sprig_trunc(c: Any, s: Any) -> str:
    c = arg_int("sprig.trunc", c, 1)
    s = arg_str("sprig.trunc", s, 2)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c:]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _sprig_indent(n: Any, s: Any) -> str:
    pad = " " * check_size(arg_int("sprig.indent", n, 1), "sprig.indent", "characters")
    return pad + arg_str("sprig.indent", s, 2).replace("\n", "\n" + pad)


def _sprig_regex_match(regex: Any, s: Any) -> bool:
    """Sprig drops the compile error of a bad pattern: no match."""
    s = arg_str("sprig.regexMatch", s, 2)
    try:
        rx = go_regex(arg_str("sprig.regexMatch", regex))
    except ExpressionError:
        return False
    return rx.search(s)


def _sprig_regex_find_all(regex: Any, s: Any, n: Any) -> list[str]:
    return go_regex(arg_str("sprig.regexFindAll", regex)).find_all(
        arg_str("sprig.regexFindAll", s, 2), arg_int("sprig.regexFindAll", n, 3))


def _sprig_regex_find(regex: Any, s: Any) -> str:
    return go_regex(arg_str("sprig.regexFind", regex)).find(arg_str("sprig.regexFind", s, 2))


def _sprig_regex_replace_all(regex: Any, s: Any, repl: Any) -> str:
    return go_regex(arg_str("sprig.regexReplaceAll", regex)).replace_all(
        arg_str("sprig.regexReplaceAll", s, 2), arg_str("sprig.regexReplaceAll", repl, 3))


def _sprig_regex_replace_all_literal(regex: Any, s: Any, repl: Any) -> str:
    return go_regex(arg_str("sprig.regexReplaceAllLiteral", regex)).replace_all(
        arg_str("sprig.regexReplaceAllLiteral", s, 2),
        arg_str("sprig.regexReplaceAllLiteral", repl, 3), literal=True)


def _sprig_regex_split(regex: Any, s: Any, n: Any) -> list[str]:
    return go_regex(arg_str("sprig.regexSplit", regex)).split(
        arg_str("sprig.regexSplit", s, 2), arg_int("sprig.regexSplit", n, 3))


def _sprig_b64dec(s: Any) -> str:
    try:
        return base64.b64decode(arg_str("sprig.b64dec", s).encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)


def _s1(name: str, op: Callable[[str], Any]) -> Func:
    return Func(lambda s: op(arg_str(name, s)), 1, 1)


def _sprig_without(lst: Any, *omit: Any) -> list[Any]:
    return [x for x in arg_list("sprig.without", lst) if not any(values_equal(x, o) for o in omit)]


def _sprig_has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(values_equal(needle, x) for x in arg_list("sprig.has", haystack))


def _sprig_slice(lst: Any, *idx: Any) -> list[Any]:
    items = arg_list("sprig.slice", lst)
    if not idx:
        return items
    a = _cast_int(idx[0])
    b = _cast_int(idx[1]) if len(idx) > 1 else len(items)
    return items[a:b]


SPRIG: dict[str, Func] = {
    # numbers and conversions
    "untilStep": Func(_until_step, 3, 3),
    "until": Func(_until, 1, 1),
    "atoi": Func(_sprig_atoi, 1, 1),
    "int": Func(_cast_int, 1, 1),
    "int64": Func(_cast_int, 1, 1),
    "float64": Func(_cast_float, 1, 1),
    "toString": Func(_strval, 1, 1),
    "toStrings": Func(_strslice, 1, 1),
    "toDecimal": Func(lambda v: _cast_int(v) if type(v) is not str else
                      (int(v, 8) if re.fullmatch(r"[0-7]+", v) else 0), 1, 1),
    "add": Func(_sprig_add, 0, None),
    "add1": Func(lambda a: wrap_int64(_cast_int(a) + 1), 1, 1),
    "sub": Func(lambda a, b: wrap_int64(_cast_int(a) - _cast_int(b)), 2, 2),
    "mul": Func(_sprig_mul, 1, None),
    "div": Func(lambda a, b: _int_div("sprig.div", _cast_int(a), _cast_int(b)), 2, 2),
    "mod": Func(lambda a, b: _int_mod("sprig.mod", _cast_int(a), _cast_int(b)), 2, 2),
    "max": Func(_sprig_max, 1, None),
    "min": Func(_sprig_min, 1, None),
    "addf": Func(lambda *xs: sum((_cast_float(x) for x in xs), 0.0), 0, None),
    "add1f": Func(lambda a: _cast_float(a) + 1, 1, 1),
    "subf": Func(lambda a, *xs: _cast_float(a) - sum(_cast_float(x) for x in xs), 1, None),
    "mulf": Func(lambda a, *xs: functools.reduce(lambda p, x: p * _cast_float(x), xs,
                                                 _cast_float(a)), 1, None),
    "divf": Func(lambda a, *xs: functools.reduce(
        lambda p, x: p / _cast_float(x) if _cast_float(x) else math.copysign(math.inf, p)
        if p else math.nan, xs, _cast_float(a)), 1, None),
    "maxf": Func(lambda a, *xs: max([_cast_float(a)] + [_cast_float(x) for x in xs]), 1, None),
    "minf": Func(lambda a, *xs: min([_cast_float(a)] + [_cast_float(x) for x in xs]), 1, None),
    "floor": Func(lambda a: float(math.floor(_cast_float(a))), 1, 1),
    "ceil": Func(lambda a: float(math.ceil(_cast_float(a))), 1, 1),
    "round": Func(_sprig_round, 2, 3),
    # JSON
    "fromJson": Func(_sprig_from_json, 1, 1),
    "mustFromJson": Func(_sprig_must_from_json, 1, 1),
    "toJson": Func(_sprig_to_json, 1, 1),
    "mustToJson": Func(to_json, 1, 1),
    "toPrettyJson": Func(lambda v: to_json(v, indent="  "), 1, 1),
    "mustToPrettyJson": Func(lambda v: to_json(v, indent="  "), 1, 1),
    # strings (Sprig puts the subject string last)
    "trim": _s1("sprig.trim", lambda s: s.strip(" \t\n\r\v\f\x85\xa0")),
    "trimAll": Func(lambda c, s: arg_str("sprig.trimAll", s, 2).strip(arg_str("sprig.trimAll", c)),
                    2, 2),
    "trimPrefix": Func(lambda p, s: arg_str("sprig.trimPrefix", s, 2).removeprefix(
        arg_str("sprig.trimPrefix", p)), 2, 2),
    "trimSuffix": Func(lambda p, s: arg_str("sprig.trimSuffix", s, 2).removesuffix(
        arg_str("sprig.trimSuffix", p)), 2, 2),
    "upper": _s1("sprig.upper", str.upper),
    "lower": _s1("sprig.lower", str.lower),
    "title": _s1("sprig.title", lambda s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) +
                                                 m.group(2).upper(), s)),
    "nospace": _s1("sprig.nospace", lambda s: "".join(s.split())),
    "replace": Func(lambda o, n, s: arg_str("sprig.replace", s, 3).replace(
        arg_str("sprig.replace", o, 1), arg_str("sprig.replace", n, 2)), 3, 3),
    "contains": Func(lambda sub, s: arg_str("sprig.contains", sub, 1) in
                     arg_str("sprig.contains", s, 2), 2, 2),
    "hasPrefix": Func(lambda p, s: arg_str("sprig.hasPrefix", s, 2).startswith(
        arg_str("sprig.hasPrefix", p, 1)), 2, 2),
    "hasSuffix": Func(lambda p, s: arg_str("sprig.hasSuffix", s, 2).endswith(
        arg_str("sprig.hasSuffix", p, 1)), 2, 2),
    "repeat": Func(lambda n, s: repeat("sprig.repeat", s, 2, n, 1), 2, 2),
    "substr": Func(_sprig_substr, 3, 3),
    "trunc": Func(_sprig_trunc, 2, 2),
    "indent": Func(_sprig_indent, 2, 2),
    "nindent": Func(lambda n, s: "\n" + _sprig_indent(n, s), 2, 2),
    "quote": Func(lambda *xs: " ".join(to_json(_strval(x)).replace("\\u003c", "<")
                                       .replace("\\u003e", ">").replace("\\u0026", "&")
                                       for x in xs if x is not None), 0, None),
    "squote": Func(lambda *xs: " ".join("'" + _strval(x) + "'" for x in xs if x is not None),
                   0, None),
    "cat": Func(lambda *xs: " ".join(_strval(x) for x in xs if x is not None), 0, None),
    "split": Func(_sprig_split, 2, 2),
    "splitn": Func(_sprig_splitn, 3, 3),
    "splitList": Func(lambda sep, s: go_split(arg_str("sprig.splitList", s, 2),
                                              arg_str("sprig.splitList", sep, 1)), 2, 2),
    "join": Func(lambda sep, v: arg_str("sprig.join", sep).join(_strslice(v)), 2, 2),
    "sortAlpha": Func(lambda v: sorted(_strslice(v)), 1, 1),
    "b64enc": _s1("sprig.b64enc", lambda s: base64.b64encode(s.encode()).decode()),
    "b64dec": Func(_sprig_b64dec, 1, 1),
    "regexMatch": Func(_sprig_regex_match, 2, 2),
    "regexFind": Func(_sprig_regex_find, 2, 2),
    "regexFindAll": Func(_sprig_regex_find_all, 3, 3),
    "regexReplaceAll": Func(_sprig_regex_replace_all, 3, 3),
    "regexReplaceAllLiteral": Func(_sprig_regex_replace_all_literal, 3, 3),
    "regexSplit": Func(_sprig_regex_split, 3, 3),
    # lists and dicts
    "list": Func(lambda *xs: list(xs), 0, None),
    "dict": Func(_sprig_dict, 0, None),
    "get": Func(_sprig_get, 2, 2),
    "set": Func(_sprig_set, 3, 3),
    "unset": Func(lambda d, k: (arg_map("sprig.unset", d).pop(arg_str("sprig.unset", k, 2), None),
                                d)[1], 2, 2),
    "hasKey": Func(_sprig_has_key, 2, 2),
    "keys": Func(_sprig_keys, 0, None),
    "values": Func(_sprig_values, 1, 1),
    "pick": Func(_sprig_pick, 1, None),
    "omit": Func(_sprig_omit, 1, None),
    "first": Func(_sprig_list_fn("sprig.first", lambda v: v[0] if v else None), 1, 1),
    "last": Func(_sprig_list_fn("sprig.last", lambda v: v[-1] if v else None), 1, 1),
    "rest": Func(_sprig_list_fn("sprig.rest", lambda v: v[1:]), 1, 1),
    "initial": Func(_sprig_list_fn("sprig.initial", lambda v: v[:-1]), 1, 1),
    "reverse": Func(_sprig_list_fn("sprig.reverse", lambda v: v[::-1]), 1, 1),
    "uniq": Func(unique, 1, 1),
    "compact": Func(_sprig_list_fn("sprig.compact", lambda v: [x for x in v if not _empty(x)]),
                    1, 1),
    "append": Func(lambda v, x: arg_list("sprig.append", v) + [x], 2, 2),
    "push": Func(lambda v, x: arg_list("sprig.push", v) + [x], 2, 2),
    "prepend": Func(lambda v, x: [x] + arg_list("sprig.prepend", v), 2, 2),
    "concat": Func(lambda *vs: [x for v in vs for x in arg_list("sprig.concat", v)], 0, None),
    "without": Func(_sprig_without, 1, None),
    "has": Func(_sprig_has, 2, 2),
    "slice": Func(_sprig_slice, 1, 3),
    # flow
    "default": Func(_sprig_default, 1, None),
    "empty": Func(_empty, 1, 1),
    "coalesce": Func(_sprig_coalesce, 0, None),
    "ternary": Func(_sprig_ternary, 3, 3),
    "fail": Func(_sprig_fail, 1, 1),
}

SPRIG_NAMESPACE = Namespace("sprig", SPRIG)

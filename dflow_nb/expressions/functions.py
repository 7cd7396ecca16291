"""The functions expressions may call: expr-lang's builtins, Argo's extras (``asInt``,
``asFloat``, ``toJson``, ``jsonpath``) and the Sprig functions under ``sprig.``.

Each function takes already-evaluated arguments and returns a JSON-like value. Failures raise
ExpressionError with a message naming the function; the evaluator adds the position.
Predicate builtins (``map``, ``filter``, ``all``...) need the evaluator and live there.

Where Go would panic on an argument of the wrong Go type (Sprig's typed parameters, called by
reflection), we raise too. Where Go iterates a map in random order (``keys``, ``values``) we
sort by key, for determinism.
"""
from __future__ import annotations

import base64
import functools
import math
import re
from typing import Any, Callable, NamedTuple, Optional

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._scope import MISSING, ScopeView
from dflow_nb.expressions._values import from_json, go_sprint, plain, to_json, type_name, values_equal

__all__ = ["Func", "BUILTINS", "SPRIG", "Namespace", "UNSUPPORTED", "go_regex",
           "as_int", "as_float", "less"]

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class Func(NamedTuple):
    """A callable with its arity (max_args None = variadic)."""
    fn: Callable[..., Any]
    min_args: int
    max_args: Optional[int]


class Namespace:
    """A map of functions seen as a value (``sprig``): members are functions."""

    __slots__ = ("name", "funcs")

    def __init__(self, name: str, funcs: dict[str, Func]) -> None:
        self.name = name
        self.funcs = funcs

    def __repr__(self) -> str:
        return f"<{self.name} functions>"


def fail(name: str, msg: str) -> ExpressionError:
    return ExpressionError(f"{name}: {msg}")


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


def _wrap64(n: int) -> int:
    if INT64_MIN <= n <= INT64_MAX:
        return n
    return ((n - INT64_MIN) % (1 << 64)) + INT64_MIN


def _seq(name: str, v: Any) -> list:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return list(v)
    raise fail(name, f"expected an array, got {type_name(v)} {go_sprint(v)!r}")


def _map(name: str, v: Any) -> dict:
    v = plain(v)
    if isinstance(v, dict):
        return v
    raise fail(name, f"expected a map, got {type_name(v)}")


def _str(name: str, v: Any, i: int = 1) -> str:
    if type(v) is str:
        return v
    raise fail(name, f"argument {i} must be a string, got {type_name(v)} {go_sprint(v)!r}")


def _int(name: str, v: Any, i: int = 1) -> int:
    if type(v) is int:
        return v
    raise fail(name, f"argument {i} must be an int, got {type_name(v)} {go_sprint(v)!r}")


def less(a: Any, b: Any, op: str = "<") -> bool:
    """expr-lang ordering: numbers with numbers, strings with strings."""
    if _is_num(a) and _is_num(b):
        if type(a) is not type(b):
            return float(a) < float(b)
        return a < b
    if type(a) is str and type(b) is str:
        return a < b
    raise ExpressionError(f"invalid operation: {op} (mismatched types {type_name(a)} "
                          f"and {type_name(b)})")


# ---------------------------------------------------------------- conversions

_ATOI = re.compile(r"[+-]?[0-9]+\Z")


def _go_atoi(s: str) -> Optional[int]:
    if not _ATOI.match(s):
        return None
    n = int(s)
    return n if INT64_MIN <= n <= INT64_MAX else None


_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|"
                       r"inf|infinity|nan)\Z", re.IGNORECASE)
_GO_HEXFLOAT = re.compile(r"[+-]?0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?[0-9]+\Z")


def _go_parse_float(s: str) -> Optional[float]:
    if _GO_FLOAT.match(s):
        try:
            return float(s)
        except (ValueError, OverflowError):
            return None
    if _GO_HEXFLOAT.match(s):
        try:
            return float.fromhex(s)
        except (ValueError, OverflowError):
            return None
    return None


def _trunc(f: float) -> int:
    if math.isnan(f) or math.isinf(f):
        return INT64_MIN  # what Go's int(NaN/Inf) gives on amd64
    return _wrap64(int(f))


def as_int(v: Any, name: str = "int") -> int:
    """expr-lang ``int()`` (Argo's ``asInt``): ints as-is, floats truncated, strings parsed as
    base-10 integers (``"3.0"`` is an error, as in Go's strconv.Atoi)."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        return _trunc(v)
    if t is str:
        n = _go_atoi(v)
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
        f = _go_parse_float(v)
        if f is None:
            raise fail(name, f"cannot parse {v!r} as a number")
        return f
    raise fail(name, f"cannot convert {type_name(v)} {go_sprint(v)!r} to a number")


def _string(v: Any) -> str:
    return go_sprint(v)


# ---------------------------------------------------------------- expr-lang builtins

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
    s = _str("trim", s)
    if cutset is None:
        return s.strip(" \t\n\r\v\f\x85\xa0")
    return s.strip(_str("trim", cutset, 2))


def _go_split(s: str, sep: str, n: int = -1, after: bool = False) -> list:
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[:n - 1] + ["".join(chars[n - 1:])]
        return chars
    parts = s.split(sep) if n < 0 else s.split(sep, n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + parts[-1:]
    return parts


def _split(s: Any, sep: Any, n: Any = -1) -> list:
    return _go_split(_str("split", s), _str("split", sep, 2), _int("split", n, 3))


def _split_after(s: Any, sep: Any, n: Any = -1) -> list:
    return _go_split(_str("splitAfter", s), _str("splitAfter", sep, 2),
                     _int("splitAfter", n, 3), after=True)


def _join(arr: Any, sep: Any = "") -> str:
    items = _seq("join", arr)
    _str("join", sep, 2)
    out = []
    for x in items:
        if type(x) is not str:
            raise fail("join", f"array elements must be strings, got {type_name(x)}")
        out.append(x)
    return sep.join(out)


def _extreme(name: str, pick_first: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        items: list = []
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


def _sum(arr: Any) -> Any:
    total: Any = 0
    for x in _seq("sum", arr):
        if not _is_num(x):
            raise fail("sum", f"invalid element of type {type_name(x)}")
        total = _wrap64(total + x) if type(total) is int and type(x) is int else total + x
    return total


def _mean(arr: Any) -> float:
    items = _seq("mean", arr)
    if not items:
        return 0.0
    for x in items:
        if not _is_num(x):
            raise fail("mean", f"invalid element of type {type_name(x)}")
    return sum(float(x) for x in items) / len(items)


def _median(arr: Any) -> float:
    items = _seq("median", arr)
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


def _take(arr: Any, n: Any) -> list:
    return _seq("take", arr)[:max(_int("take", n, 2), 0)]


def _keys(m: Any) -> list:
    return sorted(_map("keys", m))


def _values(m: Any) -> list:
    d = _map("values", m)
    return [d[k] for k in sorted(d)]


def _to_pairs(m: Any) -> list:
    d = _map("toPairs", m)
    return [[k, d[k]] for k in sorted(d)]


def _from_pairs(arr: Any) -> dict:
    out = {}
    for p in _seq("fromPairs", arr):
        p = plain(p)
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise fail("fromPairs", "expected an array of [key, value] pairs")
        out[p[0]] = p[1]
    return out


def _sort(arr: Any, order: Any = "asc") -> list:
    items = _seq("sort", arr)
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


def _reverse(arr: Any) -> list:
    return _seq("reverse", arr)[::-1]


def _uniq(arr: Any) -> list:
    out: list = []
    for x in _seq("uniq", arr):
        if not any(values_equal(x, y) for y in out):
            out.append(x)
    return out


def _flatten(arr: Any) -> list:
    out: list = []

    def walk(xs: list) -> None:
        for x in xs:
            x = plain(x)
            if isinstance(x, (list, tuple)):
                walk(list(x))
            else:
                out.append(x)
    walk(_seq("flatten", arr))
    return out


def _concat(*arrs: Any) -> list:
    out: list = []
    for a in arrs:
        out.extend(_seq("concat", a))
    return out


def _to_json_indent(v: Any) -> str:
    return to_json(v, indent="  ")


def _from_json(s: Any) -> Any:
    return from_json(_str("fromJSON", s))


def _to_base64(s: Any) -> str:
    return base64.b64encode(_str("toBase64", s).encode()).decode()


def _from_base64(s: Any) -> str:
    try:
        return base64.b64decode(_str("fromBase64", s).encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        raise fail("fromBase64", str(e)) from None


def _index_of(s: Any, sub: Any) -> int:
    return _str("indexOf", s).find(_str("indexOf", sub, 2))


def _last_index_of(s: Any, sub: Any) -> int:
    return _str("lastIndexOf", s).rfind(_str("lastIndexOf", sub, 2))


def _type(v: Any) -> str:
    return type_name(v)


def _toJson(v: Any) -> str:
    return to_json(v)


# ---------------------------------------------------------------- jsonpath

_JP_TOKEN = re.compile(r"""
    \.\.(?P<deep>[A-Za-z_$][\w$-]*|\*)        # ..key  ..*
  | \.(?P<key>[A-Za-z_$][\w$-]*|\*)           # .key  .*
  | \[\s*(?P<br>[^\]]*?)\s*\]                 # [...]
""", re.VERBOSE)


def _jp_bracket(text: str, path: str) -> tuple[str, Any]:
    """Classify a bracket selector: ('keys', [...]) / ('index', [...]) / ('slice', ...) / ('all')."""
    if text == "*":
        return "all", None
    if text.startswith("?"):
        raise fail("jsonpath", f"filter expressions are not supported in {path!r}")
    parts = [p.strip() for p in _split_top(text)]
    if all(len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"" for p in parts):
        return "keys", [p[1:-1] for p in parts]
    if len(parts) == 1 and ":" in parts[0]:
        bits = parts[0].split(":")
        try:
            nums = [int(b) if b.strip() else None for b in bits]
        except ValueError:
            raise fail("jsonpath", f"bad slice [{text}] in {path!r}") from None
        return "slice", nums
    try:
        return "index", [int(p) for p in parts]
    except ValueError:
        raise fail("jsonpath", f"bad selector [{text}] in {path!r}") from None


def _split_top(text: str) -> list[str]:
    out, cur, quote = [], "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch == ",":
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _jp_child(v: Any, key: str, path: str) -> Any:
    v = plain(v)
    if isinstance(v, dict):
        if key not in v:
            raise fail("jsonpath", f"key {key!r} not found (path {path!r})")
        return v[key]
    raise fail("jsonpath", f"cannot get key {key!r} of {type_name(v)} (path {path!r})")


def _jp_index(v: Any, i: int, path: str) -> Any:
    v = plain(v)
    if not isinstance(v, (list, tuple)):
        raise fail("jsonpath", f"cannot index {type_name(v)} with [{i}] (path {path!r})")
    j = i + len(v) if i < 0 else i
    if not 0 <= j < len(v):
        raise fail("jsonpath", f"index {i} out of range, length is {len(v)} (path {path!r})")
    return v[j]


def _jp_all(v: Any) -> list:
    v = plain(v)
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return list(v)
    return []


def _jp_deep(v: Any, key: str, out: list) -> None:
    v = plain(v)
    if isinstance(v, dict):
        for k in sorted(v):
            if key == "*" or k == key:
                out.append(v[k])
        for k in sorted(v):
            _jp_deep(v[k], key, out)
    elif isinstance(v, (list, tuple)):
        for x in v:
            if key == "*":
                out.append(x)
            _jp_deep(x, key, out)


@functools.lru_cache(maxsize=512)
def _jp_compile(path: str) -> tuple:
    if not path.startswith("$"):
        raise fail("jsonpath", f"path must start with '$', got {path!r}")
    steps = []
    pos = 1
    while pos < len(path):
        m = _JP_TOKEN.match(path, pos)
        if not m:
            raise fail("jsonpath", f"cannot parse {path!r} at {path[pos:]!r}")
        if m.group("deep") is not None:
            steps.append(("deep", m.group("deep")))
        elif m.group("key") is not None:
            k = m.group("key")
            steps.append(("all", None) if k == "*" else ("keys", [k]))
        else:
            steps.append(_jp_bracket(m.group("br"), path))
        pos = m.end()
    return tuple(steps)


def jsonpath(data: Any, path: Any) -> Any:
    """Argo's ``jsonpath(json, path)``: parse ``json`` if it is a string, then select. Supports
    ``$``, ``.key``, ``['key']``, ``[n]`` (negative from the end), ``[a:b]``, ``[*]``, ``.*``,
    unions ``[0,2]`` and ``..key``. A single selector path returns one value; once a
    wildcard, slice, union or ``..`` is used the result is a list."""
    path = _str("jsonpath", path, 2)
    if type(data) is str:
        data = from_json(data)
    values = [data]
    multi = False
    for kind, arg in _jp_compile(path):
        nxt: list = []
        for v in values:
            if kind == "keys":
                if len(arg) > 1:
                    multi = True
                    d = plain(v)
                    nxt.extend(d[k] for k in arg if isinstance(d, dict) and k in d)
                else:
                    nxt.append(_jp_child(v, arg[0], path))
            elif kind == "index":
                if len(arg) > 1:
                    multi = True
                nxt.extend(_jp_index(v, i, path) for i in arg)
            elif kind == "slice":
                multi = True
                seq = plain(v)
                if not isinstance(seq, (list, tuple)):
                    raise fail("jsonpath", f"cannot slice {type_name(seq)} (path {path!r})")
                nums = (arg + [None, None])[:3]
                nxt.extend(list(seq)[slice(nums[0], nums[1], nums[2] or None)])
            elif kind == "all":
                multi = True
                nxt.extend(_jp_all(v))
            else:  # deep
                multi = True
                _jp_deep(v, arg, nxt)
        values = nxt
    if multi:
        return values
    return values[0]


# ---------------------------------------------------------------- regex

@functools.lru_cache(maxsize=256)
def go_regex(pattern: str) -> "re.Pattern[str]":
    """Compile a Go (RE2) regular expression with Python's re (the common subset)."""
    py = pattern.replace("\\z", "\\Z")
    try:
        return re.compile(py)
    except re.error as e:
        raise ExpressionError(f"invalid regular expression {pattern!r}: {e}") from None


# ---------------------------------------------------------------- sprig

def _cast_int(v: Any) -> int:
    """spf13/cast ToInt64 as Sprig uses it: lenient, 0 on failure."""
    t = type(v)
    if t is int:
        return v
    if t is bool:
        return 1 if v else 0
    if t is float:
        return _trunc(v)
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
        f = _go_parse_float(v)
        return 0.0 if f is None else f
    return 0.0


def _strval(v: Any) -> str:
    return v if type(v) is str else go_sprint(v)


def _strslice(v: Any) -> list:
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


def _until_step(start: Any, stop: Any, step: Any) -> list:
    start = _int("sprig.untilStep", start, 1)
    stop = _int("sprig.untilStep", stop, 2)
    step = _int("sprig.untilStep", step, 3)
    if step == 0 or (stop < start and step > 0) or (stop >= start and step < 0):
        return []
    return list(range(start, stop, step))


def _until(count: Any) -> list:
    count = _int("sprig.until", count)
    return _until_step(0, count, -1 if count < 0 else 1)


def _sprig_atoi(s: Any) -> int:
    n = _go_atoi(_str("sprig.atoi", s))
    return 0 if n is None else n


def _sprig_from_json(s: Any) -> Any:
    try:
        return from_json(_str("sprig.fromJson", s))
    except ExpressionError as e:
        if e.cause.startswith("sprig."):
            raise
        return None


def _sprig_must_from_json(s: Any) -> Any:
    return from_json(_str("sprig.mustFromJson", s))


def _sprig_to_json(v: Any) -> str:
    try:
        return to_json(v)
    except ExpressionError:
        return ""


def _int_div(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    q = abs(a) // abs(b)
    return _wrap64(q if (a >= 0) == (b >= 0) else -q)


def _int_mod(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _sprig_add(*xs: Any) -> int:
    total = 0
    for x in xs:
        total = _wrap64(total + _cast_int(x))
    return total


def _sprig_mul(a: Any, *xs: Any) -> int:
    total = _cast_int(a)
    for x in xs:
        total = _wrap64(total * _cast_int(x))
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


def _sprig_dict(*kv: Any) -> dict:
    out = {}
    for i in range(0, len(kv), 2):
        k = _strval(kv[i])
        out[k] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _sprig_get(d: Any, key: Any) -> Any:
    d = _map("sprig.get", d)
    key = _str("sprig.get", key, 2)
    return d[key] if key in d else ""


def _sprig_set(d: Any, key: Any, value: Any) -> dict:
    d = _map("sprig.set", d)
    d[_str("sprig.set", key, 2)] = value
    return d


def _sprig_has_key(d: Any, key: Any) -> bool:
    return _str("sprig.hasKey", key, 2) in _map("sprig.hasKey", d)


def _sprig_keys(*ds: Any) -> list:
    out: list = []
    for d in ds:
        out.extend(_map("sprig.keys", d))
    return sorted(out)


def _sprig_values(d: Any) -> list:
    m = _map("sprig.values", d)
    return [m[k] for k in sorted(m)]


def _sprig_pick(d: Any, *keys: Any) -> dict:
    m = _map("sprig.pick", d)
    return {k: m[k] for k in keys if k in m}


def _sprig_omit(d: Any, *keys: Any) -> dict:
    m = _map("sprig.omit", d)
    return {k: v for k, v in m.items() if k not in keys}


def _sprig_list_fn(name: str, op: Callable[[list], Any]) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        return op(_seq(name, v))
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


def _sprig_split(sep: Any, s: Any) -> dict:
    parts = _go_split(_str("sprig.split", s, 2), _str("sprig.split", sep, 1))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _sprig_splitn(sep: Any, n: Any, s: Any) -> dict:
    parts = _go_split(_str("sprig.splitn", s, 3), _str("sprig.splitn", sep, 1),
                      _int("sprig.splitn", n, 2))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _sprig_substr(start: Any, end: Any, s: Any) -> str:
    start = _int("sprig.substr", start, 1)
    end = _int("sprig.substr", end, 2)
    s = _str("sprig.substr", s, 3)
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


def _sprig_trunc(c: Any, s: Any) -> str:
    c = _int("sprig.trunc", c, 1)
    s = _str("sprig.trunc", s, 2)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c:]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _sprig_indent(n: Any, s: Any) -> str:
    pad = " " * _int("sprig.indent", n, 1)
    return pad + _str("sprig.indent", s, 2).replace("\n", "\n" + pad)


def _sprig_regex_find_all(regex: Any, s: Any, n: Any) -> list:
    found = [m.group(0) for m in go_regex(_str("sprig.regexFindAll", regex)).finditer(
        _str("sprig.regexFindAll", s, 2))]
    n = _int("sprig.regexFindAll", n, 3)
    return found if n < 0 else found[:n]


def _sprig_regex_find(regex: Any, s: Any) -> str:
    m = go_regex(_str("sprig.regexFind", regex)).search(_str("sprig.regexFind", s, 2))
    return m.group(0) if m else ""


def _go_expand(repl: str) -> str:
    # Go's ${1} / $1 / $name -> Python's \g<1> / \g<name>
    out = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: "\\g<" + (m.group(1) or m.group(2)) + ">",
                 repl.replace("\\", "\\\\"))
    return out.replace("$$", "$")


def _sprig_regex_replace_all(regex: Any, s: Any, repl: Any) -> str:
    return go_regex(_str("sprig.regexReplaceAll", regex)).sub(
        _go_expand(_str("sprig.regexReplaceAll", repl, 3)), _str("sprig.regexReplaceAll", s, 2))


def _sprig_regex_replace_all_literal(regex: Any, s: Any, repl: Any) -> str:
    r = _str("sprig.regexReplaceAllLiteral", repl, 3)
    return go_regex(_str("sprig.regexReplaceAllLiteral", regex)).sub(
        lambda m: r, _str("sprig.regexReplaceAllLiteral", s, 2))


def _sprig_b64dec(s: Any) -> str:
    try:
        return base64.b64decode(_str("sprig.b64dec", s).encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)


def _s1(name: str, op: Callable[[str], Any]) -> Func:
    return Func(lambda s: op(_str(name, s)), 1, 1)


def _sprig_without(lst: Any, *omit: Any) -> list:
    return [x for x in _seq("sprig.without", lst) if not any(values_equal(x, o) for o in omit)]


def _sprig_has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(values_equal(needle, x) for x in _seq("sprig.has", haystack))


def _sprig_slice(lst: Any, *idx: Any) -> list:
    items = _seq("sprig.slice", lst)
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
    "add1": Func(lambda a: _wrap64(_cast_int(a) + 1), 1, 1),
    "sub": Func(lambda a, b: _wrap64(_cast_int(a) - _cast_int(b)), 2, 2),
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
    "trimAll": Func(lambda c, s: _str("sprig.trimAll", s, 2).strip(_str("sprig.trimAll", c)),
                    2, 2),
    "trimPrefix": Func(lambda p, s: _str("sprig.trimPrefix", s, 2).removeprefix(
        _str("sprig.trimPrefix", p)), 2, 2),
    "trimSuffix": Func(lambda p, s: _str("sprig.trimSuffix", s, 2).removesuffix(
        _str("sprig.trimSuffix", p)), 2, 2),
    "upper": _s1("sprig.upper", str.upper),
    "lower": _s1("sprig.lower", str.lower),
    "title": _s1("sprig.title", lambda s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) +
                                                 m.group(2).upper(), s)),
    "nospace": _s1("sprig.nospace", lambda s: "".join(s.split())),
    "replace": Func(lambda o, n, s: _str("sprig.replace", s, 3).replace(
        _str("sprig.replace", o, 1), _str("sprig.replace", n, 2)), 3, 3),
    "contains": Func(lambda sub, s: _str("sprig.contains", sub, 1) in
                     _str("sprig.contains", s, 2), 2, 2),
    "hasPrefix": Func(lambda p, s: _str("sprig.hasPrefix", s, 2).startswith(
        _str("sprig.hasPrefix", p, 1)), 2, 2),
    "hasSuffix": Func(lambda p, s: _str("sprig.hasSuffix", s, 2).endswith(
        _str("sprig.hasSuffix", p, 1)), 2, 2),
    "repeat": Func(lambda n, s: _str("sprig.repeat", s, 2) * max(_int("sprig.repeat", n), 0),
                   2, 2),
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
    "splitList": Func(lambda sep, s: _go_split(_str("sprig.splitList", s, 2),
                                               _str("sprig.splitList", sep, 1)), 2, 2),
    "join": Func(lambda sep, v: _str("sprig.join", sep).join(_strslice(v)), 2, 2),
    "sortAlpha": Func(lambda v: sorted(_strslice(v)), 1, 1),
    "b64enc": _s1("sprig.b64enc", lambda s: base64.b64encode(s.encode()).decode()),
    "b64dec": Func(_sprig_b64dec, 1, 1),
    "regexMatch": Func(lambda r, s: go_regex(_str("sprig.regexMatch", r)).search(
        _str("sprig.regexMatch", s, 2)) is not None, 2, 2),
    "regexFind": Func(_sprig_regex_find, 2, 2),
    "regexFindAll": Func(_sprig_regex_find_all, 3, 3),
    "regexReplaceAll": Func(_sprig_regex_replace_all, 3, 3),
    "regexReplaceAllLiteral": Func(_sprig_regex_replace_all_literal, 3, 3),
    "regexSplit": Func(lambda r, s, n: (lambda parts: parts if _int("sprig.regexSplit", n, 3)
                                        < 0 else parts[:n])(
        go_regex(_str("sprig.regexSplit", r)).split(_str("sprig.regexSplit", s, 2))), 3, 3),
    # lists and dicts
    "list": Func(lambda *xs: list(xs), 0, None),
    "dict": Func(_sprig_dict, 0, None),
    "get": Func(_sprig_get, 2, 2),
    "set": Func(_sprig_set, 3, 3),
    "unset": Func(lambda d, k: (_map("sprig.unset", d).pop(_str("sprig.unset", k, 2), None),
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
    "uniq": Func(lambda v: _uniq(v), 1, 1),
    "compact": Func(_sprig_list_fn("sprig.compact", lambda v: [x for x in v if not _empty(x)]),
                    1, 1),
    "append": Func(lambda v, x: _seq("sprig.append", v) + [x], 2, 2),
    "push": Func(lambda v, x: _seq("sprig.push", v) + [x], 2, 2),
    "prepend": Func(lambda v, x: [x] + _seq("sprig.prepend", v), 2, 2),
    "concat": Func(lambda *vs: [x for v in vs for x in _seq("sprig.concat", v)], 0, None),
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

BUILTINS: dict[str, Func] = {
    "len": Func(_len, 1, 1),
    "type": Func(_type, 1, 1),
    "abs": Func(_abs, 1, 1),
    "ceil": Func(_float_math("ceil", math.ceil), 1, 1),
    "floor": Func(_float_math("floor", math.floor), 1, 1),
    "round": Func(_float_math("round", _go_round), 1, 1),
    "int": Func(as_int, 1, 1),
    "float": Func(as_float, 1, 1),
    "string": Func(_string, 1, 1),
    "trim": Func(_trim, 1, 2),
    "trimPrefix": Func(lambda s, p=" ": _str("trimPrefix", s).removeprefix(
        _str("trimPrefix", p, 2)), 1, 2),
    "trimSuffix": Func(lambda s, p=" ": _str("trimSuffix", s).removesuffix(
        _str("trimSuffix", p, 2)), 1, 2),
    "upper": Func(lambda s: _str("upper", s).upper(), 1, 1),
    "lower": Func(lambda s: _str("lower", s).lower(), 1, 1),
    "split": Func(_split, 2, 3),
    "splitAfter": Func(_split_after, 2, 3),
    "replace": Func(lambda s, o, n: _str("replace", s).replace(_str("replace", o, 2),
                                                               _str("replace", n, 3)), 3, 3),
    "repeat": Func(lambda s, n: _str("repeat", s) * max(_int("repeat", n, 2), 0), 2, 2),
    "join": Func(_join, 1, 2),
    "indexOf": Func(_index_of, 2, 2),
    "lastIndexOf": Func(_last_index_of, 2, 2),
    "hasPrefix": Func(lambda s, p: _str("hasPrefix", s).startswith(_str("hasPrefix", p, 2)),
                      2, 2),
    "hasSuffix": Func(lambda s, p: _str("hasSuffix", s).endswith(_str("hasSuffix", p, 2)),
                      2, 2),
    "max": Func(_extreme("max", lambda x, best: less(best, x)), 1, None),
    "min": Func(_extreme("min", lambda x, best: less(x, best)), 1, None),
    "mean": Func(_mean, 1, 1),
    "median": Func(_median, 1, 1),
    "toJSON": Func(_to_json_indent, 1, 1),
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
    "uniq": Func(_uniq, 1, 1),
    "flatten": Func(_flatten, 1, 1),
    "concat": Func(_concat, 1, None),
    # Argo's extras (util/expr/env): asInt/asFloat are expr's int/float under another name
    "asInt": Func(lambda v: as_int(v, "asInt"), 1, 1),
    "asFloat": Func(lambda v: as_float(v, "asFloat"), 1, 1),
    "toJson": Func(_toJson, 1, 1),
    "jsonpath": Func(jsonpath, 2, 2),
}

# expr-lang builtins we deliberately leave out (non-deterministic or time-typed)
UNSUPPORTED = frozenset({"now", "date", "duration", "timezone"})

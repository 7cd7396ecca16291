"""Sprig's list, dict and type functions (``sprig.list``, ``sprig.dict``, ``sprig.merge``,
``sprig.dig``, ``sprig.chunk``, ``sprig.typeOf``...): ``LISTS``.

A list function given something that is not a list panics in Sprig (its ``must`` form returns
the error): both are an error here, naming the function. Go's types show as Go names them for
what a JSON value holds (``typeOf``: ``string``, ``int``, ``float64``, ``[]interface {}``,
``map[string]interface {}``).
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from dflow_nb.expressions._builtins import unique
from dflow_nb.expressions._func import Func, arg_int, arg_list, arg_map, arg_str, fail
from dflow_nb.expressions._go_time import GoTime
from dflow_nb.expressions._limits import check_size
from dflow_nb.expressions._sprig_cast import cast_int, empty, strval
from dflow_nb.expressions._values import plain, values_equal

__all__ = ["LISTS"]


def _dict(*kv: Any) -> dict[Any, Any]:
    out = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _get(d: Any, key: Any) -> Any:
    d = arg_map("sprig.get", d)
    key = arg_str("sprig.get", key, 2)
    return d[key] if key in d else ""


def _set(d: Any, key: Any, value: Any) -> dict[Any, Any]:
    d = arg_map("sprig.set", d)
    d[arg_str("sprig.set", key, 2)] = value
    return d


def _unset(d: Any, key: Any) -> dict[Any, Any]:
    d = arg_map("sprig.unset", d)
    d.pop(arg_str("sprig.unset", key, 2), None)
    return d


def _keys(*ds: Any) -> list[Any]:
    out: list[Any] = []
    for d in ds:
        out.extend(arg_map("sprig.keys", d))
    return sorted(out)


def _values(d: Any) -> list[Any]:
    m = arg_map("sprig.values", d)
    return [m[k] for k in sorted(m)]


def _pluck(key: Any, *ds: Any) -> list[Any]:
    key = arg_str("sprig.pluck", key)
    return [m[key] for m in (arg_map("sprig.pluck", d) for d in ds) if key in m]


def _merge(name: str, overwrite: bool) -> Func:
    """mergo.Merge: ``dst`` keeps its keys (recursively into maps) unless ``overwrite``; keys it
    lacks (or holds empty, for Merge) come from the sources in order."""
    def into(dst: dict[Any, Any], src: dict[Any, Any]) -> None:
        for k, v in src.items():
            mine = plain(dst.get(k))
            v = plain(v)
            if isinstance(mine, dict) and isinstance(v, dict):
                into(mine, v)
                dst[k] = mine
            elif k not in dst or (overwrite and not empty(v)) or empty(mine):
                dst[k] = copy.deepcopy(v)

    def f(dst: Any, *srcs: Any) -> dict[Any, Any]:
        d = arg_map(name, dst)
        for s in srcs:
            into(d, arg_map(name, s))
        return d
    return Func(f, 1, None)


def _dig(*ps: Any) -> Any:
    if len(ps) < 3:
        raise fail("sprig.dig", "needs at least three arguments: keys..., a default, a map")
    cur = arg_map("sprig.dig", ps[-1])
    default = ps[-2]
    keys = [arg_str("sprig.dig", k, i + 1) for i, k in enumerate(ps[:-2])]
    for i, k in enumerate(keys):
        if k not in cur:
            return default
        if i == len(keys) - 1:
            return cur[k]
        cur = arg_map("sprig.dig", cur[k])
    return default   # pragma: no cover


def _list_fn(op: Callable[[list[Any]], Any]) -> Callable[[str], Func]:
    """A one-list function, under a name (its error names it)."""
    return lambda name: Func(lambda v: op(arg_list(name, v)), 1, 1)


def _append(name: str) -> Func:
    return Func(lambda v, x: arg_list(name, v) + [x], 2, 2)


def _prepend(name: str) -> Func:
    return Func(lambda v, x: [x] + arg_list(name, v), 2, 2)


def _without(name: str) -> Func:
    return Func(lambda lst, *omit: [x for x in arg_list(name, lst)
                                    if not any(values_equal(x, o) for o in omit)], 1, None)


def _has(name: str) -> Func:
    def f(needle: Any, haystack: Any) -> bool:
        if haystack is None:
            return False
        return any(values_equal(needle, x) for x in arg_list(name, haystack))
    return Func(f, 2, 2)


def _slice(name: str) -> Func:
    def f(lst: Any, *idx: Any) -> list[Any]:
        items = arg_list(name, lst)
        a = cast_int(idx[0]) if idx else 0
        b = cast_int(idx[1]) if len(idx) > 1 else len(items)
        if not 0 <= a <= b <= len(items):
            raise fail(name, f"slice bounds out of range [{a}:{b}] with length {len(items)}")
        return items[a:b]
    return Func(f, 1, 3)


def _chunk(name: str) -> Func:
    def f(size: Any, lst: Any) -> list[Any]:
        n = arg_int(name, size, 1)
        items = arg_list(name, lst)
        if n <= 0:
            raise fail(name, f"chunk size must be positive, got {n}")
        return [items[i:i + n] for i in range(0, len(items), n)]
    return Func(f, 2, 2)


def _deep_copy(v: Any) -> Any:
    return copy.deepcopy(plain(v))


def go_type(v: Any) -> str:
    """Go's ``%T`` of what the value is in Argo's evaluator."""
    v = plain(v)
    if v is None:
        return "<nil>"
    t = type(v)
    names = {bool: "bool", int: "int", float: "float64", str: "string", list: "[]interface {}",
             tuple: "[]interface {}", dict: "map[string]interface {}", GoTime: "time.Time"}
    return names.get(t, "func" if callable(v) else t.__name__)


def _go_kind(v: Any) -> str:
    kind = go_type(v)
    return {"<nil>": "invalid", "[]interface {}": "slice", "map[string]interface {}": "map",
            "time.Time": "struct"}.get(kind, kind)


_FIRST = _list_fn(lambda v: v[0] if v else None)
_LAST = _list_fn(lambda v: v[-1] if v else None)
_REST = _list_fn(lambda v: v[1:])
_INITIAL = _list_fn(lambda v: v[:-1])
_REVERSE = _list_fn(lambda v: v[::-1])
_UNIQ = _list_fn(unique)
_COMPACT = _list_fn(lambda v: [x for x in v if not empty(x)])

LISTS: dict[str, Func] = {
    "list": Func(lambda *xs: list(xs), 0, None),
    "tuple": Func(lambda *xs: list(xs), 0, None),
    "dict": Func(_dict, 0, None),
    "get": Func(_get, 2, 2),
    "set": Func(_set, 3, 3),
    "unset": Func(_unset, 2, 2),
    "hasKey": Func(lambda d, k: arg_str("sprig.hasKey", k, 2) in arg_map("sprig.hasKey", d), 2, 2),
    "keys": Func(_keys, 0, None),
    "values": Func(_values, 1, 1),
    "pick": Func(lambda d, *ks: {k: v for k, v in arg_map("sprig.pick", d).items() if k in ks},
                 1, None),
    "omit": Func(lambda d, *ks: {k: v for k, v in arg_map("sprig.omit", d).items()
                                 if k not in ks}, 1, None),
    "pluck": Func(_pluck, 1, None),
    "dig": Func(_dig, 0, None),
    "merge": _merge("sprig.merge", False),
    "mustMerge": _merge("sprig.mustMerge", False),
    "mergeOverwrite": _merge("sprig.mergeOverwrite", True),
    "mustMergeOverwrite": _merge("sprig.mustMergeOverwrite", True),
    "deepCopy": Func(_deep_copy, 1, 1),
    "mustDeepCopy": Func(_deep_copy, 1, 1),
    "concat": Func(lambda *vs: [x for v in vs for x in arg_list("sprig.concat", v)], 0, None),
    "until": Func(lambda n: _until_step(0, n, -1 if arg_int("sprig.until", n) < 0 else 1,
                                        "sprig.until"), 1, 1),
    "untilStep": Func(lambda a, b, s: _until_step(a, b, s, "sprig.untilStep"), 3, 3),
    "seq": Func(lambda *ps: _seq(ps), 0, None),
    # reflection
    "typeOf": Func(go_type, 1, 1),
    "typeIs": Func(lambda t, v: arg_str("sprig.typeIs", t) == go_type(v), 2, 2),
    "typeIsLike": Func(lambda t, v: go_type(v) in (arg_str("sprig.typeIsLike", t), f"*{t}"),
                       2, 2),
    "kindOf": Func(_go_kind, 1, 1),
    "kindIs": Func(lambda k, v: arg_str("sprig.kindIs", k) == _go_kind(v), 2, 2),
    "deepEqual": Func(lambda a, b: go_type(a) == go_type(b) and values_equal(a, b), 2, 2),
}

for _name, _make in (("first", _FIRST), ("last", _LAST), ("rest", _REST), ("initial", _INITIAL),
                     ("reverse", _REVERSE), ("uniq", _UNIQ), ("compact", _COMPACT),
                     ("append", _append), ("push", _append), ("prepend", _prepend),
                     ("without", _without), ("has", _has), ("slice", _slice),
                     ("chunk", _chunk)):
    _must = "must" + _name[0].upper() + _name[1:]
    LISTS[_name] = _make("sprig." + _name)
    LISTS[_must] = _make("sprig." + _must)


def _until_step(start: Any, stop: Any, step: Any, name: str) -> list[Any]:
    start = arg_int(name, start, 1)
    stop = arg_int(name, stop, 2)
    step = arg_int(name, step, 3)
    if step == 0 or (stop < start and step > 0) or (stop >= start and step < 0):
        return []
    items = range(start, stop, step)
    check_size(len(items), name)
    return list(items)


def _seq(ps: tuple[Any, ...]) -> str:
    """Sprig's seq: like the shell's (``seq 5``, ``seq 0 2 10``), as one space-separated text."""
    nums = [arg_int("sprig.seq", p, i + 1) for i, p in enumerate(ps)]
    if len(nums) == 1:
        start, end, step = 1, nums[0], 1 if nums[0] >= 1 else -1
        items = _until_step(start, end + step, step, "sprig.seq")
    elif len(nums) == 2:
        start, end = nums
        step = 1 if end >= start else -1
        items = _until_step(start, end + step, step, "sprig.seq")
    elif len(nums) == 3:
        start, step, end = nums
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        items = _until_step(start, end + inc, step, "sprig.seq")
    else:
        return ""
    return " ".join(map(str, items))

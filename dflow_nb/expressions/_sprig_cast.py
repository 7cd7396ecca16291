"""How Sprig converts its arguments (spf13/cast, leniently: a bad number is 0) and what it
counts as empty; shared by every Sprig function family."""
from __future__ import annotations

import re
from typing import Any

from dflow_nb.expressions._go_stdlib import INT64_MAX, INT64_MIN, go_parse_float, trunc_int64
from dflow_nb.expressions._values import go_sprint, plain

__all__ = ["cast_int", "cast_float", "strval", "strslice", "empty", "raw_json"]


def cast_int(v: Any) -> int:
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


def cast_float(v: Any) -> float:
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


def strval(v: Any) -> str:
    return v if type(v) is str else go_sprint(v)


def strslice(v: Any) -> list[Any]:
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return [strval(x) for x in v if x is not None]
    if v is None:
        return []
    return [strval(v)]


def empty(v: Any) -> bool:
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


_HTML_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00(3c|3e|26)")


def raw_json(text: str) -> str:
    """JSON from ``to_json`` without Go's HTML escaping: ``<``, ``>`` and ``&`` as they are
    (Sprig's toRawJson, Go's %q)."""
    return _HTML_ESCAPE.sub(lambda m: m.group(1) + {"3c": "<", "3e": ">", "26": "&"}[m.group(2)],
                            text)

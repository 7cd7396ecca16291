"""Argo's ``jsonpath(json, path)`` expression function: the JSONPath subset Argo workflows
use (``$``, ``.key``, ``['key']``, ``[n]``, ``[a:b]``, ``[*]``, ``.*``, unions, ``..key``, and
filters ``[?(...)]``).
"""
from __future__ import annotations

import functools
import re
from typing import Any

from dflow_nb.expressions._func import arg_str, fail
from dflow_nb.expressions._jsonpath_filter import compile_filter
from dflow_nb.expressions._values import from_json, plain, type_name

__all__ = ["jsonpath"]

_JP_TOKEN = re.compile(r"""
    \[\?\((?P<filter>.*?)\)\]                  # [?(...)] (ends at the first ")]")
  | \.\.(?P<deep>[A-Za-z_$][\w$-]*|\*)        # ..key  ..*
  | \.(?P<key>[A-Za-z_$][\w$-]*|\*)           # .key  .*
  | \[(?P<br>[^\]]*)\]                        # [...] (no nested quantifiers: linear)
""", re.VERBOSE)


def _jp_bracket(text: str, path: str) -> tuple[str, Any]:
    """Classify a bracket selector: ('keys', [...]) / ('index', [...]) / ('slice', ...) / ('all')."""
    if text == "*":
        return "all", None
    if text.startswith("?"):
        raise fail("jsonpath", f"a filter is written [?(...)], got [{text}] in {path!r}")
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


def _jp_all(v: Any) -> list[Any]:
    v = plain(v)
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return list(v)
    return []


def _jp_deep(v: Any, key: str, out: list[Any]) -> None:
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
def _jp_compile(path: str) -> tuple[tuple[str, Any], ...]:
    if not path.startswith("$"):
        raise fail("jsonpath", f"path must start with '$', got {path!r}")
    steps: list[tuple[str, Any]] = []
    pos = 1
    while pos < len(path):
        m = _JP_TOKEN.match(path, pos)
        if not m:
            raise fail("jsonpath", f"cannot parse {path!r} at {path[pos:]!r}")
        if m.group("filter") is not None:
            steps.append(("filter", compile_filter(m.group("filter"), path)))
        elif m.group("deep") is not None:
            steps.append(("deep", m.group("deep")))
        elif m.group("key") is not None:
            k = m.group("key")
            steps.append(("all", None) if k == "*" else ("keys", [k]))
        else:
            steps.append(_jp_bracket(m.group("br").strip(), path))
        pos = m.end()
    return tuple(steps)


def jsonpath(data: Any, path: Any) -> Any:
    """Argo's ``jsonpath(json, path)``: parse ``json`` if it is a string, then select. Supports
    ``$``, ``.key``, ``['key']``, ``[n]`` (negative from the end), ``[a:b]``, ``[*]``, ``.*``,
    unions ``[0,2]``, ``..key`` and filters ``[?(@.age > 42 && @.name != 'x')]``. A single
    selector path returns one value; once a wildcard, slice, union, filter or ``..`` is used
    the result is a list."""
    path = arg_str("jsonpath", path, 2)
    if type(data) is str:
        data = from_json(data)
    values = [data]
    multi = False
    for kind, arg in _jp_compile(path):
        nxt: list[Any] = []
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
            elif kind == "filter":
                multi = True
                nxt.extend(x for x in _jp_all(v) if arg(x, data))
            else:  # deep
                multi = True
                _jp_deep(v, arg, nxt)
        values = nxt
    if multi:
        return values
    return values[0]


"""Parameter values as Argo text: JSON, with jsonpickle for objects JSON cannot hold.

Dflow encodes non-str parameters with jsonpickle, so user classes survive a round trip (notably
in BigParameters); plain JSON values stay plain JSON text that Argo expressions can read.
"""
from __future__ import annotations

import json
from typing import Any, List, Optional


def dumps(value: Any) -> str:
    """A value as parameter text (JSON; jsonpickle for what JSON cannot encode)."""
    try:
        return json.dumps(value)
    except TypeError:
        import jsonpickle
        return jsonpickle.encode(value, keys=True)


def loads(text: str) -> Any:
    """Parameter text back to a value; raises ValueError for text that is not JSON."""
    value = json.loads(text)
    if '"py/' in text:
        import jsonpickle
        return jsonpickle.decode(text, keys=True)
    return value


def decode(text: Any, type_name: Optional[str]) -> Any:
    """A parameter's Argo text as the Python value its type says; untyped stays text."""
    if not isinstance(text, str) or type_name in (None, "str"):
        return text
    try:
        value = loads(text)
    except ValueError:
        return text
    return unwrap_sliced(value)


def unwrap_sliced(value: Any) -> Any:
    """Aggregated sliced outputs ``[[{"dflow_list_item": v, "order": i}], ...]`` -> ``[v...]``."""
    if not isinstance(value, list) or not value:
        return value
    flat: List[Any] = []
    for part in value:
        if isinstance(part, str):
            try:
                part = json.loads(part)
            except ValueError:
                return value
        if isinstance(part, list) and all(isinstance(p, dict) and "dflow_list_item" in p
                                          for p in part):
            flat.extend(part)
        elif isinstance(part, dict) and "dflow_list_item" in part:
            flat.append(part)
        else:
            return value
    flat.sort(key=lambda p: p.get("order", 0))
    return [p["dflow_list_item"] for p in flat]

"""Parameter values as Argo text: JSON, with jsonpickle for objects JSON cannot hold.

Dflow encodes non-str parameters with jsonpickle, so user classes survive a round trip (notably
in BigParameters); plain JSON values stay plain JSON text that Argo expressions can read.
"""
from __future__ import annotations

import json
from typing import Any


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

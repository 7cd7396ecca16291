"""Argo's retry rules (SEMANTICS.md §4.4): which failures retry, and how long to wait."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from dflow_nb.expressions import ExpressionError, go_regex
from dflow_nb.local.durations import parse_duration

# Messages Argo treats as transient (plus TRANSIENT_ERROR_PATTERN from the environment).
TRANSIENT_MESSAGES = (
    "connection refused", "connection reset by peer", "i/o timeout", "unexpected eof",
    "tls handshake timeout", "too many requests", "transport is closing",
    "context deadline exceeded", "the object has been modified", "etcdserver: leader changed",
    "http2: server sent goaway", "TransientError",
)


def is_transient(message: Optional[str]) -> bool:
    text = message or ""
    pattern = os.environ.get("TRANSIENT_ERROR_PATTERN")
    if pattern and _go_match(pattern, text):
        return True
    lowered = text.lower()
    return any(m.lower() in lowered for m in TRANSIENT_MESSAGES)


def _go_match(pattern: str, text: str) -> bool:
    """Go's regexp.MatchString, as Argo's controller reads TRANSIENT_ERROR_PATTERN: RE2
    syntax, and a pattern that does not compile matches nothing."""
    try:
        return go_regex(pattern).search(text)
    except ExpressionError:
        return False


def policy_allows(policy: str, phase: str, message: Optional[str]) -> bool:
    """retryPolicy: Always, OnFailure (Failed only), OnError (Error only), OnTransientError."""
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return phase == "Failed"
    if policy == "OnError":
        return phase == "Error"
    if policy == "OnTransientError":
        return is_transient(message)
    raise ValueError(f"unknown retryPolicy {policy!r}: expected Always, OnFailure, OnError or "
                     "OnTransientError")


def default_policy(strategy: Dict[str, Any]) -> str:
    """OnFailure, but Always when only an expression is given (Argo >= 3.5)."""
    return strategy.get("retryPolicy") or ("Always" if strategy.get("expression") else "OnFailure")


def backoff_seconds(backoff: Dict[str, Any], attempt: int) -> float:
    """Wait before attempt ``attempt`` (>= 1): duration * factor^(attempt-1), clamped to cap."""
    if not backoff.get("duration"):
        return 0.0
    wait = parse_duration(backoff["duration"]) * (int(backoff.get("factor") or 1) ** (attempt - 1))
    if backoff.get("cap"):
        wait = min(wait, parse_duration(backoff["cap"]))
    return wait

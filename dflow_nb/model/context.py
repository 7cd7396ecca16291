"""Which Workflow/Steps/DAG a ``with`` block is building, so new steps join it (as in Dflow)."""
from __future__ import annotations

from typing import Any, List, Optional

_stack: List[Any] = []


def push(container: Any) -> None:
    _stack.append(container)


def pop(container: Any) -> None:
    if _stack and _stack[-1] is container:
        _stack.pop()


def current() -> Optional[Any]:
    """The innermost container being built, or None outside any ``with`` block."""
    return _stack[-1] if _stack else None

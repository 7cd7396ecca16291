"""Which Workflow/Steps/DAG a ``with`` block is building, so new steps join it (as in Dflow)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

_stack: List[Any] = []


def push(container: Any) -> None:
    _stack.append(container)


def pop(container: Any) -> None:
    if _stack and _stack[-1] is container:
        _stack.pop()


def current() -> Optional[Any]:
    """The innermost container being built, or None outside any ``with`` block."""
    return _stack[-1] if _stack else None


@contextmanager
def detached() -> Iterator[None]:
    """A block whose new steps join no container (a model loaded from a manifest inside a
    ``with`` block adds nothing to it)."""
    saved = _stack[:]
    _stack.clear()
    try:
        yield
    finally:
        _stack[:] = saved

"""Errors raised while parsing or evaluating expressions, phrased in the user's terms.

Every message names the expression text, where in it the problem is (the offending token and a
1-based column) and the cause, e.g.::

    in expression 'asInt(x) +': unexpected end of input after '+' (column 10)

Internally errors are raised without the expression text (the evaluator does not carry it
around); the public entry points bind the text before the error reaches the caller.
"""
from __future__ import annotations

from typing import Optional

from dflow_nb.errors import DflowNbError

__all__ = ["ExpressionError", "UnresolvedReference"]


class ExpressionError(DflowNbError, ValueError):
    """An expression (a ``{{...}}`` tag, a ``when`` condition or an expr-lang expression) that
    cannot be parsed or evaluated. ``expression`` is the text, ``position`` a 0-based offset into
    it (or None), ``cause`` the bare reason."""

    def __init__(self, cause: str, *, expression: Optional[str] = None,
                 position: Optional[int] = None, kind: str = "expression") -> None:
        self.cause = cause
        self.expression = expression
        self.position = position
        self.kind = kind
        super().__init__(self._message())

    def _message(self) -> str:
        text = self.cause
        if self.position is not None and self.expression is not None:
            text += f" (column {self.position + 1})"
        if self.expression is not None:
            text = f"in {self.kind} {_excerpt(self.expression, self.position)!r}: {text}"
        return text

    def bind(self, expression: str, kind: Optional[str] = None,
             offset: int = 0) -> "ExpressionError":
        """Attach the expression text (once; the innermost binding wins) and return self."""
        if self.expression is None:
            self.expression = expression
            if kind is not None:
                self.kind = kind
            if self.position is not None:
                self.position += offset
            self.args = (self._message(),)
        return self

    def __str__(self) -> str:
        return self._message()


class UnresolvedReference(ExpressionError):
    """A tag or identifier naming something the scope does not hold (or holds as absent/nil).
    ``name`` is the dotted name (e.g. ``steps.hello.outputs.result``), so callers can report
    the missing producer or defer the expression."""

    def __init__(self, name: str, detail: Optional[str] = None, *,
                 expression: Optional[str] = None, position: Optional[int] = None,
                 kind: str = "expression") -> None:
        self.name = name
        self.detail = detail
        super().__init__(self._cause_text(), expression=expression, position=position,
                         kind=kind)

    def _cause_text(self) -> str:
        text = f"unknown reference {self.name!r}"
        return f"{text} ({self.detail})" if self.detail else text

    def widen(self, name: str) -> None:
        """Report the longer dotted name the failing lookup was part of."""
        if name != self.name and name.startswith(self.name + "."):
            self.name = name
            self.cause = self._cause_text()
            self.args = (self._message(),)


_SHOWN = 120   # characters of a long expression a message shows, around the position


def _excerpt(expression: str, position: Optional[int]) -> str:
    """The expression, or for a long one the part around ``position`` with '...' marking the
    cuts, so a message stays readable (the column still counts from the start)."""
    if len(expression) <= _SHOWN:
        return expression
    start = max(0, min((position or 0) - _SHOWN // 2, len(expression) - _SHOWN))
    end = start + _SHOWN
    return ("..." if start else "") + expression[start:end] + \
        ("..." if end < len(expression) else "")

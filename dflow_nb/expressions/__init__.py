"""The one place where dflow_nb reads expressions: ``{{...}}`` tags, Argo ``when`` conditions
(govaluate syntax) and ``{{= ...}}`` expressions (expr-lang syntax, as Argo evaluates them).

Everything is tokenised, parsed into a small AST and evaluated here; nothing ever calls
Python's eval/exec on user text.

    render("hello {{inputs.parameters.name}}", {"inputs.parameters.name": "world"})
    evaluate("asInt(inputs.parameters.n) + 1", {"inputs.parameters.n": "41"})   # 42
    evaluate_when("{{steps.flip.outputs.result}} == heads", scope)               # bool
    references("{{= steps['a'].outputs.result }}")  # ['steps.a.outputs.result']
    go_regex("exit code [0-9]+").search(text)     # Go's regexp (RE2), wherever Argo uses it

A scope is a flat mapping from dotted names to values; pass a ``Scope`` for large scopes that
change over time (it keeps its prefix index current and layers per-item names cheaply).

Hostile input is bounded: regular expressions run on RE2 (linear time, Go's syntax, as Argo);
an expression nests at most 100 levels (a flat chain ``a || b || ...`` of any length is one),
a list or string it builds holds at most 10 million items. Every failure is an
``ExpressionError``.
"""
from __future__ import annotations

from typing import Any, Mapping

from dflow_nb.expressions._errors import ExpressionError, UnresolvedReference
from dflow_nb.expressions._go_regexp import GoRegexp, go_regex
from dflow_nb.expressions._scope import Scope
from dflow_nb.expressions._tags import evaluate_when, references, render
from dflow_nb.expressions._values import format_value


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """``exprlang.evaluate``, whose parser, compiler and Sprig functions are imported on first
    use: a workflow without ``{{= }}`` expressions never loads them."""
    from dflow_nb.expressions.exprlang import evaluate as evaluate_expr
    return evaluate_expr(expr, scope)

__all__ = ["ExpressionError", "UnresolvedReference", "Scope", "render", "evaluate",
           "evaluate_when", "references", "format_value", "go_regex", "GoRegexp"]

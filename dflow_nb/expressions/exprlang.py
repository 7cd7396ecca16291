"""expr-lang (github.com/expr-lang/expr v1.17, as Argo uses it): the entry points.

``parse`` (in ``_parser``) builds a small AST; ``compile_expr(src)`` (cached) turns it into
nested Python closures (``_compiler``), so evaluating an already-seen expression is just
calling them. Nothing here calls eval/exec/compile on user text.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

from dflow_nb.expressions._ast import Call, Chain, Ident, Let, Lets, Member, Node, static_path
from dflow_nb.expressions._compiler import compile_node
from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._limits import value_too_deep
from dflow_nb.expressions._parser import parse
from dflow_nb.expressions._runtime import Ctx, Fn
from dflow_nb.expressions._scope import ScopeView, resolver_for

__all__ = ["compile_expr", "evaluate", "expr_references"]


@functools.lru_cache(maxsize=4096)
def compile_expr(src: str) -> Fn:
    """Parse and compile an expression (cached by text). Raises ExpressionError (unbound)."""
    return compile_node(parse(src), frozenset())


def _export(v: Any) -> Any:
    """Scope views in a result become plain dicts (copied only where one occurs)."""
    t = type(v)
    if t is ScopeView:
        return v.to_plain()
    if t is list:
        if any(type(x) in (ScopeView, list, dict) for x in v):
            return [_export(x) for x in v]
        return v
    if t is dict:
        if any(type(x) in (ScopeView, list, dict) for x in v.values()):
            return {k: _export(x) for k, x in v.items()}
        return v
    return v


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate an expr-lang expression (the inside of ``{{= }}``, a retryStrategy
    expression...) against a flat scope (a mapping or a ``Scope``); identifiers see it as
    nested maps (``inputs.parameters.x``, ``steps['flip-coin'].outputs.result``). Parsed ASTs
    are cached, so repeated evaluation costs only the evaluation. Maps in the result are plain
    dicts."""
    try:
        fn = compile_expr(expr)
        return _export(fn(Ctx(resolver_for(scope))))
    except ExpressionError as e:
        raise e.bind(expr) from None
    except RecursionError:   # the expression's depth is bounded, a scope value's is not
        raise value_too_deep().bind(expr) from None


def expr_references(expr: str) -> list[str]:
    """Dotted scope names an expression reads, in source order, unique."""
    try:
        root = parse(expr)
    except ExpressionError as e:
        raise e.bind(expr) from None
    out: list[str] = []
    seen: set[str] = set()

    def walk(node: Node, lets: Lets) -> None:
        if isinstance(node, (Member, Ident, Chain)):
            path = static_path(node, lets)
            if path is not None:
                if path not in seen:
                    seen.add(path)
                    out.append(path)
                return
        if isinstance(node, Let):
            walk(node.value, lets)
            walk(node.body, lets | {node.name})
            return
        if isinstance(node, Call) and isinstance(node.callee, Ident):
            for a in node.args:
                walk(a, lets)
            return
        for child in node.children():
            walk(child, lets)

    walk(root, frozenset())
    return out

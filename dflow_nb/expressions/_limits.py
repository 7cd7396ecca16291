"""How deep an expression or a JSON value may nest, and how big a list or a string one
expression may build.

Parsing, compiling and evaluating recurse once per level, so without a bound 600 parentheses
or 600 nested calls exhaust Python's stack (a bare RecursionError, or a dead engine when a
step's output brings the depth). Every parser stops at ``MAX_DEPTH`` levels with an
ExpressionError; what passes evaluates well within the default recursion limit, even when the
caller is already a few hundred frames deep. A flat chain of left-associative operators
(``a || b || ...``, ``1 + 2 - 3 ...``) is one level whatever its length: it is parsed and
evaluated in a loop, as Argo has no limit there. Argo's Go code has no depth limit either, but
nothing written by hand comes near it.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, TypeVar

from dflow_nb.expressions._errors import ExpressionError

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "too_deep", "too_deep_node", "value_too_deep",
           "check_size"]

MAX_DEPTH = 100
MAX_ITEMS = 10_000_000

T = TypeVar("T")


def too_deep(position: Optional[int] = None, what: str = "expression") -> ExpressionError:
    """The error for something nested past ``MAX_DEPTH`` levels."""
    if what == "expression":
        detail = ("each parenthesis, bracket, call, unary operator, and each right-nested "
                  "operator such as a ** b ** c or a < b < c, adds one")
    else:
        detail = "each list and map inside another adds one"
    return ExpressionError(f"{what} nested too deeply: more than {MAX_DEPTH} levels ({detail})",
                           position=position)


def value_too_deep() -> ExpressionError:
    """The error for a value from the scope (not from ``fromJSON``, which is bounded) nested
    too deeply to read: the last resort where the recursion limit is hit."""
    return ExpressionError("a value is nested too deeply (lists and maps within each other) "
                           "to be read")


def too_deep_node(root: T, children: Callable[[T], Iterable[T]]) -> Optional[T]:
    """The first node found more than ``MAX_DEPTH`` levels below ``root`` (iteratively, so
    any depth can be checked), or None."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in children(node))
    return None


def check_size(n: int, what: str, unit: str = "items") -> int:
    """``n``, if a list of ``n`` items or a string of ``n`` characters may be built; else an
    ExpressionError. Go would try to allocate it; here one expression must not take the memory
    of the engine (or the notebook kernel) that every run shares."""
    if n > MAX_ITEMS:
        raise ExpressionError(f"{what} would make {n:,} {unit}, more than the {MAX_ITEMS:,} "
                              "allowed")
    return n

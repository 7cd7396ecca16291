"""The AST of expr-lang expressions, as the parser builds it and the compiler and
``expr_references`` read it. Nodes are frozen: parsed trees are cached and shared.

``pos`` is the 0-based offset of the node in the source, for error messages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["Node", "Lit", "Ident", "Pointer", "Member", "Slice", "Chain", "Unary", "Binary",
           "Fold", "Cond", "Array", "MapLit", "Call", "Builtin", "Predicate", "Let", "Lets",
           "static_path"]

Lets = frozenset[str]
"""The names bound by enclosing ``let``s, which shadow scope names."""


class Node:
    __slots__ = ()
    pos: int

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Lit(Node):
    """A literal: number, string, bool or nil (None)."""
    value: Any
    pos: int


@dataclass(frozen=True, slots=True)
class Ident(Node):
    """A name: a ``let`` variable, ``sprig`` or the first segment of a scope path."""
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Pointer(Node):
    """``#`` (the element), ``#index`` or ``#acc`` inside a predicate."""
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``obj.prop``, ``obj[prop]`` or, optional, ``obj?.prop``."""
    obj: Node
    prop: Node
    optional: bool
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.obj, self.prop)


@dataclass(frozen=True, slots=True)
class Slice(Node):
    """``obj[lo:hi]``, either bound may be left out."""
    obj: Node
    lo: Optional[Node]
    hi: Optional[Node]
    pos: int

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.obj, self.lo, self.hi) if n is not None)


@dataclass(frozen=True, slots=True)
class Chain(Node):
    """A member chain holding a ``?.``: a nil met by ``?.`` makes the whole chain nil."""
    node: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.node,)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    node: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.node,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Fold(Node):
    """``a + b - c || ...``: a run of left-associative binary operations applied in turn, so a
    flat chain of any length nests one level (``Binary`` is the run of one)."""
    first: Node
    steps: tuple[tuple[str, Node, int], ...]   # (operator, right operand, position)
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.first,) + tuple(node for _, node, _ in self.steps)


@dataclass(frozen=True, slots=True)
class Cond(Node):
    """``cond ? a : b``, or the elvis ``cond ?: b`` when ``a`` is None."""
    cond: Node
    a: Optional[Node]
    b: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.cond, self.a, self.b) if n is not None)


@dataclass(frozen=True, slots=True)
class Array(Node):
    items: tuple[Node, ...]
    pos: int

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class MapLit(Node):
    pairs: tuple[tuple[Node, Node], ...]
    pos: int

    def children(self) -> tuple[Node, ...]:
        return tuple(n for kv in self.pairs for n in kv)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call whose callee is known only at run time (``sprig.upper(x)``, a ``let`` name)."""
    callee: Node
    args: tuple[Node, ...]
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.callee, *self.args)


@dataclass(frozen=True, slots=True)
class Builtin(Node):
    """A call of a builtin function or of a predicate builtin (``map``, ``filter``...)."""
    name: str
    args: tuple[Node, ...]
    pos: int

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class Predicate(Node):
    """The per-element argument of a predicate builtin (``{# > 1}``)."""
    node: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.node,)


@dataclass(frozen=True, slots=True)
class Let(Node):
    """``let name = value; body``."""
    name: str
    value: Node
    body: Node
    pos: int

    def children(self) -> tuple[Node, ...]:
        return (self.value, self.body)


def static_path(node: Node, lets: Lets) -> Optional[str]:
    """The dotted scope name a node reads, if it is a plain path (``steps['a'].outputs``)."""
    if isinstance(node, Ident):
        if node.name in lets or node.name == "sprig":
            return None
        return node.name
    if isinstance(node, Member) and isinstance(node.prop, Lit) and type(node.prop.value) is str:
        base = static_path(node.obj, lets)
        return None if base is None else base + "." + node.prop.value
    if isinstance(node, Chain):
        return static_path(node.node, lets)
    return None

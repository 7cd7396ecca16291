"""The expr-lang parser (expr-lang v1.17's grammar, as Argo uses it): tokens in, AST out.

Precedence climbing over ``BINARY``; ``a < b < c`` chains into ``a < b && b < c``; ``??`` cannot
be mixed with other operators without parentheses; calls of builtins are checked for arity
here, so a wrong call fails before anything runs.

One leniency: a predicate written ``map(xs, {'k': #})`` is read as a map literal per element
(real expr-lang reads that ``{`` as the predicate's brace and rejects it; Dflow writes
``{ {'k': #} }``, which works in both).
"""
from __future__ import annotations

import functools
import math
from typing import Optional

from dflow_nb.expressions._ast import (
    Array,
    Binary,
    Builtin,
    Call,
    Chain,
    Cond,
    Fold,
    Ident,
    Let,
    Lit,
    MapLit,
    Member,
    Node,
    Pointer,
    Predicate,
    Slice,
    Unary,
)
from dflow_nb.expressions._builtins import BUILTINS
from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._go_stdlib import INT64_MAX
from dflow_nb.expressions._lexer import BRACKET, EOF, IDENT, NEGATABLE, NUMBER, OP, STRING, Token, tokenize
from dflow_nb.expressions._limits import MAX_DEPTH, too_deep, too_deep_node

__all__ = ["parse", "PREDICATES"]

BINARY: dict[str, tuple[int, bool]] = {  # precedence, right-associative
    "|": (0, False), "or": (10, False), "||": (10, False), "and": (15, False),
    "&&": (15, False), "==": (20, False), "!=": (20, False), "<": (20, False),
    ">": (20, False), ">=": (20, False), "<=": (20, False), "in": (20, False),
    "matches": (20, False), "contains": (20, False), "startsWith": (20, False),
    "endsWith": (20, False), "..": (25, False), "+": (30, False), "-": (30, False),
    "*": (60, False), "/": (60, False), "%": (60, False), "**": (100, True),
    "^": (100, True), "??": (500, False),
}
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
_EXPR, _PRED, _OPT = 1, 2, 4
PREDICATES: dict[str, tuple[int, ...]] = {
    "all": (_EXPR, _PRED), "none": (_EXPR, _PRED), "any": (_EXPR, _PRED),
    "one": (_EXPR, _PRED), "filter": (_EXPR, _PRED), "map": (_EXPR, _PRED),
    "count": (_EXPR, _PRED | _OPT), "sum": (_EXPR, _PRED | _OPT),
    "find": (_EXPR, _PRED), "findIndex": (_EXPR, _PRED), "findLast": (_EXPR, _PRED),
    "findLastIndex": (_EXPR, _PRED), "groupBy": (_EXPR, _PRED),
    "sortBy": (_EXPR, _PRED, _EXPR | _OPT), "reduce": (_EXPR, _PRED, _EXPR | _OPT),
}


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0      # predicates around the current token
        self.nesting = 0    # expressions around the current token

    @property
    def cur(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> None:
        if self.i < len(self.toks) - 1:
            self.i += 1

    def is_(self, kind: str, value: Optional[str] = None) -> bool:
        t = self.toks[self.i]
        return t.kind == kind and (value is None or t.value == value)

    def unexpected(self, tok: Optional[Token] = None, hint: str = "") -> ExpressionError:
        tok = tok or self.cur
        if tok.kind == EOF:
            if self.i == 0:
                return ExpressionError("empty expression", position=0)
            prev = self.toks[self.i - 1]
            msg = f"unexpected end of input after {prev.value!r}"
        else:
            msg = f"unexpected {tok.describe()}"
        return ExpressionError(msg + hint, position=tok.pos)

    def expect(self, kind: str, value: str, what: str = "") -> None:
        if self.is_(kind, value):
            self.next()
            return
        raise self.unexpected(hint=f", expected {what or repr(value)}")

    # expression := let | binary (conditional)
    def parse(self) -> Node:
        node = self.expression(0)
        if not self.is_(EOF):
            raise self.unexpected()
        return node

    def expression(self, prec: int) -> Node:
        """Every recursion of the parser passes here, so this bounds its depth."""
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise too_deep(self.cur.pos)
        node = self.operation(prec)
        self.nesting -= 1
        return node

    def operation(self, prec: int) -> Node:
        if prec == 0 and self.is_(OP, "let"):
            return self.let()
        left = self.primary()
        steps: list[tuple[str, Node, int]] = []   # binary operations on `left`, in order
        prev_op = None
        while True:
            tok = self.cur
            if tok.kind != OP:
                break
            op = tok.value
            negate = False
            if op == "not":
                nxt = self.peek()
                if not (nxt.kind == OP and nxt.value in NEGATABLE):
                    raise self.unexpected(hint=" (did you mean 'not in' / 'not matches'?)")
                if BINARY[nxt.value][0] < prec:
                    break
                negate = True
                self.next()
                tok = self.cur
                op = tok.value
            info = BINARY.get(op)
            if info is None or info[0] < prec:
                break
            self.next()
            if op == "|":
                name_tok = self.cur
                if name_tok.kind != IDENT:
                    raise self.unexpected(hint=", expected a function name after '|'")
                self.next()
                left = self.call(name_tok, [_fold(left, steps)])
                prev_op = op
                continue
            if prev_op == "??" and op != "??":
                raise ExpressionError(
                    f"operator {op!r} and coalesce expressions (??) cannot be mixed; "
                    "wrap either in parentheses", position=tok.pos)
            if info[0] == 20:
                left = self.comparison(_fold(left, steps), tok, op, negate)
            else:
                right = self.expression(info[0] if info[1] else info[0] + 1)
                if negate:
                    left = Unary("not", Binary(op, _fold(left, steps), right, tok.pos), tok.pos)
                else:
                    steps.append((op, right, tok.pos))
            prev_op = op
        left = _fold(left, steps)
        if prec == 0:
            left = self.conditional(left)
        return left

    def comparison(self, left: Node, tok: Token, op: str, negate: bool) -> Node:
        root: Optional[Node] = None
        while True:
            right = self.expression(21)
            cmp: Node = Binary(op, left, right, tok.pos)
            if negate:
                cmp = Unary("not", cmp, tok.pos)
            root = cmp if root is None else Binary("&&", root, cmp, tok.pos)
            left = right
            tok = self.cur
            if not (tok.kind == OP and BINARY.get(tok.value, (0,))[0] == 20):
                return root
            op, negate = tok.value, False
            self.next()

    def conditional(self, node: Node) -> Node:
        while self.is_(OP, "?"):
            pos = self.cur.pos
            self.next()
            if self.is_(OP, ":"):
                self.next()
                node = Cond(node, None, self.expression(0), pos)
            else:
                a = self.expression(0)
                self.expect(OP, ":", "':' of the ternary '? :'")
                node = Cond(node, a, self.expression(0), pos)
        return node

    def let(self) -> Node:
        self.next()
        name = self.cur
        if name.kind != IDENT:
            raise self.unexpected(hint=", expected a variable name after 'let'")
        self.next()
        self.expect(OP, "=")
        value = self.expression(0)
        self.expect(OP, ";")
        return Let(name.value, value, self.expression(0), name.pos)

    def primary(self) -> Node:
        tok = self.cur
        if tok.kind == OP and tok.value in UNARY:
            self.next()
            operand = self.expression(UNARY[tok.value])
            return self.postfix(Unary(tok.value, operand, tok.pos))
        if tok.kind == BRACKET and tok.value == "(":
            self.next()
            inner = self.expression(0)
            self.expect(BRACKET, ")", "')'")
            return self.postfix(inner)
        if tok.kind == OP and tok.value in ("#", "."):
            if self.depth == 0:
                raise ExpressionError(f"cannot use {tok.value!r} outside a predicate "
                                      "(the second argument of map, filter, all...)",
                                      position=tok.pos)
            name = ""
            if tok.value == "#":
                self.next()
                if self.cur.kind == IDENT and self.cur.pos == tok.pos + 1:
                    name = self.cur.value
                    self.next()
            return self.postfix(Pointer(name, tok.pos))
        return self.secondary()

    def secondary(self) -> Node:
        tok = self.cur
        node: Node
        if tok.kind == IDENT:
            self.next()
            if tok.value == "true":
                return Lit(True, tok.pos)
            if tok.value == "false":
                return Lit(False, tok.pos)
            if tok.value == "nil":
                return Lit(None, tok.pos)
            if self.is_(BRACKET, "("):
                node = self.call(tok, [])
            else:
                node = Ident(tok.value, tok.pos)
        elif tok.kind == NUMBER:
            self.next()
            return Lit(_number(tok), tok.pos)
        elif tok.kind == STRING:
            self.next()
            node = Lit(tok.value, tok.pos)
        elif tok.kind == BRACKET and tok.value == "[":
            node = self.array()
        elif tok.kind == BRACKET and tok.value == "{":
            node = self.map_literal()
        else:
            raise self.unexpected()
        return self.postfix(node)

    def call(self, tok: Token, args: list[Node]) -> Node:
        name = tok.value
        if name in PREDICATES:
            self.expect(BRACKET, "(")
            spec = PREDICATES[name][len(args):]
            for i, kind in enumerate(spec):
                if self.is_(BRACKET, ")"):
                    if kind & _OPT:
                        break
                    raise ExpressionError(f"{name} expects at least "
                                          f"{sum(1 for k in PREDICATES[name] if not k & _OPT)}"
                                          " arguments", position=self.cur.pos)
                if i > 0:
                    self.expect(OP, ",")
                args.append(self.predicate() if kind & _PRED else self.expression(0))
            if self.is_(OP, ","):
                self.next()
            self.expect(BRACKET, ")", "')' closing the call of " + name)
            return Builtin(name, tuple(args), tok.pos)
        args = self.arguments(args, name)
        if name in BUILTINS:
            BUILTINS[name].check_arity(name, len(args), tok.pos)
            return Builtin(name, tuple(args), tok.pos)
        return Call(Ident(name, tok.pos), tuple(args), tok.pos)

    def arguments(self, args: list[Node], name: str) -> list[Node]:
        offset = len(args)
        self.expect(BRACKET, "(")
        while not self.is_(BRACKET, ")"):
            if len(args) > offset:
                self.expect(OP, ",", "',' or ')' in the call of " + name)
                if self.is_(BRACKET, ")"):
                    break
            args.append(self.expression(0))
        self.next()
        return args

    def predicate(self) -> Node:
        start = self.cur
        brace = False
        if self.is_(BRACKET, "{"):
            nxt, nxt2 = self.peek(1), self.peek(2)
            looks_like_map = (nxt.kind in (STRING, IDENT, NUMBER) and nxt2.kind == OP
                              and nxt2.value == ":") or (nxt.kind == BRACKET
                                                         and nxt.value == "}")
            if not looks_like_map:
                self.next()
                brace = True
        self.depth += 1
        node = self.expression(0)
        self.depth -= 1
        if brace:
            self.expect(BRACKET, "}", "'}' closing the predicate")
        return Predicate(node, start.pos)

    def array(self) -> Node:
        start = self.cur
        self.next()
        items: list[Node] = []
        while not self.is_(BRACKET, "]"):
            if items:
                self.expect(OP, ",", "',' or ']'")
                if self.is_(BRACKET, "]"):
                    break
            items.append(self.expression(0))
        self.next()
        return Array(tuple(items), start.pos)

    def map_literal(self) -> Node:
        start = self.cur
        self.next()
        pairs: list[tuple[Node, Node]] = []
        while not self.is_(BRACKET, "}"):
            if pairs:
                self.expect(OP, ",", "',' or '}'")
                if self.is_(BRACKET, "}"):
                    break
            tok = self.cur
            if tok.kind in (NUMBER, STRING, IDENT):
                key: Node = Lit(tok.value, tok.pos)
                self.next()
            elif tok.kind == BRACKET and tok.value == "(":
                key = self.expression(0)
            else:
                raise ExpressionError(
                    f"a map key must be a quoted string, a number, a name or an expression in "
                    f"parentheses, not {tok.describe()}", position=tok.pos)
            self.expect(OP, ":", "':' after a map key")
            pairs.append((key, self.expression(0)))
        self.next()
        return MapLit(tuple(pairs), start.pos)

    def postfix(self, node: Node) -> Node:
        chained = False
        while True:
            tok = self.cur
            if tok.kind == OP and tok.value in (".", "?."):
                optional = tok.value == "?."
                self.next()
                prop = self.cur
                if optional and prop.kind == BRACKET and prop.value == "[":
                    node = self.index(node, True)
                    chained = True
                    continue
                if not (prop.kind == IDENT or (prop.kind == OP and prop.value.isidentifier())):
                    raise self.unexpected(hint=f", expected a name after {tok.value!r}")
                self.next()
                member = Member(node, Lit(prop.value, prop.pos), optional, prop.pos)
                chained = chained or optional
                if self.is_(BRACKET, "("):
                    node = Call(member, tuple(self.arguments([], prop.value)), prop.pos)
                else:
                    node = member
            elif tok.kind == BRACKET and tok.value == "[":
                node = self.index(node, False)
            else:
                break
        return Chain(node, node.pos) if chained else node

    def index(self, node: Node, optional: bool) -> Node:
        pos = self.cur.pos
        self.next()
        if self.is_(OP, ":"):
            self.next()
            hi = None if self.is_(BRACKET, "]") else self.expression(0)
            self.expect(BRACKET, "]", "']'")
            return Slice(node, None, hi, pos)
        lo = self.expression(0)
        if self.is_(OP, ":"):
            self.next()
            hi = None if self.is_(BRACKET, "]") else self.expression(0)
            self.expect(BRACKET, "]", "']'")
            return Slice(node, lo, hi, pos)
        self.expect(BRACKET, "]", "']'")
        return Member(node, lo, optional, pos)


def _number(tok: Token) -> int | float:
    text = tok.value.replace("_", "")
    low = text.lower()
    base = {"0x": 16, "0b": 2, "0o": 8}.get(low[:2], 10)
    is_float = base == 10 and ("." in low or "e" in low)
    try:
        value = float(text) if is_float else int(text, base)
    except ValueError:
        raise ExpressionError(f"invalid number {tok.value!r}", position=tok.pos) from None
    if math.isinf(value):
        raise ExpressionError("float literal is too large", position=tok.pos)
    if not is_float and value > INT64_MAX:
        raise ExpressionError("integer literal is too large", position=tok.pos)
    return value


def _fold(left: Node, steps: list[tuple[str, Node, int]]) -> Node:
    """``left`` with the pending binary operations applied (and ``steps`` emptied): each
    operator's left operand is everything before it, as Go's expr parses a chain."""
    if not steps:
        return left
    node: Node = Binary(steps[0][0], left, steps[0][1], steps[0][2]) if len(steps) == 1 else \
        Fold(left, tuple(steps), steps[0][2])
    steps.clear()
    return node


@functools.lru_cache(maxsize=4096)
def parse(src: str) -> Node:
    """Parse expr-lang source into an AST (cached), at most MAX_DEPTH levels deep, so the
    compiler, the evaluator and ``expr_references`` can recurse on it. Raises ExpressionError
    (unbound)."""
    root = _Parser(src).parse()
    deep = too_deep_node(root, lambda node: node.children())
    if deep is not None:
        raise too_deep(deep.pos)
    return root

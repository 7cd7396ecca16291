"""expr-lang (github.com/expr-lang/expr v1.17, as Argo uses it): parser, AST, evaluator.

``parse(src)`` builds a small AST; ``compile_expr(src)`` (cached) turns it into nested Python
closures, so evaluating an already-seen expression is just calling them. Nothing here calls
eval/exec/compile on user text.

Semantics follow expr-lang: ints stay ints (int64, wrapping), ``/`` and ``**`` give floats, ``%``
needs ints, ``+`` adds numbers or concatenates strings, comparisons need numbers with numbers
or strings with strings, ``==`` never fails, ``&&``/``||``/``!``/``?:`` need bools, a missing
map member is nil, fetching from nil fails unless ``?.`` is used, ``a < b < c`` chains, and
``??`` cannot be mixed with other operators without parentheses.

Identifiers resolve against a lazy nested view of the flat scope (see ``scope``), plus
``sprig`` (the Sprig functions). An identifier the scope does not know, or a path through a nil
value, raises UnresolvedReference naming the whole dotted path.

One leniency: a predicate written ``map(xs, {'k': #})`` is read as a map literal per element
(real expr-lang reads that ``{`` as the predicate's brace and rejects it; Dflow writes
``{ {'k': #} }``, which works in both).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Optional

from dflow_nb.expressions._errors import ExpressionError, UnresolvedReference
from dflow_nb.expressions._lexer import BRACKET, EOF, IDENT, NEGATABLE, NUMBER, OP, STRING, Token, tokenize
from dflow_nb.expressions._scope import MISSING, ScopeView, resolver_for
from dflow_nb.expressions._values import plain, type_name, values_equal
from dflow_nb.expressions.functions import BUILTINS, SPRIG, UNSUPPORTED, Func, Namespace, go_regex, less

__all__ = ["parse", "compile_expr", "evaluate", "expr_references", "SPRIG_NAMESPACE"]

SPRIG_NAMESPACE = Namespace("sprig", SPRIG)

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
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


# ------------------------------------------------------------------------------------ AST

class Node:
    __slots__ = ("pos",)

    def children(self) -> tuple:
        return ()


class Lit(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any, pos: int) -> None:
        self.value, self.pos = value, pos


class Ident(Node):
    __slots__ = ("name",)

    def __init__(self, name: str, pos: int) -> None:
        self.name, self.pos = name, pos


class Pointer(Node):
    __slots__ = ("name",)

    def __init__(self, name: str, pos: int) -> None:
        self.name, self.pos = name, pos


class Member(Node):
    __slots__ = ("obj", "prop", "optional")

    def __init__(self, obj: Node, prop: Node, optional: bool, pos: int) -> None:
        self.obj, self.prop, self.optional, self.pos = obj, prop, optional, pos

    def children(self) -> tuple:
        return (self.obj, self.prop)


class Slice(Node):
    __slots__ = ("obj", "lo", "hi")

    def __init__(self, obj: Node, lo: Optional[Node], hi: Optional[Node], pos: int) -> None:
        self.obj, self.lo, self.hi, self.pos = obj, lo, hi, pos

    def children(self) -> tuple:
        return tuple(n for n in (self.obj, self.lo, self.hi) if n is not None)


class Chain(Node):
    __slots__ = ("node",)

    def __init__(self, node: Node, pos: int) -> None:
        self.node, self.pos = node, pos

    def children(self) -> tuple:
        return (self.node,)


class Unary(Node):
    __slots__ = ("op", "node")

    def __init__(self, op: str, node: Node, pos: int) -> None:
        self.op, self.node, self.pos = op, node, pos

    def children(self) -> tuple:
        return (self.node,)


class Binary(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node, pos: int) -> None:
        self.op, self.left, self.right, self.pos = op, left, right, pos

    def children(self) -> tuple:
        return (self.left, self.right)


class Cond(Node):
    __slots__ = ("cond", "a", "b")

    def __init__(self, cond: Node, a: Optional[Node], b: Node, pos: int) -> None:
        self.cond, self.a, self.b, self.pos = cond, a, b, pos

    def children(self) -> tuple:
        return tuple(n for n in (self.cond, self.a, self.b) if n is not None)


class Array(Node):
    __slots__ = ("items",)

    def __init__(self, items: list, pos: int) -> None:
        self.items, self.pos = items, pos

    def children(self) -> tuple:
        return tuple(self.items)


class MapLit(Node):
    __slots__ = ("pairs",)

    def __init__(self, pairs: list, pos: int) -> None:
        self.pairs, self.pos = pairs, pos

    def children(self) -> tuple:
        return tuple(n for kv in self.pairs for n in kv)


class Call(Node):
    __slots__ = ("callee", "args")

    def __init__(self, callee: Node, args: list, pos: int) -> None:
        self.callee, self.args, self.pos = callee, args, pos

    def children(self) -> tuple:
        return (self.callee, *self.args)


class Builtin(Node):
    __slots__ = ("name", "args")

    def __init__(self, name: str, args: list, pos: int) -> None:
        self.name, self.args, self.pos = name, args, pos

    def children(self) -> tuple:
        return tuple(self.args)


class Predicate(Node):
    __slots__ = ("node",)

    def __init__(self, node: Node, pos: int) -> None:
        self.node, self.pos = node, pos

    def children(self) -> tuple:
        return (self.node,)


class Let(Node):
    __slots__ = ("name", "value", "body")

    def __init__(self, name: str, value: Node, body: Node, pos: int) -> None:
        self.name, self.value, self.body, self.pos = name, value, body, pos

    def children(self) -> tuple:
        return (self.value, self.body)


# --------------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0

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
        if prec == 0 and self.is_(OP, "let"):
            return self.let()
        left = self.primary()
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
                left = self.call(name_tok, [left])
                prev_op = op
                continue
            if prev_op == "??" and op != "??":
                raise ExpressionError(
                    f"operator {op!r} and coalesce expressions (??) cannot be mixed; "
                    "wrap either in parentheses", position=tok.pos)
            if info[0] == 20:
                left = self.comparison(left, tok, op, negate)
            else:
                right = self.expression(info[0] if info[1] else info[0] + 1)
                left = Binary(op, left, right, tok.pos)
                if negate:
                    left = Unary("not", left, tok.pos)
            prev_op = op
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

    def call(self, tok: Token, args: list) -> Node:
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
            return Builtin(name, args, tok.pos)
        args = self.arguments(args, name)
        if name in BUILTINS:
            _check_arity(name, BUILTINS[name], len(args), tok.pos)
            return Builtin(name, args, tok.pos)
        if name in UNSUPPORTED:
            raise ExpressionError(f"function {name!r} is not supported (time functions would "
                                  "make runs non-reproducible)", position=tok.pos)
        return Call(Ident(name, tok.pos), args, tok.pos)

    def arguments(self, args: list, name: str) -> list:
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
        items: list = []
        while not self.is_(BRACKET, "]"):
            if items:
                self.expect(OP, ",", "',' or ']'")
                if self.is_(BRACKET, "]"):
                    break
            items.append(self.expression(0))
        self.next()
        return Array(items, start.pos)

    def map_literal(self) -> Node:
        start = self.cur
        self.next()
        pairs: list = []
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
        return MapLit(pairs, start.pos)

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
                    node = Call(member, self.arguments([], prop.value), prop.pos)
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


def _number(tok: Token) -> Any:
    text = tok.value.replace("_", "")
    low = text.lower()
    try:
        if low.startswith("0x"):
            n = int(text, 16)
        elif "." in low or "e" in low:
            f = float(text)
            if math.isinf(f):
                raise ExpressionError("float literal is too large", position=tok.pos)
            return f
        elif low.startswith("0b"):
            n = int(text, 2)
        elif low.startswith("0o"):
            n = int(text, 8)
        else:
            n = int(text, 10)
    except ValueError:
        raise ExpressionError(f"invalid number {tok.value!r}", position=tok.pos) from None
    if n > INT64_MAX:
        raise ExpressionError("integer literal is too large", position=tok.pos)
    return n


def _check_arity(name: str, f: Func, n: int, pos: int) -> None:
    if n < f.min_args or (f.max_args is not None and n > f.max_args):
        if f.max_args == f.min_args:
            want = f"{f.min_args} argument{'s' if f.min_args != 1 else ''}"
        elif f.max_args is None:
            want = f"at least {f.min_args} argument{'s' if f.min_args != 1 else ''}"
        else:
            want = f"{f.min_args} to {f.max_args} arguments"
        raise ExpressionError(f"{name} expects {want}, got {n}", position=pos)


@functools.lru_cache(maxsize=4096)
def parse(src: str) -> Node:
    """Parse expr-lang source into an AST (cached). Raises ExpressionError (unbound)."""
    return _Parser(src).parse()


# ------------------------------------------------------------------------------- runtime

class _NilChain(Exception):
    """Raised by ``?.`` on nil; caught by the enclosing chain, which yields nil."""


class _Ctx:
    __slots__ = ("resolver", "stack", "vars")

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        self.stack: list = []
        self.vars: dict = {}


def _wrap(n: int) -> int:
    if INT64_MIN <= n <= INT64_MAX:
        return n
    return ((n - INT64_MIN) % (1 << 64)) + INT64_MIN


def _mismatch(op: str, a: Any, b: Any) -> ExpressionError:
    return ExpressionError(f"invalid operation: {op} (mismatched types {type_name(a)} and "
                           f"{type_name(b)})")


def _add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _wrap(a + b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) + float(b)
    if ta is str and tb is str:
        return a + b
    raise _mismatch("+", a, b)


def _sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _wrap(a - b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) - float(b)
    raise _mismatch("-", a, b)


def _mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _wrap(a * b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) * float(b)
    raise _mismatch("*", a, b)


def _div(a: Any, b: Any) -> float:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        x, y = float(a), float(b)
        if y == 0:  # IEEE 754, as Go's float64 division
            if x == 0 or math.isnan(x):
                return math.nan
            return math.copysign(math.inf, x) * math.copysign(1.0, y)
        return x / y
    raise _mismatch("/", a, b)


def _mod(a: Any, b: Any) -> int:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise ExpressionError("integer divide by zero")
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    raise _mismatch("%", a, b)


def _pow(a: Any, b: Any) -> float:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        try:
            return math.pow(float(a), float(b))
        except OverflowError:
            return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf
        except ValueError:
            return math.nan
    raise _mismatch("**", a, b)


def _cmp(op: str) -> Callable[[Any, Any], bool]:
    import operator as o
    fn = {"<": o.lt, ">": o.gt, "<=": o.le, ">=": o.ge}[op]

    def compare(a: Any, b: Any) -> bool:
        ta, tb = type(a), type(b)
        if (ta is int or ta is float) and (tb is int or tb is float):
            if ta is not tb:
                return fn(float(a), float(b))
            return fn(a, b)
        if ta is str and tb is str:
            return fn(a, b)
        raise _mismatch(op, a, b)
    return compare


def _eq(a: Any, b: Any) -> bool:
    return values_equal(a, b)


def _ne(a: Any, b: Any) -> bool:
    return not values_equal(a, b)


def _in(a: Any, b: Any) -> bool:
    if b is None:
        return False
    tb = type(b)
    if tb is list or tb is tuple:
        return any(values_equal(a, x) for x in b)
    if tb is ScopeView:
        return type(a) is str and b.get_member(a) is not MISSING
    if tb is dict:
        try:
            return a in b
        except TypeError:
            return False
    raise ExpressionError(f"operator 'in' not defined on {type_name(b)}")


def _strop(op: str, fn: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def f(a: Any, b: Any) -> bool:
        if type(a) is str and type(b) is str:
            return fn(a, b)
        raise _mismatch(op, a, b)
    return f


def _matches(a: Any, b: Any) -> bool:
    if type(a) is str and type(b) is str:
        return go_regex(b).search(a) is not None
    raise _mismatch("matches", a, b)


def _range(a: Any, b: Any) -> list:
    if type(a) is int and type(b) is int:
        if b - a > 10_000_000:
            raise ExpressionError(f"range {a}..{b} is too large")
        return list(range(a, b + 1))
    raise _mismatch("..", a, b)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add, "-": _sub, "*": _mul, "/": _div, "%": _mod, "**": _pow, "^": _pow,
    "==": _eq, "!=": _ne, "<": _cmp("<"), ">": _cmp(">"), "<=": _cmp("<="),
    ">=": _cmp(">="), "in": _in, "matches": _matches, "..": _range,
    "contains": _strop("contains", lambda a, b: b in a),
    "startsWith": _strop("startsWith", lambda a, b: a.startswith(b)),
    "endsWith": _strop("endsWith", lambda a, b: a.endswith(b)),
}


def _fetch(o: Any, k: Any, optional: bool, obj_path: Optional[str]) -> Any:
    t = type(o)
    if t is ScopeView:
        if type(k) is not str:
            raise ExpressionError(f"cannot use {type_name(k)} {k!r} as a key of a map")
        v = o.get_member(k)
        return None if v is MISSING else v
    if t is dict:
        try:
            return o.get(k)
        except TypeError:
            raise ExpressionError(f"cannot use {type_name(k)} as a key of a map") from None
    if t is list or t is tuple or t is str:
        tk = type(k)
        if tk is int:
            i = k
        elif tk is float:
            i = int(k)
        else:
            raise ExpressionError(f"cannot index {type_name(o)} with {type_name(k)} {k!r}")
        n = len(o)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise ExpressionError(f"index out of range: {i} (array length is {n})")
        return o[j]
    if o is None:
        if optional:
            raise _NilChain()
        if obj_path is not None:
            raise UnresolvedReference(f"{obj_path}.{k}" if type(k) is str else obj_path,
                                      f"{obj_path!r} is nil")
        raise ExpressionError(f"cannot fetch {k!r} from nil (use '?.' to allow nil)")
    if t is Namespace:
        return o.funcs.get(k) if type(k) is str else None
    if isinstance(o, dict):
        return o.get(k)
    raise ExpressionError(f"cannot fetch {k!r} from {type_name(o)}")


def _slice(o: Any, lo: Any, hi: Any) -> Any:
    o = plain(o)
    if not isinstance(o, (list, tuple, str)):
        raise ExpressionError(f"cannot slice {type_name(o)}")
    n = len(o)
    a = 0 if lo is None else _index_int(lo)
    b = n if hi is None else _index_int(hi)
    if a < 0:
        a = max(a + n, 0)
    if b < 0:
        b = max(b + n, 0)
    b = min(b, n)
    a = min(a, b)
    return list(o[a:b]) if not isinstance(o, str) else o[a:b]


def _index_int(v: Any) -> int:
    if type(v) is int:
        return v
    if type(v) is float:
        return int(v)
    raise ExpressionError(f"slice bounds must be integers, got {type_name(v)}")


def _need_bool(v: Any, what: str) -> bool:
    if type(v) is bool:
        return v
    raise ExpressionError(f"{what} needs a bool, got {type_name(v)} {_show(v)}")


def _show(v: Any) -> str:
    from dflow_nb.expressions._values import go_sprint
    s = go_sprint(plain(v)) if v is not None else "nil"
    return repr(s if len(s) <= 40 else s[:40] + "...")


def _static_path(node: Node, lets: frozenset) -> Optional[str]:
    """The dotted scope name a node reads, if it is a plain path (``steps['a'].outputs``)."""
    if type(node) is Ident:
        if node.name in lets or node.name == "sprig":
            return None
        return node.name
    if type(node) is Member and type(node.prop) is Lit and type(node.prop.value) is str:
        base = _static_path(node.obj, lets)
        return None if base is None else base + "." + node.prop.value
    if type(node) is Chain:
        return _static_path(node.node, lets)
    return None


def _locate(e: ExpressionError, pos: int) -> ExpressionError:
    if e.position is None:
        e.position = pos
    return e


# --------------------------------------------------------------------------------- compiler

Fn = Callable[[_Ctx], Any]


def _compile(node: Node, lets: frozenset) -> Fn:
    kind = type(node)
    pos = node.pos

    if kind is Lit:
        value = node.value
        return lambda ctx: value

    if kind is Ident:
        name = node.name
        if name in lets:
            return lambda ctx: ctx.vars[name]
        if name == "sprig":
            return lambda ctx: SPRIG_NAMESPACE

        def ident(ctx: _Ctx) -> Any:
            v = ctx.resolver.lookup(name)
            if v is MISSING:
                raise UnresolvedReference(name, position=pos)
            return v
        return ident

    if kind is Pointer:
        pname = node.name
        slot = {"": 0, "index": 1, "acc": 2}.get(pname)
        if slot is None:
            raise ExpressionError(f"unknown pointer '#{pname}' (use #, #index or #acc)",
                                  position=pos)

        def pointer(ctx: _Ctx) -> Any:
            return ctx.stack[-1][slot]
        return pointer

    if kind is Member:
        return _compile_member(node, lets)

    if kind is Chain:
        inner = _compile(node.node, lets)
        path = _static_path(node, lets)

        def chain(ctx: _Ctx) -> Any:
            try:
                return inner(ctx)
            except _NilChain:
                return None
        if path is not None:
            return _fast_path(path, chain)
        return chain

    if kind is Slice:
        fo = _compile(node.obj, lets)
        flo = _compile(node.lo, lets) if node.lo is not None else None
        fhi = _compile(node.hi, lets) if node.hi is not None else None

        def slice_(ctx: _Ctx) -> Any:
            o = fo(ctx)
            try:
                return _slice(o, flo(ctx) if flo else None, fhi(ctx) if fhi else None)
            except ExpressionError as e:
                raise _locate(e, pos)
        return slice_

    if kind is Unary:
        return _fold(node, _compile_unary(node, lets))

    if kind is Binary:
        return _fold(node, _compile_binary(node, lets))

    if kind is Cond:
        fc = _compile(node.cond, lets)
        fb = _compile(node.b, lets)
        if node.a is None:  # elvis a ?: b
            def elvis(ctx: _Ctx) -> Any:
                c = fc(ctx)
                return fb(ctx) if c is None or c is False else c
            return elvis
        fa = _compile(node.a, lets)

        def cond(ctx: _Ctx) -> Any:
            c = fc(ctx)
            if c is True:
                return fa(ctx)
            if c is False:
                return fb(ctx)
            raise ExpressionError(f"the condition of '? :' must be a bool, got "
                                  f"{type_name(c)} {_show(c)}", position=pos)
        return _fold(node, cond)

    if kind is Array:
        fs = [_compile(n, lets) for n in node.items]
        return lambda ctx: [f(ctx) for f in fs]

    if kind is MapLit:
        fps = [(_compile(k, lets), _compile(v, lets)) for k, v in node.pairs]

        def map_lit(ctx: _Ctx) -> Any:
            out = {}
            for fk, fv in fps:
                k = fk(ctx)
                try:
                    out[k] = fv(ctx)
                except TypeError:
                    raise ExpressionError(f"cannot use {type_name(k)} as a map key",
                                          position=pos) from None
            return out
        return map_lit

    if kind is Builtin:
        if node.name in PREDICATES:
            return _compile_predicate_builtin(node, lets)
        return _fold(node, _compile_call(node.name, BUILTINS[node.name], node.args, lets, pos))

    if kind is Call:
        return _compile_dynamic_call(node, lets)

    if kind is Let:
        fv = _compile(node.value, lets)
        fbody = _compile(node.body, lets | {node.name})
        vname = node.name

        def let(ctx: _Ctx) -> Any:
            old = ctx.vars.get(vname, MISSING)
            ctx.vars[vname] = fv(ctx)
            try:
                return fbody(ctx)
            finally:
                if old is MISSING:
                    del ctx.vars[vname]
                else:
                    ctx.vars[vname] = old
        return let

    if kind is Predicate:
        raise ExpressionError("a predicate is only allowed as an argument of map, filter...",
                              position=pos)
    raise ExpressionError(f"cannot evaluate {kind.__name__}", position=pos)  # pragma: no cover


def _fast_path(path: str, slow: Fn) -> Fn:
    """A plain scope path: one index lookup; anything else (a dict value, nil...) goes the
    slow, step-by-step way, which gives the same result and the precise error."""
    def fast(ctx: _Ctx) -> Any:
        v = ctx.resolver.lookup(path)
        if v is MISSING or v is None:
            return slow(ctx)
        return v
    return fast


def _compile_member(node: Member, lets: frozenset) -> Fn:
    pos = node.pos
    fo = _compile(node.obj, lets)
    optional = node.optional
    obj_path = _static_path(node.obj, lets)
    path = _static_path(node, lets)
    if type(node.prop) is Lit:
        key = node.prop.value

        def member(ctx: _Ctx) -> Any:
            try:
                o = fo(ctx)
            except UnresolvedReference as e:
                if path is not None:
                    e.widen(path)
                raise
            try:
                return _fetch(o, key, optional, obj_path)
            except ExpressionError as e:
                raise _locate(e, pos)
    else:
        fk = _compile(node.prop, lets)

        def member(ctx: _Ctx) -> Any:
            o = fo(ctx)
            k = fk(ctx)
            try:
                return _fetch(o, k, optional, obj_path)
            except ExpressionError as e:
                raise _locate(e, pos)
    if path is not None:
        return _fast_path(path, member)
    return member


def _compile_unary(node: Unary, lets: frozenset) -> Fn:
    f = _compile(node.node, lets)
    pos = node.pos
    op = node.op
    if op in ("!", "not"):
        def not_(ctx: _Ctx) -> Any:
            v = f(ctx)
            if v is True:
                return False
            if v is False:
                return True
            raise ExpressionError(f"{op!r} needs a bool, got {type_name(v)} {_show(v)}",
                                  position=pos)
        return not_

    def sign(ctx: _Ctx) -> Any:
        v = f(ctx)
        t = type(v)
        if t is int:
            return _wrap(-v) if op == "-" else v
        if t is float:
            return -v if op == "-" else v
        raise ExpressionError(f"invalid operation: {op} ({type_name(v)})", position=pos)
    return sign


def _compile_binary(node: Binary, lets: frozenset) -> Fn:
    fl = _compile(node.left, lets)
    fr = _compile(node.right, lets)
    pos = node.pos
    op = node.op
    if op in ("&&", "and", "||", "or"):
        decisive = op in ("||", "or")   # the left value that settles the answer alone

        def logic(ctx: _Ctx) -> Any:
            a = fl(ctx)
            if a is decisive:
                return decisive
            if a is not (not decisive):
                raise ExpressionError(f"{op!r} needs bools, got {type_name(a)} {_show(a)}",
                                      position=pos)
            b = fr(ctx)
            if type(b) is not bool:
                raise ExpressionError(f"{op!r} needs bools, got {type_name(b)} {_show(b)}",
                                      position=pos)
            return b
        return logic
    if op == "??":
        def coalesce(ctx: _Ctx) -> Any:
            a = fl(ctx)
            return fr(ctx) if a is None else a
        return coalesce
    fn = _BINOPS[op]

    def binary(ctx: _Ctx) -> Any:
        a = fl(ctx)
        b = fr(ctx)
        try:
            return fn(a, b)
        except ExpressionError as e:
            raise _locate(e, pos)
    return binary


def _call_guard(name: str, pos: int, fn: Callable[..., Any], args: list) -> Any:
    try:
        return fn(*args)
    except ExpressionError as e:
        raise _locate(e, pos)
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as e:
        raise ExpressionError(f"{name}: {e}", position=pos) from None


def _compile_call(name: str, func: Func, arg_nodes: list, lets: frozenset, pos: int) -> Fn:
    fs = [_compile(a, lets) for a in arg_nodes]
    fn = func.fn
    if len(fs) == 1:
        f0 = fs[0]

        def call1(ctx: _Ctx) -> Any:
            a = f0(ctx)
            try:
                return fn(a)
            except ExpressionError as e:
                raise _locate(e, pos)
            except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as e:
                raise ExpressionError(f"{name}: {e}", position=pos) from None
        return call1

    def call(ctx: _Ctx) -> Any:
        return _call_guard(name, pos, fn, [f(ctx) for f in fs])
    return call


def _compile_dynamic_call(node: Call, lets: frozenset) -> Fn:
    callee = node.callee
    pos = node.pos
    if type(callee) is Ident and callee.name not in lets:
        raise ExpressionError(f"unknown function {callee.name!r}", position=callee.pos)
    if type(callee) is Member and type(callee.obj) is Ident and callee.obj.name == "sprig" \
            and "sprig" not in lets and type(callee.prop) is Lit:
        fname = callee.prop.value
        func = SPRIG.get(fname)
        if func is None:
            raise ExpressionError(f"unknown function 'sprig.{fname}'", position=callee.pos)
        _check_arity("sprig." + fname, func, len(node.args), callee.pos)
        return _compile_call("sprig." + fname, func, node.args, lets, callee.pos)
    fcallee = _compile(callee, lets)
    fs = [_compile(a, lets) for a in node.args]
    label = _static_path(callee, frozenset()) or "value"

    def dyn(ctx: _Ctx) -> Any:
        target = fcallee(ctx)
        args = [f(ctx) for f in fs]
        if isinstance(target, Func):
            _check_arity(label, target, len(args), pos)
            return _call_guard(label, pos, target.fn, args)
        if target is None:
            raise ExpressionError(f"unknown function {label!r}", position=pos)
        raise ExpressionError(f"{label!r} is not a function (it is {type_name(target)})",
                              position=pos)
    return dyn


def _fold(node: Node, fn: Fn) -> Fn:
    """Evaluate now if every operand is a literal (and it does not fail)."""
    if all(type(c) is Lit for c in node.children()):
        try:
            value = fn(_Ctx(None))
        except ExpressionError:
            return fn
        if type(value) in (int, float, str, bool) or value is None:
            return lambda ctx: value
    return fn


def _compile_predicate_builtin(node: Builtin, lets: frozenset) -> Fn:
    name = node.name
    pos = node.pos
    fcoll = _compile(node.args[0], lets)
    pred_node = node.args[1] if len(node.args) > 1 else None
    if pred_node is not None:
        fpred = _compile(pred_node.node, lets)
    else:  # count(xs) / sum(xs)
        def fpred(ctx: _Ctx) -> Any:
            return ctx.stack[-1][0]
    fextra = _compile(node.args[2], lets) if len(node.args) > 2 else None

    def items_of(ctx: _Ctx) -> list:
        coll = plain(fcoll(ctx))
        if isinstance(coll, (list, tuple)):
            return list(coll)
        raise ExpressionError(f"{name}: cannot iterate over {type_name(coll)}"
                              f"{' (nil)' if coll is None else ''}", position=pos)

    def bool_of(v: Any) -> bool:
        if type(v) is bool:
            return v
        raise ExpressionError(f"{name}: the predicate must return a bool, got "
                              f"{type_name(v)} {_show(v)}", position=pos)

    impl = _PREDICATE_IMPLS[name]

    def run(ctx: _Ctx) -> Any:
        items = items_of(ctx)
        extra = fextra(ctx) if fextra is not None else MISSING
        frame = [None, 0, None]
        ctx.stack.append(frame)
        try:
            def apply(item: Any, index: int) -> Any:
                frame[0] = item
                frame[1] = index
                return fpred(ctx)
            return impl(items, apply, bool_of, extra, frame, name, pos)
        finally:
            ctx.stack.pop()
    return run


def _p_all(items, apply, bool_of, extra, frame, name, pos):
    return all(bool_of(apply(x, i)) for i, x in enumerate(items))


def _p_none(items, apply, bool_of, extra, frame, name, pos):
    return not any(bool_of(apply(x, i)) for i, x in enumerate(items))


def _p_any(items, apply, bool_of, extra, frame, name, pos):
    return any(bool_of(apply(x, i)) for i, x in enumerate(items))


def _p_one(items, apply, bool_of, extra, frame, name, pos):
    return sum(1 for i, x in enumerate(items) if bool_of(apply(x, i))) == 1


def _p_filter(items, apply, bool_of, extra, frame, name, pos):
    return [x for i, x in enumerate(items) if bool_of(apply(x, i))]


def _p_map(items, apply, bool_of, extra, frame, name, pos):
    return [apply(x, i) for i, x in enumerate(items)]


def _p_count(items, apply, bool_of, extra, frame, name, pos):
    return sum(1 for i, x in enumerate(items) if bool_of(apply(x, i)))


def _p_sum(items, apply, bool_of, extra, frame, name, pos):
    total: Any = 0
    for i, x in enumerate(items):
        v = apply(x, i)
        try:
            total = _add(total, v)
        except ExpressionError:
            raise ExpressionError(f"sum: cannot add {type_name(v)}", position=pos) from None
    return total


def _p_find(items, apply, bool_of, extra, frame, name, pos):
    for i, x in enumerate(items):
        if bool_of(apply(x, i)):
            return x
    return None


def _p_find_index(items, apply, bool_of, extra, frame, name, pos):
    for i, x in enumerate(items):
        if bool_of(apply(x, i)):
            return i
    return -1


def _p_find_last(items, apply, bool_of, extra, frame, name, pos):
    for i in range(len(items) - 1, -1, -1):
        if bool_of(apply(items[i], i)):
            return items[i]
    return None


def _p_find_last_index(items, apply, bool_of, extra, frame, name, pos):
    for i in range(len(items) - 1, -1, -1):
        if bool_of(apply(items[i], i)):
            return i
    return -1


def _p_group_by(items, apply, bool_of, extra, frame, name, pos):
    out: dict = {}
    for i, x in enumerate(items):
        k = apply(x, i)
        try:
            out.setdefault(k, []).append(x)
        except TypeError:
            raise ExpressionError(f"groupBy: cannot group by {type_name(k)}",
                                  position=pos) from None
    return out


def _p_sort_by(items, apply, bool_of, extra, frame, name, pos):
    order = "asc" if extra is MISSING else extra
    if order not in ("asc", "desc"):
        raise ExpressionError(f"sortBy: order must be 'asc' or 'desc', got {_show(order)}",
                              position=pos)
    keyed = [(apply(x, i), x) for i, x in enumerate(items)]
    try:
        keyed.sort(key=functools.cmp_to_key(
            lambda a, b: -1 if less(a[0], b[0]) else (1 if less(b[0], a[0]) else 0)))
    except ExpressionError as e:
        raise ExpressionError(f"sortBy: {e.cause}", position=pos) from None
    out = [x for _, x in keyed]
    return out[::-1] if order == "desc" else out


def _p_reduce(items, apply, bool_of, extra, frame, name, pos):
    start = 0
    if extra is MISSING:
        if not items:
            raise ExpressionError("reduce of an empty array with no initial value",
                                  position=pos)
        acc, start = items[0], 1
    else:
        acc = extra
    for i in range(start, len(items)):
        frame[2] = acc
        acc = apply(items[i], i)
    return acc


_PREDICATE_IMPLS = {
    "all": _p_all, "none": _p_none, "any": _p_any, "one": _p_one, "filter": _p_filter,
    "map": _p_map, "count": _p_count, "sum": _p_sum, "find": _p_find,
    "findIndex": _p_find_index, "findLast": _p_find_last,
    "findLastIndex": _p_find_last_index, "groupBy": _p_group_by, "sortBy": _p_sort_by,
    "reduce": _p_reduce,
}


# ------------------------------------------------------------------------------ entry points

@functools.lru_cache(maxsize=4096)
def compile_expr(src: str) -> Fn:
    """Parse and compile an expression (cached by text). Raises ExpressionError (unbound)."""
    return _compile(parse(src), frozenset())


def _export(v: Any) -> Any:
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


def evaluate(expr: str, scope: Any, *, kind: str = "expression", offset: int = 0) -> Any:
    """Evaluate expr-lang source against a flat scope mapping (or a Scope)."""
    try:
        fn = compile_expr(expr)
        return _export(fn(_Ctx(resolver_for(scope))))
    except ExpressionError as e:
        raise e.bind(expr, kind, offset) from None
    except RecursionError:
        raise ExpressionError("expression is nested too deeply", expression=expr,
                              kind=kind) from None


def expr_references(expr: str) -> list[str]:
    """Dotted scope names an expression reads, in source order, unique."""
    try:
        root = parse(expr)
    except ExpressionError as e:
        raise e.bind(expr) from None
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name not in seen:
            seen.add(name)
            out.append(name)

    def walk(node: Node, lets: frozenset) -> None:
        kind = type(node)
        if kind in (Member, Ident, Chain):
            path = _static_path(node, lets)
            if path is not None:
                add(path)
                return
        if kind is Let:
            walk(node.value, lets)
            walk(node.body, lets | {node.name})
            return
        if kind is Call and type(node.callee) is Ident:
            for a in node.args:
                walk(a, lets)
            return
        for child in node.children():
            walk(child, lets)

    walk(root, frozenset())
    return out

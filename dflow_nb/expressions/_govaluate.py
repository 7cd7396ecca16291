"""Argo ``when`` conditions: govaluate (github.com/Knetic/govaluate v3) syntax and semantics,
with Argo's twist that every bare word (govaluate "variable") is a string literal.

So ``heads == heads`` is true and ``tails != heads`` is true, while ``flip-coin == x`` is
``flip - coin == x`` and fails as it does in Argo (quote such values: ``'flip-coin' == x``).

govaluate facts kept here:

* every number is a float64; ``+`` concatenates when either side is a string (``%v`` of the
  other), otherwise adds numbers; ``- * / % **`` need numbers (``/`` by zero gives Inf);
* ``== !=`` compare type and value (Go reflect.DeepEqual): ``3 == '3'`` is false, no error;
* ``< <= > >=`` need two numbers or two strings, else an error;
* ``=~ !~`` match a Go regular expression anywhere in the left string;
* ``&& || !`` need bools (``&&``/``||`` short-circuit); ``c ? a : b``, ``a ?? b``;
  ``x in (1, 2)``; bitwise ``& | ^ ~ << >>`` on integer parts;
* precedence, lowest first: ``,``  ``? : ??``  ``||``  ``&&``  comparators  ``& | ^``
  ``<< >>``  ``+ -``  ``* / %``  ``**``  prefix ``- ! ~``;
* operators are read greedily from a run of symbol characters, so ``a ==-1`` is an invalid
  token ``==-`` (write ``a == -1``); a dotted word is an accessor, which Argo cannot resolve.

Not reproduced: govaluate turns quoted strings that parse as dates into timestamps.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._go_regexp import go_regex
from dflow_nb.expressions._go_stdlib import go_float_div, trunc_int64
from dflow_nb.expressions._limits import MAX_DEPTH, too_deep, too_deep_node
from dflow_nb.expressions._values import go_sprint

__all__ = ["evaluate_govaluate", "parse_govaluate"]

_PREFIX = {"-", "!", "~"}
_MODIFIERS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
_COMPARATORS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~"}
_LOGICAL = {"&&", "||"}
_TERNARY = {"?", ":", "??"}


class _Tok(NamedTuple):
    kind: str  # value, accessor, op, '(', ')', ','
    value: Any
    pos: int


def _is_symbol_char(c: str) -> bool:
    return not (c.isalnum() or c in "()[]'\",_" or c.isspace()) or c == "_"


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c == "0" and i + 1 < n and src[i + 1] in "xX":
            j = i + 2
            while j < n and src[j] in "0123456789abcdefABCDEF":
                j += 1
            try:
                toks.append(_Tok("value", float(int(src[i + 2:j], 16)), start))
            except ValueError:
                raise ExpressionError(f"Unable to parse hex value {src[i:j]!r}",
                                      position=start) from None
            i = j
            continue
        if c.isdigit() or c == ".":
            j = i
            while j < n and (src[j].isdigit() or src[j] == "."):
                j += 1
            text = src[i:j]
            try:
                toks.append(_Tok("value", float(text), start))
            except ValueError:
                raise ExpressionError(f"Unable to parse numeric value {text!r} to float64",
                                      position=start) from None
            i = j
            continue
        if c == ",":
            toks.append(_Tok(",", ",", start))
            i += 1
            continue
        if c in "()":
            toks.append(_Tok(c, c, start))
            i += 1
            continue
        if c == "[":  # escaped variable name: [foo bar]
            j = src.find("]", i + 1)
            if j < 0:
                raise ExpressionError("Unclosed parameter bracket", position=start)
            toks.append(_Tok("value", src[i + 1:j], start))  # Argo: variables are strings
            i = j + 1
            continue
        if c.isalpha():
            j = i
            while j < n and (src[j].isalnum() or src[j] in "_."):
                j += 1
            word = src[i:j]
            i = j
            if word in ("true", "false"):
                toks.append(_Tok("value", word == "true", start))
            elif word in ("in", "IN"):
                toks.append(_Tok("op", "in", start))
            elif "." in word:
                if word.endswith("."):
                    raise ExpressionError(f"Hanging accessor on token {word!r}", position=start)
                parts = word.split(".")
                for p in parts[1:]:
                    if p[:1] != p[:1].upper() or not p:
                        raise ExpressionError(
                            f"Unable to access unexported field {p!r} in token {word!r} "
                            "(quote the value: a dotted word is not a string in 'when')",
                            position=start)
                toks.append(_Tok("accessor", word, start))
            else:
                toks.append(_Tok("value", word, start))  # Argo: VARIABLE -> STRING
            continue
        if c in "'\"":
            j = i + 1
            out = []
            while j < n and src[j] not in "'\"":
                if src[j] == "\\" and j + 1 < n:
                    j += 1
                out.append(src[j])
                j += 1
            if j >= n:
                raise ExpressionError("Unclosed string literal", position=start)
            toks.append(_Tok("value", "".join(out), start))
            i = j + 1
            continue
        j = i
        while j < n and _is_symbol_char(src[j]):
            j += 1
        if j == i:
            raise ExpressionError(f"Invalid token: {c!r}", position=start)
        sym = src[i:j]
        can_prefix = not toks or toks[-1].kind in ("op", "(", ",")
        if (can_prefix and sym in _PREFIX) or sym in _MODIFIERS or sym in _COMPARATORS \
                or sym in _LOGICAL or sym in _TERNARY:
            toks.append(_Tok("op", sym, start))
        else:
            raise ExpressionError(f"Invalid token: {sym!r}", position=start)
        i = j
    toks.append(_Tok("end", None, n))
    return toks


# precedence levels, lowest first (each binary level is left-associative)
_LEVELS: list[set[str]] = [
    {","}, {"?", ":", "??"}, {"||"}, {"&&"}, _COMPARATORS | {"in"}, {"&", "|", "^"},
    {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}, {"**"},
]
_LEVEL_OF = {op: level for level, ops in enumerate(_LEVELS) for op in ops}


class _Node(NamedTuple):
    op: str  # 'lit', 'acc', 'prefix:-', ',' (a is the tuple of items), a binary operator, or
    #          'fold' (a run of left-associative operations: a is the first operand, b the
    #          (operator, operand, position) steps; a flat chain nests one level)
    a: Any
    b: Any
    pos: int


def _children(node: _Node) -> tuple[_Node, ...]:
    if node.op == ",":
        return node.a
    if node.op == "fold":
        return (node.a,) + tuple(n for _, n, _ in node.b)
    return tuple(x for x in (node.a, node.b) if type(x) is _Node)


class _Parser:
    """Precedence climbing over ``_LEVELS``; every recursion passes through ``binary`` or
    ``prefix``, which bound its depth."""

    def __init__(self, src: str) -> None:
        self.toks = _tokenize(src)
        self.i = 0
        self.nesting = 0

    def cur(self) -> _Tok:
        return self.toks[self.i]

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise too_deep(self.cur().pos)

    def parse(self) -> _Node:
        if self.cur().kind == "end":
            raise ExpressionError("Unexpected end of expression", position=0)
        node = self.binary(0)
        if self.cur().kind != "end":
            t = self.cur()
            raise ExpressionError(f"unexpected {_describe(t)} (two values in a row? quote "
                                  "values that contain spaces)", position=t.pos)
        deep = too_deep_node(node, _children)
        if deep is not None:
            raise too_deep(deep.pos)
        return node

    def binary(self, lowest: int) -> _Node:
        """Operators of level ``lowest`` and above; ``a, b, c`` is one list node."""
        self.enter()
        left = self.prefix()
        steps: list[tuple[str, _Node, int]] = []
        while True:
            t = self.cur()
            level = _LEVEL_OF.get(t.value) if t.kind in ("op", ",") else None
            if level is None or level < lowest:
                break
            self.i += 1
            if t.kind == ",":
                items = [_fold(left, steps), self.binary(1)]
                while self.cur().kind == ",":
                    self.i += 1
                    items.append(self.binary(1))
                left = _Node(",", tuple(items), None, t.pos)
                continue
            steps.append((t.value, self.binary(level + 1), t.pos))
        self.nesting -= 1
        return _fold(left, steps)

    def prefix(self) -> _Node:
        t = self.cur()
        if t.kind == "op" and t.value in _PREFIX:
            self.i += 1
            self.enter()
            node = _Node("prefix:" + t.value, self.prefix(), None, t.pos)
            self.nesting -= 1
            return node
        return self.value()

    def value(self) -> _Node:
        t = self.cur()
        if t.kind == "value":
            self.i += 1
            return _Node("lit", t.value, None, t.pos)
        if t.kind == "accessor":
            self.i += 1
            return _Node("acc", t.value, None, t.pos)
        if t.kind == "(":
            self.i += 1
            if self.cur().kind == ")":
                raise ExpressionError("empty parentheses", position=t.pos)
            inner = self.binary(0)
            if self.cur().kind != ")":
                raise ExpressionError("Unbalanced parenthesis", position=t.pos)
            self.i += 1
            return inner
        if t.kind == "end":
            prev = self.toks[self.i - 1] if self.i else None
            after = f" after {prev.value!r}" if prev is not None else ""
            raise ExpressionError(f"Unexpected end of expression{after}", position=t.pos)
        raise ExpressionError(f"unexpected {_describe(t)}", position=t.pos)


def _fold(left: _Node, steps: list[tuple[str, _Node, int]]) -> _Node:
    """``left`` with the pending operations applied in order (``steps`` is emptied)."""
    if not steps:
        return left
    op, right, pos = steps[0]
    node = _Node(op, left, right, pos) if len(steps) == 1 else \
        _Node("fold", left, tuple(steps), pos)
    steps.clear()
    return node


def _describe(t: _Tok) -> str:
    if t.kind == "value":
        return f"value {go_sprint(t.value)!r}"
    return repr(t.value)


@functools.lru_cache(maxsize=1024)
def parse_govaluate(src: str) -> _Node:
    """Parse a (rendered) when condition (cached), at most MAX_DEPTH levels deep. Raises
    ExpressionError (unbound)."""
    return _Parser(src).parse()


def _num(v: Any) -> bool:
    return type(v) is float


def _err(fmt: str, v: Any, op: str, pos: int) -> ExpressionError:
    return ExpressionError(fmt.format(value=go_sprint(v) if v is not None else "<nil>", op=op),
                           position=pos)


_MOD_ERR = "Value '{value}' cannot be used with the modifier '{op}', it is not a number"
_CMP_ERR = "Value '{value}' cannot be used with the comparator '{op}', it is not a number"
_LOG_ERR = "Value '{value}' cannot be used with the logical operator '{op}', it is not a bool"
_TER_ERR = "Value '{value}' cannot be used with the ternary operator '{op}', it is not a bool"
_PRE_ERR = "Value '{value}' cannot be used with the prefix '{op}'"


def _fpow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


_ARITH: dict[str, Callable[[float, float], float]] = {
    "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": go_float_div,
    "%": lambda a, b: math.fmod(a, b) if b != 0 else math.nan, "**": _fpow,
    "&": lambda a, b: float(trunc_int64(a) & trunc_int64(b)),
    "|": lambda a, b: float(trunc_int64(a) | trunc_int64(b)),
    "^": lambda a, b: float(trunc_int64(a) ^ trunc_int64(b)),
    "<<": lambda a, b: float((trunc_int64(a) % (1 << 64)) << (trunc_int64(b) % 64)
                             & ((1 << 64) - 1)),
    ">>": lambda a, b: float((trunc_int64(a) % (1 << 64)) >> (trunc_int64(b) % 64)),
}


def _deep_equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b))
    return a == b


def _eval(node: _Node) -> Any:
    op = node.op
    if op == "lit":
        return node.a
    if op == "acc":
        raise ExpressionError(f"No parameter {node.a.split('.')[0]!r} found (a dotted word in a "
                              "'when' is an accessor, not a string: quote it)",
                              position=node.pos)
    if op.startswith("prefix:"):
        sym = op[7:]
        v = _eval(node.a)
        if sym == "!":
            if type(v) is not bool:
                raise _err(_PRE_ERR, v, sym, node.pos)
            return not v
        if not _num(v):
            raise _err(_PRE_ERR, v, sym, node.pos)
        return -v if sym == "-" else float(~trunc_int64(v))
    if op == ",":
        first = _eval(node.a[0])
        out = list(first) if type(first) is list else [first]
        out.extend(_eval(item) for item in node.a[1:])
        return out
    if op == "fold":
        acc = _eval(node.a)
        for step_op, operand, pos in node.b:
            acc = _apply(step_op, acc, operand, pos)
        return acc
    return _apply(op, _eval(node.a), node.b, node.pos)


def _apply(op: str, left: Any, right_node: _Node, pos: int) -> Any:
    """``left op right``, the right side evaluated only when needed."""
    # short circuits (govaluate evaluates the right side only when needed)
    if op == "&&" and left is False:
        return False
    if op == "||" and left is True:
        return True
    if op in ("??", ":") and left is not None:
        return left
    if op == "?":
        if type(left) is not bool:
            raise _err(_TER_ERR, left, op, pos)
        if not left:
            return None
    right = _eval(right_node)
    if op in ("&&", "||"):
        for v in (left, right):
            if type(v) is not bool:
                raise _err(_LOG_ERR, v, op, pos)
        return right
    if op in ("?", "??", ":"):
        return right
    if op == "+":
        if _num(left) and _num(right):
            return left + right
        if type(left) is str or type(right) is str:
            return go_sprint(left) + go_sprint(right)
        raise _err(_MOD_ERR, left if not _num(left) else right, op, pos)
    if op in _ARITH:
        for v in (left, right):
            if not _num(v):
                raise _err(_MOD_ERR, v, op, pos)
        return _ARITH[op](left, right)
    if op == "==":
        return _deep_equal(left, right)
    if op == "!=":
        return not _deep_equal(left, right)
    if op in ("<", "<=", ">", ">="):
        if not ((_num(left) and _num(right)) or (type(left) is str and type(right) is str)):
            raise _err(_CMP_ERR, left, op, pos)
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right
    if op in ("=~", "!~"):
        if type(left) is not str:
            raise _err(_CMP_ERR, left, op, pos)
        if type(right) is not str:
            raise _err(_CMP_ERR, right, op, pos)
        try:
            found = go_regex(right).search(left)
        except ExpressionError as e:
            raise ExpressionError(f"Unable to compile regexp pattern {right!r}: {e.cause}",
                                  position=pos) from None
        return found if op == "=~" else not found
    if op == "in":
        items = right if type(right) is list else [right]
        return any(_deep_equal(left, x) for x in items)
    raise ExpressionError(f"unknown operator {op!r}", position=pos)  # pragma: no cover


def evaluate_govaluate(src: str) -> Any:
    """Evaluate a rendered ``when`` condition the way Argo does. Raises ExpressionError
    (unbound: the caller names the condition)."""
    return _eval(parse_govaluate(src))

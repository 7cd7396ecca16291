"""JSONPath filter selectors, ``[?(...)]``, as Argo's ``jsonpath`` (evilmonkeyinc/jsonpath) reads
them: ``@`` is the element under test and ``$`` the document; ``@.key``, ``@['key']``, ``@[n]``;
comparisons ``== != < <= > >=``, ``=~ /regex/`` (Go's syntax), ``&&``, ``||``, ``!``, parentheses;
numbers, quoted strings, ``true``, ``false``, ``null``. A path alone asks whether it exists.

Parsed once to a small tree and evaluated over plain values: nothing is ``eval``-ed.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Union

from dflow_nb.expressions._func import fail
from dflow_nb.expressions._go_regexp import go_regex
from dflow_nb.expressions._values import plain

__all__ = ["compile_filter"]

_MISSING = object()

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<regex>/(?:[^/\\]|\\.)*/)
    | (?P<op>==|!=|<=|>=|=~|&&|\|\||[<>!()])
    | (?P<path>[@$](?:\.[A-Za-z_$][\w$-]*|\[\s*(?:-?\d+|'[^']*'|"[^"]*")\s*\])*)
    | (?P<word>true|false|null)
    )""", re.VERBOSE)

_PATH_PART = re.compile(r"""
    \.(?P<key>[A-Za-z_$][\w$-]*)
  | \[\s*(?:(?P<index>-?\d+)|'(?P<sq>[^']*)'|"(?P<dq>[^"]*)")\s*\]""", re.VERBOSE)


@dataclass(frozen=True)
class _Path:
    root: str                      # "@" or "$"
    parts: tuple[Union[str, int], ...]


@dataclass(frozen=True)
class _Op:
    op: str
    args: tuple[Any, ...]


def _lex(text: str, where: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise fail("jsonpath", f"cannot read the filter at {text[pos:]!r} (path {where!r})")
        kind = m.lastgroup or ""
        raw = m.group(kind)
        if kind == "num":
            out.append(("lit", float(raw) if any(c in raw for c in ".eE") else int(raw)))
        elif kind == "str":
            out.append(("lit", re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif kind == "word":
            out.append(("lit", {"true": True, "false": False, "null": None}[raw]))
        elif kind == "regex":
            out.append(("regex", raw[1:-1].replace("\\/", "/")))
        elif kind == "path":
            parts: list[Union[str, int]] = []
            for p in _PATH_PART.finditer(raw, 1):
                idx = p.group("index")
                key = p.group("key") or p.group("sq") or p.group("dq")
                parts.append(int(idx) if idx is not None else key or "")
            out.append(("path", _Path(raw[0], tuple(parts))))
        else:
            out.append(("op", raw))
        pos = m.end()
    return out


class _Parser:
    """Precedence, loosest first: ``||``, ``&&``, ``!``, comparison, operand."""

    def __init__(self, tokens: list[tuple[str, Any]], where: str) -> None:
        self.tokens, self.pos, self.where = tokens, 0, where

    def _peek(self) -> tuple[str, Any]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", None)

    def _take(self, op: str) -> bool:
        if self._peek() == ("op", op):
            self.pos += 1
            return True
        return False

    def parse(self) -> Any:
        node = self._or()
        if self._peek()[0] != "end":
            raise fail("jsonpath", f"unexpected {self._peek()[1]!r} in the filter (path {self.where!r})")
        return node

    def _or(self) -> Any:
        node = self._and()
        while self._take("||"):
            node = _Op("||", (node, self._and()))
        return node

    def _and(self) -> Any:
        node = self._not()
        while self._take("&&"):
            node = _Op("&&", (node, self._not()))
        return node

    def _not(self) -> Any:
        if self._take("!"):
            return _Op("!", (self._not(),))
        return self._compare()

    def _compare(self) -> Any:
        left = self._operand()
        kind, op = self._peek()
        if kind == "op" and op in ("==", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            return _Op(op, (left, self._operand()))
        if kind == "op" and op == "=~":
            self.pos += 1
            kind, pattern = self._peek()
            if kind != "regex":
                raise fail("jsonpath", f"=~ needs a /regex/ (path {self.where!r})")
            self.pos += 1
            return _Op("=~", (left, go_regex(pattern)))
        return left

    def _operand(self) -> Any:
        kind, value = self._peek()
        if (kind, value) == ("op", "("):
            self.pos += 1
            node = self._or()
            if not self._take(")"):
                raise fail("jsonpath", f"a '(' is not closed in the filter (path {self.where!r})")
            return node
        if kind in ("lit", "path"):
            self.pos += 1
            return ("lit", value) if kind == "lit" else value
        raise fail("jsonpath", f"expected a value in the filter, got {value!r} (path {self.where!r})")


def _lookup(path: _Path, item: Any, root: Any) -> Any:
    v = plain(item if path.root == "@" else root)
    for part in path.parts:
        if isinstance(part, int) and isinstance(v, (list, tuple)) and -len(v) <= part < len(v):
            v = plain(v[part])
        elif isinstance(part, str) and isinstance(v, dict) and part in v:
            v = plain(v[part])
        else:
            return _MISSING
    return v


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return op == "!=" and (a is _MISSING) != (b is _MISSING)
    if op in ("==", "!="):
        same = a == b and (isinstance(a, bool) == isinstance(b, bool))
        return same if op == "==" else not same
    if not (_is_number(a) and _is_number(b)) and not (isinstance(a, str) and isinstance(b, str)):
        return False   # an order between a number and a string, or of lists, selects nothing
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _evaluate(node: Any, item: Any, root: Any) -> Any:
    if isinstance(node, _Path):
        return _lookup(node, item, root)
    if isinstance(node, tuple):   # ("lit", value)
        return node[1]
    if node.op == "||":
        return _truthy(_evaluate(node.args[0], item, root)) or _truthy(_evaluate(node.args[1], item, root))
    if node.op == "&&":
        return _truthy(_evaluate(node.args[0], item, root)) and _truthy(_evaluate(node.args[1], item, root))
    if node.op == "!":
        return not _truthy(_evaluate(node.args[0], item, root))
    if node.op == "=~":
        text = _evaluate(node.args[0], item, root)
        return isinstance(text, str) and node.args[1].search(text)
    return _compare(node.op, _evaluate(node.args[0], item, root), _evaluate(node.args[1], item, root))


def _truthy(v: Any) -> bool:
    """A path that exists is true (``[?(@.isbn)]``), as is any value but false and null."""
    return v is not _MISSING and v is not None and v is not False


@functools.lru_cache(maxsize=256)
def compile_filter(text: str, where: str) -> Callable[[Any, Any], bool]:
    """``text`` is what stands between ``[?(`` and ``)]``; the result tells whether an element
    (first argument) of the document (second) is selected."""
    tree = _Parser(_lex(text, where), where).parse()
    return lambda item, root: _truthy(_evaluate(tree, item, root))

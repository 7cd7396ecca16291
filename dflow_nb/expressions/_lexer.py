"""Tokeniser for expr-lang source (the inside of ``{{= }}``), following expr-lang v1.17's lexer:
numbers (``1_000``, ``0x1F``, ``0o17``, ``0b101``, ``1.5``, ``.5``, ``1e3``), strings in ``'``,
``"`` (Go escapes) or backquotes (raw), identifiers (letters, digits, ``_``, ``$``), word
operators (``not in``, ``matches``...), ``//`` and ``/* */`` comments, and the symbols
``( ) [ ] { } , ; : ? ?. ?? . .. + - * / % ** ^ == != < <= > >= && || ! | # ::``.
"""
from __future__ import annotations

from typing import NamedTuple

from dflow_nb.expressions._errors import ExpressionError

__all__ = ["Token", "tokenize", "NUMBER", "STRING", "IDENT", "OP", "BRACKET", "EOF", "NEGATABLE"]

NUMBER, STRING, IDENT, OP, BRACKET, EOF = "number", "string", "identifier", "operator", \
    "bracket", "end of input"

WORD_OPERATORS = frozenset({"in", "or", "and", "matches", "contains", "startsWith", "endsWith",
                            "let", "if", "else", "not"})
NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})


class Token(NamedTuple):
    kind: str
    value: str
    pos: int

    def describe(self) -> str:
        """How the token is named in error messages."""
        return "end of input" if self.kind == EOF else repr(self.value)


def _is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_" or c == "$"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", "\\": "\\", "'": "'", '"': '"'}


def _scan_string(src: str, i: int) -> tuple[str, int]:
    """Read a quoted string starting at src[i] (the quote); return (value, index after)."""
    quote = src[i]
    start = i
    i += 1
    out: list[str] = []
    n = len(src)
    while True:
        if i >= n:
            raise ExpressionError("unterminated string literal", position=start)
        c = src[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\n":
            raise ExpressionError("newline in string literal", position=start)
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise ExpressionError("unterminated string literal", position=start)
        e = src[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = src[i + 2:i + 2 + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ExpressionError(f"invalid escape \\{e}{digits} in string", position=i)
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise ExpressionError(f"invalid Unicode code point \\{e}{digits}", position=i)
            out.append(chr(code))
            i += 2 + width
        elif e in "01234567":
            digits = src[i + 1:i + 4]
            if len(digits) != 3 or any(d not in "01234567" for d in digits) or \
                    int(digits, 8) > 255:
                raise ExpressionError(f"invalid octal escape \\{digits} in string", position=i)
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ExpressionError(f"invalid escape \\{e} in string", position=i)


def _scan_number(src: str, i: int) -> int:
    """Return the index after the number starting at i (expr-lang's scanNumber)."""
    n = len(src)
    start = i
    digits = "0123456789_"
    if src.startswith("0", i):
        i += 1
        if i < n and src[i] in "xX":
            digits, i = "0123456789abcdefABCDEF_", i + 1
        elif i < n and src[i] in "oO":
            digits, i = "01234567_", i + 1
        elif i < n and src[i] in "bB":
            digits, i = "01_", i + 1
    while i < n and src[i] in digits:
        i += 1
    if i < n and src[i] == "." and digits == "0123456789_":
        if i + 1 < n and src[i + 1] == ".":  # 1..3 is a range
            return i
        i += 1
        while i < n and src[i] in digits:
            i += 1
    if i < n and src[i] in "eE" and digits == "0123456789_":
        i += 1
        if i < n and src[i] in "+-":
            i += 1
        while i < n and src[i] in digits:
            i += 1
    if i < n and _is_ident_char(src[i]):
        raise ExpressionError(f"bad number syntax {src[start:i + 1]!r}", position=start)
    return i


_TWO_CHAR = {"==", "!=", "<=", ">=", "&&", "||", "**", "?.", "??", "..", "::"}


def tokenize(src: str) -> list[Token]:
    """Split expr-lang source into tokens; the last token is EOF."""
    tokens: list[Token] = []
    i, n = 0, len(src)
    append = tokens.append
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        if c in "'\"":
            value, j = _scan_string(src, i)
            append(Token(STRING, value, i))
            i = j
            continue
        if c == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise ExpressionError("unterminated raw string literal", position=i)
            append(Token(STRING, src[i + 1:j], i))
            i = j + 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = _scan_number(src, i)
            append(Token(NUMBER, src[i:j], i))
            i = j
            continue
        if c == "/" and src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise ExpressionError("unclosed comment", position=i)
            i = j + 2
            continue
        if c == "#":
            append(Token(OP, "#", i))
            j = i + 1
            while j < n and _is_ident_char(src[j]):
                j += 1
            if j > i + 1:
                append(Token(IDENT, src[i + 1:j], i + 1))
            i = j
            continue
        if _is_ident_char(c):
            j = i + 1
            while j < n and _is_ident_char(src[j]):
                j += 1
            word = src[i:j]
            if word == "not":
                # "not in", "not matches"... are one operator token
                k = j
                while k < n and src[k].isspace():
                    k += 1
                m = k
                while m < n and _is_ident_char(src[m]):
                    m += 1
                append(Token(OP, "not", i))
                if src[k:m] in NEGATABLE:
                    append(Token(OP, src[k:m], k))
                    j = m
            elif word in WORD_OPERATORS:
                append(Token(OP, word, i))
            else:
                append(Token(IDENT, word, i))
            i = j
            continue
        if c in "([{)]}":
            append(Token(BRACKET, c, i))
            i += 1
            continue
        two = src[i:i + 2]
        if two in _TWO_CHAR:
            append(Token(OP, two, i))
            i += 2
            continue
        if c in ",;:%+-^*/<>!=|?.":
            append(Token(OP, c, i))
            i += 1
            continue
        if c == "&":
            raise ExpressionError("unexpected '&' (did you mean '&&'?)", position=i)
        raise ExpressionError(f"unrecognized character {c!r}", position=i)
    append(Token(EOF, "", n))
    return tokens

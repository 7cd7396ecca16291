"""Go's regexp package, as Argo uses it for ``=~``/``!~`` in ``when``, expr-lang's ``matches``
and Sprig's ``regex*`` functions, on RE2 (PyPI ``google-re2``).

RE2 is the engine Go's regexp reimplements: the same syntax (no backreferences, no
lookaround), leftmost-first matches, and time linear in the text. Python's backtracking ``re``
takes exponential time on ``'aaa…!' =~ '(a+)+$'`` and holds the GIL meanwhile, which froze the
engine; RE2 answers at once. RE2 also gives Go's meaning to ``$`` (end of text), ``\\d \\w \\s
\\b`` (ASCII), ``(?i)`` and Unicode classes.

What Go does on top of the engine is reproduced here on UTF-8 bytes, as Go works: which empty
matches ``FindAll``/``ReplaceAll``/``Split`` keep, how ``Split`` fills its last piece, and
``Expand`` templates (``$1``, ``${1}``, ``$name``, ``$$``; an unknown group gives nothing).
Matches start on character boundaries only (RE2 alone may report an empty ``\\B`` match inside
a multi-byte character); ``\\C`` (any byte), which Go rejects, is refused.
"""
from __future__ import annotations

import functools
from typing import Any, Iterator, Optional, Union

from dflow_nb.expressions._errors import ExpressionError

__all__ = ["GoRegexp", "go_regex"]


@functools.cache
def _re2() -> tuple[Any, Any]:
    """The re2 module and the options every pattern uses, loaded on the first pattern (most
    runs have none; loading RE2 costs milliseconds)."""
    import re2  # type: ignore[import-untyped]
    options = re2.Options()
    options.log_errors = False     # RE2 would print every bad pattern on stderr
    # Everything else stays RE2's default, which is Go's syntax.Perl: UTF-8, leftmost-first,
    # '.' not matching '\n', Perl classes and flags.
    return re2, options

Template = list[Union[bytes, int]]   # literal text and group numbers


def _utf8(s: str) -> bytes:
    """``s`` as Go holds it; lone surrogates (which no Go string has) become U+FFFD."""
    try:
        return s.encode()
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


def _rune_width(b: bytes, i: int) -> int:
    """Bytes in the UTF-8 character at ``b[i]`` (0 at the end), as utf8.DecodeRuneInString."""
    if i >= len(b):
        return 0
    lead = b[i]
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def _has_any_byte_escape(pattern: str) -> bool:
    """Whether ``pattern`` uses ``\\C`` (any byte), which Go rejects; ``\\Q...\\E`` quotes."""
    i, n = 0, len(pattern)
    while i < n - 1:
        if pattern[i] != "\\":
            i += 1
        elif pattern[i + 1] == "C":
            return True
        elif pattern[i + 1] == "Q":
            end = pattern.find("\\E", i + 2)
            i = n if end < 0 else end + 2
        else:
            i += 2
    return False


class GoRegexp:
    """A compiled Go regular expression; the methods are Go's ``*String`` methods."""

    __slots__ = ("pattern", "_rx", "_names")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        if _has_any_byte_escape(pattern):
            raise ExpressionError(f"invalid regular expression {pattern!r}: "
                                  "invalid escape sequence: \\C")
        re2, options = _re2()
        try:
            self._rx = re2.compile(_utf8(pattern), options)
        except re2.error as e:
            reason = e.args[0].decode(errors="replace") if e.args and \
                isinstance(e.args[0], bytes) else str(e)
            raise ExpressionError(f"invalid regular expression {pattern!r}: {reason}") from None
        self._names = {k.decode(): v for k, v in self._rx.groupindex.items()}

    def _search(self, b: bytes, pos: int) -> Any:
        """The leftmost-first match at or after ``pos`` starting on a character boundary."""
        while True:
            m = self._rx.search(b, pos)
            if m is None or m.start() >= len(b) or b[m.start()] & 0xC0 != 0x80:
                return m
            pos = m.start() + 1

    def _matches(self, b: bytes, n: int) -> Iterator[Any]:
        """At most ``n`` (all if negative) successive matches, as Go's allMatches: an empty
        match right after the previous match is skipped."""
        pos, found, prev_end = 0, 0, -1
        while (n < 0 or found < n) and pos <= len(b):
            m = self._search(b, pos)
            if m is None:
                return
            start, end = m.span()
            accept = True
            if end == pos:   # an empty match at pos
                accept = start != prev_end
                pos += _rune_width(b, pos) or 1
            else:
                pos = end
            prev_end = end
            if accept:
                found += 1
                yield m

    def search(self, s: str) -> bool:
        """MatchString: a match anywhere in ``s``."""
        return self._search(_utf8(s), 0) is not None

    def find(self, s: str) -> str:
        """FindString: the leftmost match, or ''."""
        b = _utf8(s)
        m = self._search(b, 0)
        return "" if m is None else b[m.start():m.end()].decode()

    def find_all(self, s: str, n: int) -> list[str]:
        """FindAllString(s, n)."""
        b = _utf8(s)
        return [b[m.start():m.end()].decode() for m in self._matches(b, n)]

    def replace_all(self, s: str, repl: str, literal: bool = False) -> str:
        """ReplaceAllString (``$`` templates) or ReplaceAllLiteralString."""
        b = _utf8(s)
        template: Template = [_utf8(repl)] if literal else self._template(repl)
        out: list[bytes] = []
        last = 0
        for m in self._matches(b, -1):
            out.append(b[last:m.start()])
            for piece in template:
                if isinstance(piece, int):
                    start, end = m.span(piece)
                    if start >= 0:
                        out.append(b[start:end])
                else:
                    out.append(piece)
            last = m.end()
        out.append(b[last:])
        return b"".join(out).decode()

    def split(self, s: str, n: int) -> list[str]:
        """Split(s, n): at most ``n`` pieces when ``n > 0``, the last holding the rest."""
        if n == 0:
            return []
        if self.pattern and not s:
            return [""]
        b = _utf8(s)
        pieces: list[bytes] = []
        begin = end = 0
        for m in self._matches(b, n):
            if n > 0 and len(pieces) == n - 1:
                break
            end = m.start()
            if m.end() != 0:
                pieces.append(b[begin:end])
            begin = m.end()
        if end != len(b):
            pieces.append(b[begin:])
        return [p.decode() for p in pieces]

    def _template(self, repl: str) -> Template:
        """An Expand template as literal text and group numbers."""
        out: list[Union[str, int]] = []
        rest = repl
        while True:
            i = rest.find("$")
            if i < 0:
                break
            out.append(rest[:i])
            rest = rest[i + 1:]
            if rest.startswith("$"):
                out.append("$")
                rest = rest[1:]
                continue
            name, after = _template_name(rest)
            if name is None:   # malformed: the '$' stays as text
                out.append("$")
                continue
            rest = after
            group = self._group(name)
            if group is not None:
                out.append(group)
        out.append(rest)
        return [p if isinstance(p, int) else _utf8(p) for p in out if p != ""]

    def _group(self, name: str) -> Optional[int]:
        """The group a template name refers to (a number without a leading zero, else a
        group name); None when there is no such group."""
        if name.isascii() and name.isdigit() and len(name) <= 9 and \
                (len(name) == 1 or name[0] != "0"):
            number = int(name)
            return number if number <= self._rx.groups else None
        return self._names.get(name)


def _template_name(rest: str) -> tuple[Optional[str], str]:
    """The name after a ``$`` (``name`` or ``{name}``: letters, digits, '_') and the text
    after it; None if there is none."""
    brace = rest.startswith("{")
    i = j = 1 if brace else 0
    while j < len(rest) and (rest[j].isalpha() or rest[j].isdecimal() or rest[j] == "_"):
        j += 1
    if j == i:
        return None, rest
    name = rest[i:j]
    if brace:
        if not rest.startswith("}", j):
            return None, rest
        j += 1
    return name, rest[j:]


@functools.lru_cache(maxsize=128)
def go_regex(pattern: str) -> GoRegexp:
    """Compile a Go regular expression (cached). Raises ExpressionError (unbound) for a
    pattern Go rejects."""
    return GoRegexp(pattern)

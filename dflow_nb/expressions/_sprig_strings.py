"""Sprig's string functions (``sprig.trim``, ``sprig.abbrev``, ``sprig.snakecase``, the regex,
encoding and checksum functions, random strings): ``STRINGS``.

Sprig puts the subject string last (``sprig.trimPrefix("x-", s)``). A typed Go parameter given
another type panics in Argo; here it is an error naming the function and the argument.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
import zlib
from typing import Any, Callable

from dflow_nb.expressions._builtins import repeat
from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._func import Func, arg_int, arg_str, fail
from dflow_nb.expressions._go_regexp import GoRegexp, go_regex
from dflow_nb.expressions._go_stdlib import go_split
from dflow_nb.expressions._limits import check_size
from dflow_nb.expressions._sprig_cast import raw_json, strslice, strval
from dflow_nb.expressions._values import to_json

__all__ = ["STRINGS"]

_SPACE = " \t\n\r\v\f\x85\xa0"


def _s1(name: str, op: Callable[[str], Any]) -> Func:
    """A one-string-argument function."""
    return Func(lambda s: op(arg_str(name, s)), 1, 1)


def _sub_last(name: str, op: Callable[[str, str], Any]) -> Func:
    """``f(x, s)``: both strings, the subject last."""
    return Func(lambda x, s: op(arg_str(name, x, 1), arg_str(name, s, 2)), 2, 2)


def _split(sep: Any, s: Any) -> dict[Any, Any]:
    parts = go_split(arg_str("sprig.split", s, 2), arg_str("sprig.split", sep, 1))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _splitn(sep: Any, n: Any, s: Any) -> dict[Any, Any]:
    parts = go_split(arg_str("sprig.splitn", s, 3), arg_str("sprig.splitn", sep, 1),
                     arg_int("sprig.splitn", n, 2))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _substr(start: Any, end: Any, s: Any) -> str:
    start = arg_int("sprig.substr", start, 1)
    end = arg_int("sprig.substr", end, 2)
    s = arg_str("sprig.substr", s, 3)
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


def _trunc(c: Any, s: Any) -> str:
    c = arg_int("sprig.trunc", c, 1)
    s = arg_str("sprig.trunc", s, 2)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c:]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _indent(n: Any, s: Any) -> str:
    pad = " " * check_size(arg_int("sprig.indent", n, 1), "sprig.indent", "characters")
    return pad + arg_str("sprig.indent", s, 2).replace("\n", "\n" + pad)


def _abbreviate(s: str, offset: int, width: int) -> str:
    """Apache StringUtils.abbreviate, as goutils ports it."""
    if s == "" or len(s) <= width:
        return s
    offset = min(offset, len(s))
    if len(s) - offset < width - 3:
        offset = len(s) - (width - 3)
    if offset <= 4:
        return s[:width - 3] + "..."
    if width < 7:
        return s
    if offset + width - 3 < len(s):
        return "..." + _abbreviate(s[offset:], 0, width - 3)
    return "..." + s[len(s) - (width - 3):]


def _abbrev(width: Any, s: Any) -> str:
    width = arg_int("sprig.abbrev", width, 1)
    s = arg_str("sprig.abbrev", s, 2)
    return s if width < 4 else _abbreviate(s, 0, width)


def _abbrevboth(left: Any, right: Any, s: Any) -> str:
    left = arg_int("sprig.abbrevboth", left, 1)
    right = arg_int("sprig.abbrevboth", right, 2)
    s = arg_str("sprig.abbrevboth", s, 3)
    if right < 4 or (left > 0 and right < 7):
        return s
    return _abbreviate(s, left, right)


def _wrap(s: str, width: int, newline: str, long_words: bool) -> str:
    """Apache WordUtils.wrap, as goutils ports it: break at the last space within ``width``."""
    if s == "":
        return ""
    newline = newline or "\n"
    width = max(width, 1)
    out: list[str] = []
    offset = 0
    n = len(s)
    while n - offset > width:
        if s[offset] == " ":
            offset += 1
            continue
        space = s.rfind(" ", offset, offset + width + 1)
        if space >= offset:
            out.append(s[offset:space] + newline)
            offset = space + 1
        elif long_words:
            out.append(s[offset:offset + width] + newline)
            offset += width
        else:
            space = s.find(" ", offset + width)
            if space >= 0:
                out.append(s[offset:space] + newline)
                offset = space + 1
            else:
                out.append(s[offset:])
                offset = n
    out.append(s[offset:])
    return "".join(out)


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")


def _words(s: str) -> list[str]:
    """Words of an identifier-like text: separators, lower-to-upper and acronym boundaries."""
    return _WORD.findall(s)


def _each_word(s: str, op: Callable[[str], str]) -> str:
    return re.sub(r"\S+", lambda m: op(m.group()), s)


def _go_separator(c: str) -> bool:
    """Go's strings.Title word boundary: ASCII other than letters, digits and '_'; beyond
    ASCII, white space only."""
    if c < "\x80":
        return not (c.isalnum() or c == "_")
    return not (c.isalpha() or c.isdigit()) and c.isspace()


def _go_title(s: str) -> str:
    """Go's strings.Title: the first letter of every word upper-cased ("o'neil" -> "O'Neil")."""
    out = []
    prev = " "
    for c in s:
        up = c.upper()
        out.append(up if _go_separator(prev) and len(up) == 1 else c)
        prev = c
    return "".join(out)


def _swapcase(s: str) -> str:
    return "".join(c.lower() if c.isupper() or c.istitle() else c.upper() if c.islower() else c
                   for c in s)


def _quote(*xs: Any) -> str:
    # Go's %q of a string: JSON-like escapes, but <, > and & as they are
    return " ".join(raw_json(to_json(strval(x))) for x in xs if x is not None)


def _compile(name: str, regex: Any) -> GoRegexp:
    try:
        return go_regex(arg_str(name, regex))
    except ExpressionError as e:
        raise e if e.cause.startswith(name) else fail(name, e.cause) from None


def _regex_match(name: str, must: bool) -> Func:
    def f(regex: Any, s: Any) -> bool:
        s = arg_str(name, s, 2)
        try:
            rx = _compile(name, regex)
        except ExpressionError:
            if must:
                raise
            return False   # Sprig drops the compile error of a bad pattern: no match
        return rx.search(s)
    return Func(f, 2, 2)


def _regex(name: str, op: Callable[..., Any], nargs: int) -> Func:
    """``f(regex, s, ...)``: the pattern compiled with Go's syntax (RE2)."""
    def f(regex: Any, s: Any, *rest: Any) -> Any:
        return op(_compile(name, regex), arg_str(name, s, 2), *rest)
    return Func(f, nargs, nargs)


def _b64dec(s: Any) -> str:
    try:
        return base64.b64decode(arg_str("sprig.b64dec", s).encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)   # Sprig returns the error text as the result


def _b32dec(s: Any) -> str:
    try:
        return base64.b32decode(arg_str("sprig.b32dec", s).encode()).decode()
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)


def _random(name: str, alphabet: str) -> Func:
    def f(n: Any) -> str:
        count = check_size(max(arg_int(name, n), 0), name, "characters")
        return "".join(secrets.choice(alphabet) for _ in range(count))
    return Func(f, 1, 1)


def _shuffle(s: Any) -> str:
    chars = list(arg_str("sprig.shuffle", s))
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _plural(one: Any, many: Any, count: Any) -> str:
    one, many = arg_str("sprig.plural", one, 1), arg_str("sprig.plural", many, 2)
    return one if arg_int("sprig.plural", count, 3) == 1 else many


def _hex_digest(name: str, algo: str) -> Func:
    return _s1(name, lambda s: hashlib.new(algo, s.encode()).hexdigest())


STRINGS: dict[str, Func] = {
    "trim": _s1("sprig.trim", lambda s: s.strip(_SPACE)),
    "trimAll": _sub_last("sprig.trimAll", lambda c, s: s.strip(c)),
    "trimall": _sub_last("sprig.trimall", lambda c, s: s.strip(c)),
    "trimPrefix": _sub_last("sprig.trimPrefix", lambda p, s: s.removeprefix(p)),
    "trimSuffix": _sub_last("sprig.trimSuffix", lambda p, s: s.removesuffix(p)),
    "upper": _s1("sprig.upper", str.upper),
    "lower": _s1("sprig.lower", str.lower),
    "title": _s1("sprig.title", lambda s: _go_title(s)),
    "untitle": _s1("sprig.untitle", lambda s: _each_word(s, lambda w: w[0].lower() + w[1:])),
    "swapcase": _s1("sprig.swapcase", _swapcase),
    "initials": _s1("sprig.initials", lambda s: "".join(w[0] for w in s.split())),
    "snakecase": _s1("sprig.snakecase", lambda s: "_".join(w.lower() for w in _words(s))),
    "kebabcase": _s1("sprig.kebabcase", lambda s: "-".join(w.lower() for w in _words(s))),
    "camelcase": _s1("sprig.camelcase", lambda s: "".join(w[0].upper() + w[1:].lower()
                                                          for w in _words(s))),
    "nospace": _s1("sprig.nospace", lambda s: "".join(s.split())),
    "abbrev": Func(_abbrev, 2, 2),
    "abbrevboth": Func(_abbrevboth, 3, 3),
    "wrap": Func(lambda n, s: _wrap(arg_str("sprig.wrap", s, 2), arg_int("sprig.wrap", n, 1),
                                    "\n", False), 2, 2),
    "wrapWith": Func(lambda n, sep, s: _wrap(arg_str("sprig.wrapWith", s, 3),
                                             arg_int("sprig.wrapWith", n, 1),
                                             arg_str("sprig.wrapWith", sep, 2), True), 3, 3),
    "replace": Func(lambda o, n, s: arg_str("sprig.replace", s, 3).replace(
        arg_str("sprig.replace", o, 1), arg_str("sprig.replace", n, 2)), 3, 3),
    "contains": _sub_last("sprig.contains", lambda sub, s: sub in s),
    "hasPrefix": _sub_last("sprig.hasPrefix", lambda p, s: s.startswith(p)),
    "hasSuffix": _sub_last("sprig.hasSuffix", lambda p, s: s.endswith(p)),
    "repeat": Func(lambda n, s: repeat("sprig.repeat", s, 2, n, 1), 2, 2),
    "substr": Func(_substr, 3, 3),
    "trunc": Func(_trunc, 2, 2),
    "indent": Func(_indent, 2, 2),
    "nindent": Func(lambda n, s: "\n" + _indent(n, s), 2, 2),
    "quote": Func(_quote, 0, None),
    "squote": Func(lambda *xs: " ".join("'" + strval(x) + "'" for x in xs if x is not None),
                   0, None),
    "cat": Func(lambda *xs: " ".join(strval(x) for x in xs if x is not None), 0, None),
    "plural": Func(_plural, 3, 3),
    "split": Func(_split, 2, 2),
    "splitn": Func(_splitn, 3, 3),
    "splitList": _sub_last("sprig.splitList", lambda sep, s: go_split(s, sep)),
    "join": Func(lambda sep, v: arg_str("sprig.join", sep).join(strslice(v)), 2, 2),
    "sortAlpha": Func(lambda v: sorted(strslice(v)), 1, 1),
    # regular expressions: Go's syntax, run on RE2
    "regexMatch": _regex_match("sprig.regexMatch", must=False),
    "mustRegexMatch": _regex_match("sprig.mustRegexMatch", must=True),
    "regexQuoteMeta": _s1("sprig.regexQuoteMeta",
                          lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s)),
    # encodings and checksums
    "b64enc": _s1("sprig.b64enc", lambda s: base64.b64encode(s.encode()).decode()),
    "b64dec": Func(_b64dec, 1, 1),
    "b32enc": _s1("sprig.b32enc", lambda s: base64.b32encode(s.encode()).decode()),
    "b32dec": Func(_b32dec, 1, 1),
    "sha1sum": _hex_digest("sprig.sha1sum", "sha1"),
    "sha256sum": _hex_digest("sprig.sha256sum", "sha256"),
    "sha512sum": _hex_digest("sprig.sha512sum", "sha512"),
    "adler32sum": _s1("sprig.adler32sum", lambda s: str(zlib.adler32(s.encode()))),
    # random text (Sprig's, from a cryptographic source)
    "randAlphaNum": _random("sprig.randAlphaNum", string.ascii_letters + string.digits),
    "randAlpha": _random("sprig.randAlpha", string.ascii_letters),
    "randNumeric": _random("sprig.randNumeric", string.digits),
    "randAscii": _random("sprig.randAscii", "".join(map(chr, range(32, 127)))),
    "shuffle": Func(_shuffle, 1, 1),
    "hello": Func(lambda: "Hello!", 0, 0),
}

for _must, _op, _n in (
        ("regexFind", lambda rx, s: rx.find(s), 2),
        ("regexFindAll", lambda rx, s, n: rx.find_all(s, arg_int("sprig.regexFindAll", n, 3)), 3),
        ("regexReplaceAll", lambda rx, s, r: rx.replace_all(
            s, arg_str("sprig.regexReplaceAll", r, 3)), 3),
        ("regexReplaceAllLiteral", lambda rx, s, r: rx.replace_all(
            s, arg_str("sprig.regexReplaceAllLiteral", r, 3), literal=True), 3),
        ("regexSplit", lambda rx, s, n: rx.split(s, arg_int("sprig.regexSplit", n, 3)), 3)):
    # a bad pattern panics in Sprig's regexFind & co. and is an error in their must- forms
    STRINGS[_must] = _regex("sprig." + _must, _op, _n)
    STRINGS["must" + _must[0].upper() + _must[1:]] = _regex("sprig.must" + _must[0].upper() +
                                                           _must[1:], _op, _n)

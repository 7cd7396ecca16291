"""Sprig's path, URL, semantic-version and UUID functions (``sprig.base``, ``sprig.urlParse``,
``sprig.semverCompare``, ``sprig.uuidv4``...): ``MISC``.

Paths follow Go's ``path`` package (``os*`` forms are ``path/filepath``, the same on Linux);
versions and constraints follow Masterminds/semver v3, which Sprig uses.
"""
from __future__ import annotations

import base64
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dflow_nb.expressions._func import Func, arg_int, arg_map, arg_str, fail
from dflow_nb.expressions._limits import check_size

__all__ = ["MISC", "go_clean"]


def go_clean(p: str) -> str:
    """Go's path.Clean: the shortest equivalent path ("" is ".")."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    text = "/".join(out)
    return ("/" + text) if rooted else (text or ".")


def _base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    return p[p.rfind("/") + 1:] if p else "/"


def _dir(p: str) -> str:
    return go_clean(p[:p.rfind("/") + 1])


def _ext(p: str) -> str:
    for i in range(len(p) - 1, -1, -1):
        if p[i] == "/":
            return ""
        if p[i] == ".":
            return p[i:]
    return ""


def _url_parse(v: Any) -> dict[str, Any]:
    text = arg_str("sprig.urlParse", v)
    try:
        u = urlsplit(text)
        hostname = u.hostname or ""
    except ValueError as e:
        raise fail("sprig.urlParse", f"unable to parse url: {e}") from None
    userinfo, _, host = u.netloc.rpartition("@")
    opaque = ""
    path = u.path
    if u.scheme and not u.netloc and path and not path.startswith("/"):
        opaque, path = path, ""
    return {"scheme": u.scheme, "host": host, "hostname": hostname, "path": path,
            "query": u.query, "opaque": opaque, "fragment": u.fragment, "userinfo": userinfo}


def _url_join(d: Any) -> str:
    m = arg_map("sprig.urlJoin", d)

    def part(k: str) -> str:
        v = m.get(k, "")
        if type(v) is not str:
            raise fail("sprig.urlJoin", f"{k!r} must be a string")
        return v
    scheme, host, user = part("scheme"), part("host"), part("userinfo")
    if part("opaque"):
        text = f"{scheme}:{part('opaque')}" if scheme else part("opaque")
        return text + (f"?{part('query')}" if part("query") else "") + \
            (f"#{part('fragment')}" if part("fragment") else "")
    netloc = f"{user}@{host}" if user else host
    path = part("path")
    if netloc and path and not path.startswith("/"):
        path = "/" + path
    return urlunsplit((scheme, netloc, path, part("query"), part("fragment")))


_VERSION = re.compile(r"v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?"
                      r"(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?")


class _Version:
    def __init__(self, text: str, name: str) -> None:
        m = _VERSION.fullmatch(text.strip())
        if not m:
            raise fail(name, f"invalid semantic version {text!r}")
        self.nums = (int(m[1]), int(m[2] or 0), int(m[3] or 0))
        self.pre = m[4] or ""
        self.meta = m[5] or ""

    def key(self) -> tuple[Any, ...]:
        """Sort key: a prerelease sorts before its release; numeric identifiers by value."""
        ids = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre.split(".")] \
            if self.pre else []
        return self.nums + ((0, ids) if self.pre else (1, []),)


def _cmp(a: _Version, b: _Version) -> int:
    ka, kb = a.key(), b.key()
    return (ka > kb) - (ka < kb)


_WILD = ("x", "X", "*")
_CONSTRAINT = re.compile(r"(\^|~>?|!=|>=|=>|<=|=<|>|<|=)?\s*(v?[0-9xX*][0-9A-Za-z.+*-]*)")


def _bound(text: str, name: str) -> tuple[_Version, int]:
    """The version with wildcards as 0, and how many parts were given before one."""
    parts = re.split(r"[-+]", text, maxsplit=1)[0].lstrip("v").split(".")
    given = 0
    for p in parts[:3]:
        if p in _WILD:
            break
        given += 1
    clean = ".".join((parts + ["0", "0"])[:3][:given] + ["0"] * (3 - given)) if given < 3 \
        else text.lstrip("v")
    return _Version(clean, name), given


def _bump(v: _Version, at: int) -> _Version:
    nums = list(v.nums[:at]) + [0] * (3 - at)
    if at == 0:
        return _Version("999999999.0.0", "")
    nums[at - 1] += 1
    return _Version(".".join(map(str, nums)), "")


def _check(op: str, text: str, v: _Version, name: str) -> bool:
    c, given = _bound(text, name)
    lo, hi = c, _bump(c, given)      # a wildcard or missing part is a range [lo, hi)
    if op in ("", "="):
        return _cmp(v, c) == 0 if given == 3 else _cmp(v, lo) >= 0 and _cmp(v, hi) < 0
    if op == "!=":
        return not _check("=", text, v, name)
    if op == ">":
        return _cmp(v, c) > 0 if given == 3 else _cmp(v, hi) >= 0
    if op in (">=", "=>"):
        return _cmp(v, lo) >= 0
    if op == "<":
        return _cmp(v, lo) < 0
    if op in ("<=", "=<"):
        return _cmp(v, c) <= 0 if given == 3 else _cmp(v, hi) < 0
    if op in ("~", "~>"):
        return _cmp(v, lo) >= 0 and _cmp(v, _bump(c, max(min(given, 2), 1))) < 0
    # ^: below the next change of the first non-zero part given
    first = next((i for i, n in enumerate(c.nums[:max(given, 1)]) if n), None)
    top = _bump(c, (first + 1) if first is not None else max(given, 1))
    return _cmp(v, lo) >= 0 and _cmp(v, top) < 0


def _semver_compare(constraint: Any, version: Any) -> bool:
    name = "sprig.semverCompare"
    text = arg_str(name, constraint, 1)
    v = _Version(arg_str(name, version, 2), name)
    for group in text.split("||"):
        group = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1,<=\2", group.strip())
        group = re.sub(r"(\^|~>?|!=|>=|=>|<=|=<|>|<|=)\s+", r"\1", group)
        terms = [t for t in re.split(r"[\s,]+", group) if t]
        ok = bool(terms)
        for term in terms:
            m = _CONSTRAINT.fullmatch(term)
            if not m:
                raise fail(name, f"improper constraint: {text}")
            pre_ok = bool(re.split(r"\+", m[2])[0].count("-"))
            if v.pre and not pre_ok:    # Masterminds: a prerelease needs a prerelease constraint
                ok = False
                break
            if not _check(m[1] or "", m[2], v, name):
                ok = False
                break
        if ok:
            return True
    return False


def _semver(v: Any) -> dict[str, Any]:
    ver = _Version(arg_str("sprig.semver", v), "sprig.semver")
    return {"Major": ver.nums[0], "Minor": ver.nums[1], "Patch": ver.nums[2],
            "Prerelease": ver.pre, "Metadata": ver.meta, "Original": v}


def _rand_int(lo: Any, hi: Any) -> int:
    lo, hi = arg_int("sprig.randInt", lo, 1), arg_int("sprig.randInt", hi, 2)
    if hi <= lo:
        raise fail("sprig.randInt", f"invalid range [{lo}, {hi}): the maximum must be larger")
    return lo + secrets.randbelow(hi - lo)


def _path(name: str, op: Any) -> Func:
    return Func(lambda p: op(arg_str(name, p)), 1, 1)


MISC: dict[str, Func] = {
    "uuidv4": Func(lambda: str(uuid.uuid4()), 0, 0),
    "randBytes": Func(lambda n: base64.b64encode(secrets.token_bytes(
        check_size(max(arg_int("sprig.randBytes", n), 0), "sprig.randBytes", "bytes"))).decode(),
        1, 1),
    "randInt": Func(_rand_int, 2, 2),
    "urlParse": Func(_url_parse, 1, 1),
    "urlJoin": Func(_url_join, 1, 1),
    "semver": Func(_semver, 1, 1),
    "semverCompare": Func(_semver_compare, 2, 2),
}
for _prefix in ("", "os"):
    for _fname, _op in (("base", _base), ("dir", _dir), ("clean", go_clean), ("ext", _ext),
                        ("isAbs", lambda p: p.startswith("/"))):
        _full = _prefix + (_fname[0].upper() + _fname[1:] if _prefix else _fname)
        MISC[_full] = _path(f"sprig.{_full}", _op)

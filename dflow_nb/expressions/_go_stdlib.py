"""The pieces of Go's standard library whose behaviour expressions must reproduce exactly:
int64 wrapping and truncation, IEEE float division, strconv parsing and strings.SplitN
(package regexp lives in ``_go_regexp``).

Argo evaluates expressions in Go, so a value that differs here would make a workflow behave
differently on the local engine and on Argo.
"""
from __future__ import annotations

import math
import re
from typing import Optional

__all__ = ["INT64_MIN", "INT64_MAX", "wrap_int64", "trunc_int64", "go_float_div", "go_int_rem",
           "go_atoi", "go_parse_float", "go_split"]

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def wrap_int64(n: int) -> int:
    """``n`` wrapped into int64, as Go's integer arithmetic overflows."""
    if INT64_MIN <= n <= INT64_MAX:
        return n
    return ((n - INT64_MIN) % (1 << 64)) + INT64_MIN


def trunc_int64(f: float) -> int:
    """Go's ``int64(f)``: towards zero, wrapped; NaN and Inf give INT64_MIN (as on amd64)."""
    if math.isnan(f) or math.isinf(f):
        return INT64_MIN
    return wrap_int64(int(f))


def go_float_div(x: float, y: float) -> float:
    """Go's float64 division: by zero gives ±Inf or NaN (IEEE 754) instead of raising."""
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def go_int_rem(a: int, b: int) -> int:
    """Go's ``a % b`` on ints (``b != 0``): the sign follows the dividend."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


_ATOI = re.compile(r"[+-]?[0-9]+\Z")


def go_atoi(s: str) -> Optional[int]:
    """strconv.Atoi: a base-10 int64, or None."""
    if not _ATOI.match(s):
        return None
    n = int(s)
    return n if INT64_MIN <= n <= INT64_MAX else None


_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|"
                       r"inf|infinity|nan)\Z", re.IGNORECASE)
_GO_HEXFLOAT = re.compile(r"[+-]?0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?[0-9]+\Z")


def go_parse_float(s: str) -> Optional[float]:
    """strconv.ParseFloat(s, 64), decimal or hex; None when Go would return an error."""
    if _GO_FLOAT.match(s):
        try:
            return float(s)
        except (ValueError, OverflowError):
            return None
    if _GO_HEXFLOAT.match(s):
        try:
            return float.fromhex(s)
        except (ValueError, OverflowError):
            return None
    return None


def go_split(s: str, sep: str, n: int = -1, after: bool = False) -> list[str]:
    """strings.SplitN (``after``: SplitAfterN): at most ``n`` parts when ``n > 0``, none when
    ``n == 0``; an empty separator splits into characters."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[:n - 1] + ["".join(chars[n - 1:])]
        return chars
    parts = s.split(sep) if n < 0 else s.split(sep, n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + parts[-1:]
    return parts

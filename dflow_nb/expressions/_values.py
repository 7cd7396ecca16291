"""How values look as text, the way Argo's Go code prints them.

* ``format_value`` - what a tag inserts: strings as-is, numbers and bools like Go ``%v``
  (``1``, ``1.5``, ``true``), lists and maps as compact JSON (``json.Marshal`` style).
* ``go_sprint`` - Go's ``fmt.Sprintf("%v", v)`` (``string()`` / ``sprig.toString``).
* ``to_json`` - Go's ``json.Marshal`` / ``json.MarshalIndent``: keys sorted, no spaces, floats
  without a needless ``.0``, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as ``\\u003c`` etc.
* ``from_json`` - Go's ``json.Unmarshal`` into ``interface{}``: every number becomes a float.

Lists and maps may also be lazy scope views (anything with ``to_plain()``).
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._go_time import GoDuration, GoLocation, GoTime
from dflow_nb.expressions._limits import MAX_DEPTH, too_deep, too_deep_node, value_too_deep

__all__ = ["format_value", "go_sprint", "to_json", "from_json", "type_name", "plain",
           "json_float", "values_equal"]


def plain(v: Any) -> Any:
    """Materialise lazy views (recursively); other values are returned as they are."""
    to_plain = getattr(v, "to_plain", None)
    if to_plain is not None:
        return to_plain()
    return v


def type_name(v: Any) -> str:
    """The expr-lang name of a value's type, used in error messages and by ``type()``."""
    if v is None:
        return "nil"
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str:
        return "string"
    if t in (list, tuple):
        return "array"
    if isinstance(v, dict) or hasattr(v, "to_plain"):
        return "map"
    if callable(v):
        return "func"
    if t is GoTime:
        return "time.Time"
    if t is GoDuration:
        return "time.Duration"
    if t is GoLocation:
        return "*time.Location"
    return t.__name__


def _digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of a finite positive float and the position of the
    decimal point: f == 0.DIGITS * 10**dp."""
    r = repr(f)
    if "e" in r:
        mant, _, exp_s = r.partition("e")
        exp = int(exp_s)
    else:
        mant, exp = r, 0
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    dp = len(ip) + exp
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    return digits, dp


def _fmt_e(digits: str, dp: int, min_exp_digits: int) -> str:
    exp = dp - 1
    out = digits[0]
    if len(digits) > 1:
        out += "." + digits[1:]
    sign = "-" if exp < 0 else "+"
    return out + "e" + sign + str(abs(exp)).rjust(min_exp_digits, "0")


def _fmt_f(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _go_v(f: float) -> str:
    """Go ``%v`` of a float64 (strconv 'g' with the shortest digits): ``3``, ``0.5``,
    ``1e+06``, ``1e-05``, ``+Inf``, ``NaN``."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    digits, dp = _digits(abs(f))
    exp = dp - 1
    if exp < -4 or exp >= _GO_V_EPREC:
        return sign + _fmt_e(digits, dp, 2)
    return sign + _fmt_f(digits, dp)


# Go's %v on a float64 is strconv's shortest 'g': exponent form when the decimal exponent is
# below -4 or at least 6 (strconv formatDigits: "if precision was the shortest possible, use
# precision 6 for this decision"), so fmt.Sprint(1e6) == "1e+06".
_GO_V_EPREC = 6


def json_float(f: float) -> str:
    """Go ``json.Marshal`` of a float64 (ES6 number formatting)."""
    if math.isnan(f) or math.isinf(f):
        raise ExpressionError(f"json: unsupported value: {_go_v(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    a = abs(f)
    digits, dp = _digits(a)
    if a < 1e-6 or a >= 1e21:
        out = _fmt_e(digits, dp, 1)
    else:
        out = _fmt_f(digits, dp)
    return sign + out


def go_sprint(v: Any) -> str:
    """Go ``fmt.Sprintf("%v", v)`` for JSON-like values (maps print as ``map[k:v]``)."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return _go_v(v)
    if v is None:
        return "<nil>"
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: go_sprint(kv[0]))
        return "map[" + " ".join(f"{go_sprint(k)}:{go_sprint(x)}" for k, x in items) + "]"
    return str(v)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
            "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_str(s: str) -> str:
    out = []
    for ch in s:
        e = _ESCAPES.get(ch)
        if e is not None:
            out.append(e)
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")  # Go replaces invalid UTF-8 with U+FFFD
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _json_key(k: Any) -> str:
    return k if type(k) is str else go_sprint(k)


def to_json(v: Any, indent: Optional[str] = None) -> str:
    """Go ``json.Marshal`` (``indent=None``) or ``json.MarshalIndent(v, "", indent)``."""
    parts: list[str] = []
    _enc(v, parts, indent, "")
    return "".join(parts)


def _enc(v: Any, out: list[str], indent: Optional[str], level: str) -> None:
    t = type(v)
    if t is str:
        out.append(_json_str(v))
    elif v is None:
        out.append("null")
    elif t is bool:
        out.append("true" if v else "false")
    elif t is int:
        out.append(str(v))
    elif t is float:
        out.append(json_float(v))
    else:
        v = plain(v)
        if isinstance(v, (list, tuple)):
            if not v:
                out.append("[]")
                return
            inner = level + indent if indent is not None else ""
            out.append("[")
            for i, x in enumerate(v):
                if i:
                    out.append(",")
                if indent is not None:
                    out.append("\n" + inner)
                _enc(x, out, indent, inner)
            if indent is not None:
                out.append("\n" + level)
            out.append("]")
        elif isinstance(v, dict):
            if not v:
                out.append("{}")
                return
            inner = level + indent if indent is not None else ""
            out.append("{")
            for i, k in enumerate(sorted(v, key=_json_key)):
                if i:
                    out.append(",")
                if indent is not None:
                    out.append("\n" + inner)
                out.append(_json_str(_json_key(k)))
                out.append(": " if indent is not None else ":")
                _enc(v[k], out, indent, inner)
            if indent is not None:
                out.append("\n" + level)
            out.append("}")
        elif isinstance(v, (int, float)):  # int/float subclasses
            _enc(float(v) if isinstance(v, float) else int(v), out, indent, level)
        elif isinstance(v, GoTime):   # time.Time marshals as RFC 3339 with nanoseconds
            out.append(_json_str(v.rfc3339()))
        elif isinstance(v, GoDuration):   # a time.Duration is an int64 of nanoseconds
            out.append(str(v.ns))
        elif isinstance(v, GoLocation):   # no exported fields
            out.append("{}")
        else:
            raise ExpressionError(f"json: unsupported type: {type(v).__name__}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def from_json(text: str) -> Any:
    """Parse JSON as Go's ``json.Unmarshal`` into ``interface{}`` does (numbers are floats).
    A value nested more than MAX_DEPTH levels is refused: what reads it recurses."""
    try:
        value = json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except (ValueError, TypeError) as e:
        raise ExpressionError(f"invalid JSON {_short(text)}: {e}") from None
    except RecursionError:
        raise too_deep(what="JSON value") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and \
            too_deep_node(value, _containers) is not None:
        raise too_deep(what="JSON value")
    return value


def _containers(v: Any) -> Any:
    if type(v) is list:
        return v
    if type(v) is dict:
        return v.values()
    return ()


def _short(text: Any, limit: int = 60) -> str:
    s = text if isinstance(text, str) else go_sprint(text)
    return repr(s if len(s) <= limit else s[:limit] + "...")


def format_value(v: Any) -> str:
    """The text a tag inserts for a value: strings as-is; numbers and bools like Go ``%v``
    (``1``, ``1.5``, ``true``); lists and maps as compact JSON with sorted keys; None as
    ``null``. One rule, used everywhere a value becomes text."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return _go_v(v)
    if v is None:
        return "null"
    if t is GoTime or t is GoDuration or t is GoLocation:   # as Go prints them
        return str(v)
    try:
        return to_json(v)
    except RecursionError:
        raise value_too_deep() from None


def values_equal(a: Any, b: Any) -> bool:
    """expr-lang ``==``: numbers compare by value across int/float; everything else needs the
    same type; lists and maps compare deeply (Go reflect.DeepEqual: there 1 != 1.0)."""
    ta, tb = type(a), type(b)
    if ta is tb and ta in (str, int, float, bool):
        return a == b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    return _deep_equal(plain(a), plain(b))


def _deep_equal(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_deep_equal(plain(x), plain(y)) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_deep_equal(plain(a[k]), plain(b[k])) for k in a)
    return type(a) is type(b) and a == b

"""The Sprig functions Argo offers under ``sprig.`` (``sprig.upper(s)``,
``sprig.default('x', v)``, ``sprig.date('2006-01-02', t)``...), as Go's Sprig v3 defines them:
``SPRIG``, ``SPRIG_NAMESPACE``, and ``SPRIG_UNAVAILABLE`` (what is left out, and why).

This module holds the numbers, JSON and flow functions and puts the families together:
strings (``_sprig_strings``), lists and dicts (``_sprig_lists``), dates (``_sprig_time``),
paths, URLs and versions (``_sprig_misc``). Sprig converts its arguments leniently (spf13/cast:
a bad number is 0) but panics when a typed parameter gets another Go type; both are reproduced.
"""
from __future__ import annotations

import functools
import math
import re
from typing import Any

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._func import Func, Namespace, arg_str, fail
from dflow_nb.expressions._go_stdlib import go_atoi, go_int_rem, wrap_int64
from dflow_nb.expressions._sprig_cast import cast_float, cast_int, empty, raw_json, strslice, strval
from dflow_nb.expressions._sprig_lists import LISTS
from dflow_nb.expressions._sprig_misc import MISC
from dflow_nb.expressions._sprig_strings import STRINGS
from dflow_nb.expressions._sprig_time import DATES
from dflow_nb.expressions._values import from_json, to_json, type_name

__all__ = ["SPRIG", "SPRIG_NAMESPACE", "SPRIG_UNAVAILABLE"]


def _sprig_atoi(s: Any) -> int:
    n = go_atoi(arg_str("sprig.atoi", s))
    return 0 if n is None else n


def _sprig_from_json(s: Any) -> Any:
    try:
        return from_json(arg_str("sprig.fromJson", s))
    except ExpressionError as e:
        if e.cause.startswith("sprig."):
            raise
        return None


def _sprig_must_from_json(s: Any) -> Any:
    return from_json(arg_str("sprig.mustFromJson", s))


def _sprig_to_json(v: Any) -> str:
    try:
        return to_json(v)
    except ExpressionError:
        return ""


def _int_div(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    q = abs(a) // abs(b)
    return wrap_int64(q if (a >= 0) == (b >= 0) else -q)


def _int_mod(name: str, a: int, b: int) -> int:
    if b == 0:
        raise fail(name, "integer divide by zero")
    return go_int_rem(a, b)


def _sprig_add(*xs: Any) -> int:
    total = 0
    for x in xs:
        total = wrap_int64(total + cast_int(x))
    return total


def _sprig_mul(a: Any, *xs: Any) -> int:
    total = cast_int(a)
    for x in xs:
        total = wrap_int64(total * cast_int(x))
    return total


def _sprig_max(a: Any, *xs: Any) -> int:
    return max([cast_int(a)] + [cast_int(x) for x in xs])


def _sprig_min(a: Any, *xs: Any) -> int:
    return min([cast_int(a)] + [cast_int(x) for x in xs])


def _sprig_round(a: Any, p: Any, r_opt: Any = 0.5) -> float:
    val = cast_float(a)
    p = cast_int(p)
    r = cast_float(r_opt)
    pow_ = math.pow(10, p)
    digit = pow_ * val
    _, div = math.modf(digit)
    if div >= r:
        rounder = math.ceil(digit)
    else:
        rounder = math.floor(digit)
    return rounder / pow_


def _sprig_default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


def _sprig_coalesce(*vs: Any) -> Any:
    for v in vs:
        if not empty(v):
            return v
    return None


def _sprig_ternary(vt: Any, vf: Any, cond: Any) -> Any:
    if type(cond) is not bool:
        raise fail("sprig.ternary", f"argument 3 must be a bool, got {type_name(cond)}")
    return vt if cond else vf


def _sprig_fail(msg: Any) -> Any:
    raise fail("sprig.fail", strval(msg))



_NUMBERS: dict[str, Func] = {
    "atoi": Func(_sprig_atoi, 1, 1),
    "int": Func(cast_int, 1, 1),
    "int64": Func(cast_int, 1, 1),
    "float64": Func(cast_float, 1, 1),
    "toString": Func(strval, 1, 1),
    "toStrings": Func(strslice, 1, 1),
    "toDecimal": Func(lambda v: cast_int(v) if type(v) is not str else
                      (int(v, 8) if re.fullmatch(r"[0-7]+", v) else 0), 1, 1),
    "add": Func(_sprig_add, 0, None),
    "add1": Func(lambda a: wrap_int64(cast_int(a) + 1), 1, 1),
    "sub": Func(lambda a, b: wrap_int64(cast_int(a) - cast_int(b)), 2, 2),
    "mul": Func(_sprig_mul, 1, None),
    "div": Func(lambda a, b: _int_div("sprig.div", cast_int(a), cast_int(b)), 2, 2),
    "mod": Func(lambda a, b: _int_mod("sprig.mod", cast_int(a), cast_int(b)), 2, 2),
    "max": Func(_sprig_max, 1, None),
    "biggest": Func(_sprig_max, 1, None),
    "min": Func(_sprig_min, 1, None),
    "addf": Func(lambda *xs: sum((cast_float(x) for x in xs), 0.0), 0, None),
    "add1f": Func(lambda a: cast_float(a) + 1, 1, 1),
    "subf": Func(lambda a, *xs: cast_float(a) - sum(cast_float(x) for x in xs), 1, None),
    "mulf": Func(lambda a, *xs: functools.reduce(lambda p, x: p * cast_float(x), xs,
                                                 cast_float(a)), 1, None),
    "divf": Func(lambda a, *xs: functools.reduce(
        lambda p, x: p / cast_float(x) if cast_float(x) else math.copysign(math.inf, p)
        if p else math.nan, xs, cast_float(a)), 1, None),
    "maxf": Func(lambda a, *xs: max([cast_float(a)] + [cast_float(x) for x in xs]), 1, None),
    "minf": Func(lambda a, *xs: min([cast_float(a)] + [cast_float(x) for x in xs]), 1, None),
    "floor": Func(lambda a: float(math.floor(cast_float(a))), 1, 1),
    "ceil": Func(lambda a: float(math.ceil(cast_float(a))), 1, 1),
    "round": Func(_sprig_round, 2, 3),
    # JSON
    "fromJson": Func(_sprig_from_json, 1, 1),
    "mustFromJson": Func(_sprig_must_from_json, 1, 1),
    "toJson": Func(_sprig_to_json, 1, 1),
    "mustToJson": Func(to_json, 1, 1),
    "toRawJson": Func(lambda v: raw_json(_sprig_to_json(v)), 1, 1),
    "mustToRawJson": Func(lambda v: raw_json(to_json(v)), 1, 1),
    "toPrettyJson": Func(lambda v: to_json(v, indent="  "), 1, 1),
    "mustToPrettyJson": Func(lambda v: to_json(v, indent="  "), 1, 1),
    # flow
    "default": Func(_sprig_default, 1, None),
    "empty": Func(empty, 1, 1),
    "coalesce": Func(_sprig_coalesce, 0, None),
    "all": Func(lambda *vs: not any(empty(v) for v in vs), 0, None),
    "any": Func(lambda *vs: any(not empty(v) for v in vs), 0, None),
    "ternary": Func(_sprig_ternary, 3, 3),
    "fail": Func(_sprig_fail, 1, 1),
}

SPRIG: dict[str, Func] = {**_NUMBERS, **STRINGS, **LISTS, **DATES, **MISC}

_CRYPTO = ("it makes keys, certificates or password hashes; dflow_nb has no cryptography "
           "dependency for them: make them in a step")
SPRIG_UNAVAILABLE: dict[str, str] = {
    "env": "Argo removes it (it would read the workflow controller's environment)",
    "expandenv": "Argo removes it (it would read the workflow controller's environment)",
    "getHostByName": "it looks names up on the network, which an expression must not do",
    **{name: _CRYPTO for name in (
        "bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA",
        "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert",
        "genSignedCertWithKey", "encryptAES", "decryptAES")},
}
"""Sprig functions ``sprig.`` does not offer, with the reason an error gives."""

SPRIG_NAMESPACE = Namespace("sprig", SPRIG)

"""expr-lang's time builtins (``now()``, ``date(text, layout?, zone?)``, ``duration("1h")``,
``timezone("Europe/Paris")``), the methods of the values they return (``t.Format(layout)``,
``t.Year()``, ``d.Hours()``...) and the operators on them (``now() - t > duration("1h")``), as
expr v1.17 defines them over Go's ``time``: ``TIME_BUILTINS``, ``time_member``, ``time_arith``,
``time_compare``.
"""
from __future__ import annotations

import operator
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._func import Func, arg_int, arg_str, fail
from dflow_nb.expressions._go_time import (
    NS,
    UTC,
    ZERO_TIME,
    GoDuration,
    GoLocation,
    GoTime,
    duration_string,
    go_format,
    go_parse,
    load_location,
    parse_duration,
)
from dflow_nb.expressions._go_time import now as _clock
from dflow_nb.expressions._values import type_name

__all__ = ["TIME_BUILTINS", "time_member", "time_arith", "time_compare"]

# what date() tries, in order, without a layout (expr v1.17)
_LAYOUTS = ("2006-01-02", "15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00",
            "02 Jan 06 15:04 MST", "Monday, 02-Jan-06 15:04:05 MST",
            "Mon, 02 Jan 2006 15:04:05 MST")


def _now(*args: Any) -> GoTime:
    if not args:
        return _clock()
    if len(args) == 1 and type(args[0]) is GoLocation:
        return _clock().in_zone(args[0].zone)
    raise fail("now", f"invalid number of arguments (expected 0, got {len(args)})")


def _date(*args: Any) -> GoTime:
    loc = None
    if args and type(args[0]) is GoLocation:
        loc, args = args[0].zone, args[1:]
    if not 1 <= len(args) <= 3:
        raise fail("date", f"expected a date text, a layout and a time zone, got {len(args)} "
                           "arguments")
    text = arg_str("date", args[0])
    try:
        if len(args) == 3:
            zone = arg_str("date", args[2], 3)
            loc = load_location(zone)
            if loc is None:
                raise fail("date", f"unknown time zone {zone}")
        if len(args) >= 2:
            return go_parse(arg_str("date", args[1], 2), text, loc or UTC)
    except ExpressionError as e:
        raise e if e.cause.startswith("date:") else fail("date", e.cause) from None
    for layout in _LAYOUTS:
        try:
            return go_parse(layout, text, loc or UTC)
        except ExpressionError:
            continue
    raise fail("date", f"invalid date {text}")


def _duration(text: Any) -> GoDuration:
    try:
        return GoDuration(parse_duration(arg_str("duration", text)))
    except ExpressionError as e:
        raise e if e.cause.startswith("duration:") else fail("duration", e.cause) from None


def _timezone(name: Any) -> GoLocation:
    name = arg_str("timezone", name)
    zone = load_location(name)
    if zone is None:
        raise fail("timezone", f"unknown time zone {name}")
    return GoLocation(name, zone)


TIME_BUILTINS: dict[str, Func] = {
    "now": Func(_now, 0, 1),
    "date": Func(_date, 1, 4),
    "duration": Func(_duration, 1, 1),
    "timezone": Func(_timezone, 1, 1),
}


def _arg(method: str, v: Any, want: type, i: int = 1) -> Any:
    if type(v) is not want:
        raise fail(method, f"argument {i} must be a {want.__name__.replace('Go', 'time.')}, "
                           f"got {type_name(v)}")
    return v


def _add_date(t: GoTime, years: Any, months: Any, days: Any) -> GoTime:
    """Go's AddDate: the calendar fields added, then normalised (Oct 31 + 1 month = Dec 1)."""
    d = t.local
    y = d.year + arg_int("AddDate", years, 1)
    m0 = d.month - 1 + arg_int("AddDate", months, 2)
    y, m0 = y + m0 // 12, m0 % 12
    try:
        base = datetime(y, m0 + 1, 1, d.hour, d.minute, d.second)
        wall = base + timedelta(days=d.day - 1 + arg_int("AddDate", days, 3))
    except (ValueError, OverflowError):
        raise fail("AddDate", "the date is out of range") from None
    aware = wall.replace(tzinfo=t.zone)
    secs = (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    return GoTime(secs * NS + t.nanosecond, t.zone)


def _round(d: GoDuration, m: GoDuration, truncate: bool) -> GoDuration:
    if m.ns <= 0:
        return d
    q, r = divmod(abs(d.ns), m.ns)
    if not truncate and r + r >= m.ns:
        q += 1
    return GoDuration((q * m.ns) * (1 if d.ns >= 0 else -1))


_TIME_METHODS: dict[str, Callable[..., Any]] = {
    "Format": lambda t, layout: go_format(t, arg_str("Format", layout)),
    "String": lambda t: str(t),
    "Year": lambda t: t.local.year, "Month": lambda t: t.local.month,
    "Day": lambda t: t.local.day, "Hour": lambda t: t.local.hour,
    "Minute": lambda t: t.local.minute, "Second": lambda t: t.local.second,
    "Nanosecond": lambda t: t.nanosecond, "YearDay": lambda t: t.local.timetuple().tm_yday,
    "Weekday": lambda t: (t.local.weekday() + 1) % 7,   # Go: Sunday is 0
    "Unix": lambda t: t.unix(), "UnixMilli": lambda t: t.unix_ns // 1_000_000,
    "UnixNano": lambda t: t.unix_ns,
    "UTC": lambda t: t.in_zone(UTC), "Local": lambda t: t.in_zone(UTC),
    "In": lambda t, loc: t.in_zone(_arg("In", loc, GoLocation).zone),
    "Add": lambda t, d: t.add(_arg("Add", d, GoDuration).ns),
    "Sub": lambda t, u: GoDuration(t.unix_ns - _arg("Sub", u, GoTime).unix_ns),
    "AddDate": _add_date,
    "Before": lambda t, u: t.unix_ns < _arg("Before", u, GoTime).unix_ns,
    "After": lambda t, u: t.unix_ns > _arg("After", u, GoTime).unix_ns,
    "Equal": lambda t, u: t.unix_ns == _arg("Equal", u, GoTime).unix_ns,
    "IsZero": lambda t: t.unix_ns == ZERO_TIME.unix_ns,
}

_DURATION_METHODS: dict[str, Callable[..., Any]] = {
    "Hours": lambda d: d.ns / (3600 * NS), "Minutes": lambda d: d.ns / (60 * NS),
    "Seconds": lambda d: d.ns / NS, "Milliseconds": lambda d: int(d.ns / 1_000_000),
    "Microseconds": lambda d: int(d.ns / 1_000), "Nanoseconds": lambda d: d.ns,
    "String": lambda d: duration_string(d.ns), "Abs": lambda d: GoDuration(abs(d.ns)),
    "Round": lambda d, m: _round(d, _arg("Round", m, GoDuration), False),
    "Truncate": lambda d, m: _round(d, _arg("Truncate", m, GoDuration), True),
}


def _arity(fn: Callable[..., Any]) -> int:
    return fn.__code__.co_argcount - 1


def time_member(o: Any, name: Any) -> Optional[Func]:
    """``t.Name`` for a time or a duration: the method, bound to the value."""
    methods = _TIME_METHODS if type(o) is GoTime else _DURATION_METHODS
    fn = methods.get(name) if type(name) is str else None
    if fn is None:
        raise ExpressionError(f"type {type_name(o)} has no method {name!r}")
    n = _arity(fn)
    return Func(lambda *args: fn(o, *args), n, n)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def time_compare(op: str, a: Any, b: Any) -> Optional[bool]:
    """``<``, ``>``... of two times or two durations; None for other operands."""
    ta, tb = type(a), type(b)
    if ta is tb is GoTime:
        return _ORDER[op](a.unix_ns, b.unix_ns)
    if ta is tb is GoDuration:
        return _ORDER[op](a.ns, b.ns)
    return None


def time_arith(op: str, a: Any, b: Any) -> Any:
    """``+ - *`` on times and durations (time + duration, time - time...); None otherwise."""
    ta, tb = type(a), type(b)
    if op == "+":
        if ta is GoTime and tb is GoDuration:
            return a.add(b.ns)
        if ta is GoDuration and tb is GoTime:
            return b.add(a.ns)
        if ta is tb is GoDuration:
            return GoDuration(a.ns + b.ns)
    elif op == "-":
        if ta is tb is GoTime:
            return GoDuration(a.unix_ns - b.unix_ns)
        if ta is GoTime and tb is GoDuration:
            return a.add(-b.ns)
        if ta is tb is GoDuration:
            return GoDuration(a.ns - b.ns)
    elif op == "*":
        if ta is GoDuration and tb is int:
            return GoDuration(a.ns * b)
        if ta is int and tb is GoDuration:
            return GoDuration(a * b.ns)
    return None

"""Sprig's date functions (``sprig.now``, ``sprig.date``, ``sprig.toDate``,
``sprig.dateModify``, ``sprig.duration``...): ``DATES``.

Layouts are Go's (``"2006-01-02 15:04:05"``: the reference time written the way you want
yours). A date argument is a time (from ``now``/``toDate``/``dateModify``) or Unix seconds as
an int; anything else means "now", as in Sprig. The "Local" zone is UTC (see ``_go_time``).
Sprig's ``duration``/``durationRound`` read only a string or a Go int64, which expr's integers
are not: give them strings, as Sprig's own examples do.
"""
from __future__ import annotations

from typing import Any

from dflow_nb.expressions._errors import ExpressionError
from dflow_nb.expressions._func import Func, arg_str, fail
from dflow_nb.expressions._go_stdlib import go_atoi
from dflow_nb.expressions._go_time import (
    NS,
    UTC,
    ZERO_TIME,
    GoTime,
    duration_string,
    go_format,
    go_parse,
    load_location,
    now,
    parse_duration,
)
from dflow_nb.expressions._values import type_name

__all__ = ["DATES"]


def _as_time(v: Any) -> GoTime:
    if type(v) is GoTime:
        return v
    if type(v) is int:
        return GoTime(v * NS, UTC)
    return now()


def _arg_time(name: str, v: Any, i: int) -> GoTime:
    if type(v) is GoTime:
        return v
    raise fail(name, f"argument {i} must be a time (from sprig.now, sprig.toDate...), "
                     f"got {type_name(v)}")


def _date_in_zone(name: str, layout: Any, date: Any, zone: Any) -> str:
    layout = arg_str(name, layout, 1)
    loc = load_location(arg_str(name, zone, 3)) or UTC   # Sprig: an unknown zone is UTC
    return go_format(_as_time(date).in_zone(loc), layout)


def _date_modify(name: str, must: bool) -> Func:
    def f(change: Any, date: Any) -> GoTime:
        change = arg_str(name, change, 1)
        t = _arg_time(name, date, 2)
        try:
            return t.add(parse_duration(change))
        except ExpressionError as e:
            if must:
                raise fail(name, e.cause) from None
            return t   # Sprig: a bad modification leaves the date as it was
    return Func(f, 2, 2)


def _to_date(name: str, must: bool) -> Func:
    def f(layout: Any, text: Any) -> GoTime:
        layout, text = arg_str(name, layout, 1), arg_str(name, text, 2)
        try:
            return go_parse(layout, text)
        except ExpressionError as e:
            if must:
                raise fail(name, e.cause) from None
            return ZERO_TIME   # Sprig: text that does not parse is Go's zero time
    return Func(f, 2, 2)


def _duration(sec: Any) -> str:
    n = 0
    if type(sec) is str:
        n = go_atoi(sec) or 0
    return duration_string(n * NS)


def _duration_round(d: Any) -> str:
    ns = 0
    if type(d) is str:
        try:
            ns = parse_duration(d)
        except ExpressionError:
            ns = 0
    elif type(d) is GoTime:
        ns = now().unix_ns - d.unix_ns
    u = abs(ns)
    day = 24 * 3600 * NS
    for size, unit in ((365 * day, "y"), (30 * day, "mo"), (day, "d"), (3600 * NS, "h"),
                       (60 * NS, "m"), (NS, "s")):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


def _ago(date: Any) -> str:
    t = date if type(date) is GoTime else _as_time(date)
    elapsed = now().unix_ns - t.unix_ns
    rounded = (abs(elapsed) + NS // 2) // NS * NS   # Duration.Round(time.Second)
    return duration_string(rounded if elapsed >= 0 else -rounded)


DATES: dict[str, Func] = {
    "now": Func(now, 0, 0),
    "date": Func(lambda layout, d: _date_in_zone("sprig.date", layout, d, "Local"), 2, 2),
    "dateInZone": Func(lambda layout, d, z: _date_in_zone("sprig.dateInZone", layout, d, z),
                       3, 3),
    "date_in_zone": Func(lambda layout, d, z: _date_in_zone("sprig.date_in_zone", layout, d, z),
                         3, 3),
    "htmlDate": Func(lambda d: _date_in_zone("sprig.htmlDate", "2006-01-02", d, "Local"), 1, 1),
    "htmlDateInZone": Func(lambda d, z: _date_in_zone("sprig.htmlDateInZone", "2006-01-02", d,
                                                      z), 2, 2),
    "dateModify": _date_modify("sprig.dateModify", must=False),
    "date_modify": _date_modify("sprig.date_modify", must=False),
    "mustDateModify": _date_modify("sprig.mustDateModify", must=True),
    "must_date_modify": _date_modify("sprig.must_date_modify", must=True),
    "toDate": _to_date("sprig.toDate", must=False),
    "mustToDate": _to_date("sprig.mustToDate", must=True),
    "unixEpoch": Func(lambda d: str(_arg_time("sprig.unixEpoch", d, 1).unix()), 1, 1),
    "duration": Func(_duration, 1, 1),
    "durationRound": Func(_duration_round, 1, 1),
    "ago": Func(_ago, 1, 1),
}

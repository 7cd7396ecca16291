"""Go's ``time`` package as Sprig's date functions use it: ``GoTime`` (a ``time.Time``), layout
based formatting and parsing (``"2006-01-02 15:04:05 MST"``), ``time.ParseDuration`` and
``Duration.String``.

Go's "Local" zone is UTC here, as in the Argo controller's container, so a manifest formats the
same dates on both backends. Times keep nanoseconds, as Go does.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Optional

from dflow_nb.expressions._errors import ExpressionError

__all__ = ["GoTime", "GoDuration", "GoLocation", "load_location", "go_format", "go_parse",
           "parse_duration", "duration_string", "now", "UTC", "ZERO_TIME", "NS"]

UTC = timezone.utc
NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, eq=False)
class GoTime:
    """A Go ``time.Time``: nanoseconds since the Unix epoch, shown in a zone. Two times are
    equal when they are the same instant (Go's Time.Equal, which expr's ``==`` uses)."""
    unix_ns: int
    zone: tzinfo = UTC

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and other.unix_ns == self.unix_ns

    def __hash__(self) -> int:
        return hash(self.unix_ns)

    @property
    def local(self) -> datetime:
        """The wall clock in the time's zone, to the second."""
        sec = self.unix_ns // NS
        return (_EPOCH + timedelta(seconds=sec)).astimezone(self.zone)

    @property
    def nanosecond(self) -> int:
        return self.unix_ns % NS

    def unix(self) -> int:
        return self.unix_ns // NS

    def add(self, ns: int) -> GoTime:
        return GoTime(self.unix_ns + ns, self.zone)

    def in_zone(self, zone: tzinfo) -> GoTime:
        return GoTime(self.unix_ns, zone)

    def __str__(self) -> str:   # Go's Time.String (fmt %v)
        return go_format(self, "2006-01-02 15:04:05.999999999 -0700 MST")

    def rfc3339(self) -> str:   # how json.Marshal writes a time.Time
        return go_format(self, "2006-01-02T15:04:05.999999999Z07:00")


@dataclass(frozen=True)
class GoDuration:
    """A Go ``time.Duration`` (nanoseconds); prints as Go does: ``1h30m0s``."""
    ns: int

    def __str__(self) -> str:
        return duration_string(self.ns)


@dataclass(frozen=True)
class GoLocation:
    """A Go ``*time.Location`` (expr's ``timezone("Europe/Paris")``)."""
    name: str
    zone: tzinfo

    def __str__(self) -> str:
        return self.name


ZERO_TIME = GoTime(int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * NS)


def now() -> GoTime:
    """The current time (Go's time.Now), in the "Local" zone (UTC)."""
    return GoTime(time.time_ns(), UTC)


def load_location(name: str) -> Optional[tzinfo]:
    """Go's time.LoadLocation: "" and "UTC" are UTC, "Local" is UTC here; None if unknown."""
    if name in ("", "UTC", "Local"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # (and sysconfig) when first named
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# Layout elements, in the order Go's nextStdChunk tries them at each position.
_STD = re.compile(r"January|Jan|Monday|Mon|MST|0[1-6]|002|15|1|2006|2|_2006|__2|_2|3|4|5|"
                  r"PM|pm|Z070000|Z07:00:00|Z0700|Z07:00|Z07|-070000|-07:00:00|-0700|-07:00|-07|"
                  r"[.,](?:0+|9+)(?![0-9])")


def _chunks(layout: str) -> list[tuple[bool, str]]:
    """The layout split into (is_element, text) pieces."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _STD.finditer(layout):
        text = m.group()
        if text == "_2006":   # Go: a literal "_" then the year
            out += [(False, layout[pos:m.start()] + "_"), (True, "2006")]
        else:
            out += [(False, layout[pos:m.start()]), (True, text)]
        pos = m.end()
    out.append((False, layout[pos:]))
    return [c for c in out if c[1]]


def _offset_text(seconds: int, elem: str) -> str:
    if elem.startswith("Z") and seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    s = abs(seconds)
    hh, mm, ss = s // 3600, s // 60 % 60, s % 60
    colon = ":" in elem
    body = f"{hh:02d}"
    if elem.lstrip("Z-") not in ("07",):
        body += (":" if colon else "") + f"{mm:02d}"
    if elem.lstrip("Z-") in ("070000", "07:00:00"):
        body += (":" if colon else "") + f"{ss:02d}"
    return sign + body


def go_format(t: GoTime, layout: str) -> str:
    """Go's Time.Format."""
    d = t.local
    delta = d.utcoffset()
    offset = int(delta.total_seconds()) if delta else 0
    out = []
    for is_elem, text in _chunks(layout):
        if not is_elem:
            out.append(text)
            continue
        e = text
        if e[0] in ".,":
            digits = f"{t.nanosecond:09d}"[:len(e) - 1]
            if e[1] == "9":
                digits = digits.rstrip("0")
                out.append(e[0] + digits if digits else "")
            else:
                out.append(e[0] + digits)
        elif e[0] in "Z-":
            out.append(_offset_text(offset, e))
        else:
            out.append(_FIELDS[e](d))
    return "".join(out)


_FIELDS = {
    "January": lambda d: _MONTHS[d.month - 1], "Jan": lambda d: _MONTHS[d.month - 1][:3],
    "Monday": lambda d: _DAYS[d.weekday()], "Mon": lambda d: _DAYS[d.weekday()][:3],
    "MST": lambda d: d.tzname() or _offset_text(int((d.utcoffset() or timedelta()).total_seconds()),
                                                "-0700"),
    "01": lambda d: f"{d.month:02d}", "1": lambda d: str(d.month),
    "02": lambda d: f"{d.day:02d}", "2": lambda d: str(d.day), "_2": lambda d: f"{d.day:>2}",
    "002": lambda d: f"{d.timetuple().tm_yday:03d}", "__2": lambda d: f"{d.timetuple().tm_yday:>3}",
    "2006": lambda d: f"{d.year:04d}", "06": lambda d: f"{d.year % 100:02d}",
    "15": lambda d: f"{d.hour:02d}", "3": lambda d: str(d.hour % 12 or 12),
    "03": lambda d: f"{d.hour % 12 or 12:02d}", "4": lambda d: str(d.minute),
    "04": lambda d: f"{d.minute:02d}", "5": lambda d: str(d.second), "05": lambda d: f"{d.second:02d}",
    "PM": lambda d: "PM" if d.hour >= 12 else "AM", "pm": lambda d: "pm" if d.hour >= 12 else "am",
}


class _ParseError(Exception):
    pass


def _num(value: str, fixed: bool, width: int = 2) -> tuple[int, str]:
    """Go's getnum: ``width`` digits if fixed, else 1 to ``width``."""
    m = re.match(r"[0-9]{%d}" % width if fixed else r"[0-9]{1,%d}" % width, value)
    if not m:
        raise _ParseError
    return int(m.group()), value[m.end():]


def _name(value: str, names: list[str]) -> tuple[int, str]:
    for i, n in enumerate(names):
        if value[:len(n)].lower() == n.lower():
            return i, value[len(n):]
    raise _ParseError


def _offset(value: str, elem: str) -> tuple[int, str]:
    if elem[0] == "Z" and value.startswith("Z"):
        return 0, value[1:]
    shape = elem.lstrip("Z-")
    pattern = {"07": r"[+-]\d\d", "0700": r"[+-]\d{4}", "07:00": r"[+-]\d\d:\d\d",
               "070000": r"[+-]\d{6}", "07:00:00": r"[+-]\d\d:\d\d:\d\d"}[shape]
    m = re.match(pattern, value)
    if not m:
        raise _ParseError
    digits = m.group()[1:].replace(":", "") + "0000"
    secs = int(digits[:2]) * 3600 + int(digits[2:4]) * 60 + int(digits[4:6])
    return (-secs if m.group()[0] == "-" else secs), value[m.end():]


def go_parse(layout: str, value: str, loc: tzinfo = UTC) -> GoTime:
    """Go's time.ParseInLocation; errors say what did not match, as Go's do."""
    original = value
    f = {"year": 1, "month": 1, "day": 1, "hour": 0, "min": 0, "sec": 0, "ns": 0}
    pm: Optional[bool] = None
    offset: Optional[int] = None
    zone_name: Optional[str] = None
    chunks = _chunks(layout)
    for idx, (is_elem, e) in enumerate(chunks):
        if not is_elem:
            if not value.startswith(e):
                raise _parse_error(layout, original, value, e)
            value = value[len(e):]
            continue
        try:
            if e == "2006":
                m = re.match(r"[0-9]{4}", value)
                if not m:
                    raise _ParseError
                f["year"], value = int(m.group()), value[4:]
            elif e == "06":
                y, value = _num(value, True)
                f["year"] = y + (1900 if y >= 69 else 2000)
            elif e in ("January", "Jan"):
                i, value = _name(value, _MONTHS if e == "January" else [m[:3] for m in _MONTHS])
                f["month"] = i + 1
            elif e in ("Monday", "Mon"):
                _, value = _name(value, _DAYS if e == "Monday" else [d[:3] for d in _DAYS])
            elif e in ("01", "1"):
                f["month"], value = _num(value, e == "01")
            elif e in ("02", "2", "_2"):
                if e == "_2" and value.startswith(" "):
                    value = value[1:]
                f["day"], value = _num(value, e == "02")
            elif e in ("002", "__2"):
                _, value = _num(value.lstrip(" ") if e == "__2" else value, e == "002", 3)
            elif e == "15":
                f["hour"], value = _num(value, False)
            elif e in ("3", "03"):
                f["hour"], value = _num(value, e == "03")
            elif e in ("4", "04"):
                f["min"], value = _num(value, e == "04")
            elif e in ("5", "05"):
                f["sec"], value = _num(value, e == "05")
                nxt = chunks[idx + 1][1] if idx + 1 < len(chunks) else ""
                m = re.match(r"[.,]([0-9]+)", value)
                if m and not (nxt[:1] in ".," and chunks[idx + 1][0]):
                    f["ns"] = int((m.group(1) + "0" * 9)[:9])   # Go reads seconds' fraction
                    value = value[m.end():]
            elif e[0] in ".,":
                m = re.match(r"[.,]([0-9]+)" if e[1] == "9" else r"[.,]([0-9]{%d})" % (len(e) - 1),
                             value)
                if m:
                    f["ns"] = int((m.group(1) + "0" * 9)[:9])
                    value = value[m.end():]
                elif e[1] == "0":
                    raise _ParseError
            elif e in ("PM", "pm"):
                tag = value[:2].upper()
                if tag not in ("AM", "PM"):
                    raise _ParseError
                pm, value = tag == "PM", value[2:]
            elif e[0] in "Z-":
                offset, value = _offset(value, e)
            elif e == "MST":
                m = re.match(r"UTC|GMT[+-]?[0-9]*|[A-Z]{3,5}", value)
                if not m:
                    raise _ParseError
                zone_name, value = m.group(), value[m.end():]
        except _ParseError:
            raise _parse_error(layout, original, value, e) from None
    if value:
        raise ExpressionError(f'parsing time "{original}": extra text: "{value}"')
    if pm is not None:
        if f["hour"] > 12:
            raise ExpressionError(f'parsing time "{original}": hour out of range')
        f["hour"] = f["hour"] % 12 + (12 if pm else 0)
    try:
        zone: tzinfo = loc
        if offset is not None:
            zone = UTC if offset == 0 and loc is UTC else timezone(timedelta(seconds=offset), "")
        elif zone_name is not None and zone_name not in ("UTC", "GMT"):
            zone = timezone(timedelta(0), zone_name)
        elif zone_name is not None:
            zone = UTC
        wall = datetime(f["year"], f["month"], f["day"], f["hour"], f["min"], f["sec"],
                        tzinfo=zone)
    except ValueError as exc:
        raise ExpressionError(f'parsing time "{original}": {exc}') from None
    secs = (wall - _EPOCH) // timedelta(seconds=1)
    return GoTime(secs * NS + f["ns"], zone)


def _parse_error(layout: str, original: str, rest: str, elem: str) -> ExpressionError:
    return ExpressionError(f'parsing time "{original}" as "{layout}": cannot parse "{rest}" '
                           f'as "{elem}"')


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": NS,
          "m": 60 * NS, "h": 3600 * NS}
_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> int:
    """Go's time.ParseDuration ("1h30m", "-1.5h", "300ms"), in nanoseconds."""
    s = text
    neg = s[:1] == "-"
    if s[:1] in "+-" and s:
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ExpressionError(f'time: invalid duration "{text}"')
    total = 0
    pos = 0
    while pos < len(s):
        m = _DURATION.match(s, pos)
        if not m or m.group(1) in ("", "."):
            raise ExpressionError(f'time: invalid duration "{text}"' if m or not
                                  re.match(r"[0-9.]+$", s[pos:]) else
                                  f'time: missing unit in duration "{text}"')
        whole, _, frac = m.group(1).partition(".")
        unit = _UNITS[m.group(2)]
        total += int(whole or 0) * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
        pos = m.end()
    if total >= 1 << 63:
        raise ExpressionError(f'time: invalid duration "{text}"')
    return -total if neg else total


def duration_string(ns: int) -> str:
    """Go's Duration.String: "1h2m3.5s", "1.5ms", "0s"."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < NS:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                return sign + _frac(u, size) + unit
    secs = _frac(u % (60 * NS), NS) + "s"
    mins = u // (60 * NS)
    if mins == 0:
        return sign + secs
    if mins < 60:
        return f"{sign}{mins}m{secs}"
    return f"{sign}{mins // 60}h{mins % 60}m{secs}"


def _frac(value: int, size: int) -> str:
    whole, rest = divmod(value, size)
    if not rest:
        return str(whole)
    digits = f"{rest:0{len(str(size)) - 1}d}".rstrip("0")
    return f"{whole}.{digits}"

"""Sprig's date functions under ``sprig.``, with Go's layouts ("2006-01-02 15:04:05": the
reference time written the way yours should look). Times here are fixed; Go's "Local" zone is
UTC, as in Argo's controller."""
import re
import time

import pytest

from dflow_nb.expressions import ExpressionError, evaluate, render

NEW_YEAR = 'sprig.toDate("2006-01-02", "2017-12-31")'
STAMP = 'sprig.toDate("2006-01-02T15:04:05.999999999Z07:00", "2023-05-06T07:08:09.123456789-03:00")'


@pytest.mark.parametrize("expr, expected", [
    # Sprig's documented example: toDate "2006-01-02" "2017-12-31" | date "02/01/2006"
    (f'sprig.date("02/01/2006", {NEW_YEAR})', "31/12/2017"),
    (f'sprig.date("2006-01-02", {NEW_YEAR})', "2017-12-31"),
    ('sprig.date("2006-01-02 15:04:05", 0)', "1970-01-01 00:00:00"),     # Unix seconds
    ('sprig.date("Mon Jan _2 3:04PM", 1700000000)', "Tue Nov 14 10:13PM"),
    ('sprig.date("Monday, January 2, 2006", 1700000000)', "Tuesday, November 14, 2023"),
    ('sprig.date("06 1 2 15 03 4 5 pm .000 002 __2", 1700000000)',
     "23 11 14 22 10 13 20 pm .000 318 318"),
    # date shows a time in the "Local" zone (UTC), whatever zone it was read in
    (f'sprig.date("15:04:05.000000 -07:00 MST", {STAMP})', "10:08:09.123456 +00:00 UTC"),
    (f'sprig.date("05.999 Z07:00", {STAMP})', "09.123 Z"),
    (f'sprig.dateInZone("2006-01-02T15:04:05Z07:00", sprig.dateModify("3h", {STAMP}), '
     '"America/Sao_Paulo")', "2023-05-06T10:08:09-03:00"),
    ('sprig.dateInZone("2006-01-02 15:04 MST", 0, "Asia/Tokyo")', "1970-01-01 09:00 JST"),
    ('sprig.dateInZone("2006-01-02 15:04 MST", 1700000000, "America/New_York")',
     "2023-11-14 17:13 EST"),
    ('sprig.dateInZone("15:04 MST", 0, "No/Such_Zone")', "00:00 UTC"),   # Sprig: unknown is UTC
    ('sprig.date_in_zone("2006", 0, "UTC")', "1970"),
    ("sprig.htmlDate(86400)", "1970-01-02"),
    ('sprig.htmlDateInZone(86399, "Asia/Tokyo")', "1970-01-02"),
    # dateModify takes Go durations; a bad one leaves the date unchanged
    (f'sprig.unixEpoch({NEW_YEAR})', "1514678400"),
    (f'sprig.unixEpoch(sprig.dateModify("-1.5h", {NEW_YEAR}))', "1514673000"),
    (f'sprig.unixEpoch(sprig.date_modify("1h30m", {NEW_YEAR}))', "1514683800"),
    (f'sprig.unixEpoch(sprig.dateModify("soon", {NEW_YEAR}))', "1514678400"),
    (f'sprig.unixEpoch(sprig.mustDateModify("90s", {NEW_YEAR}))', "1514678490"),
    (f'sprig.unixEpoch(sprig.must_date_modify("1ms", {NEW_YEAR}))', "1514678400"),
    ('sprig.unixEpoch(sprig.mustToDate("2006-01-02", "2017-12-31"))', "1514678400"),
    # Sprig: text that is not a date is Go's zero time
    ('sprig.date("2006-01-02 15:04:05 MST", sprig.toDate("2006-01-02", "not a date"))',
     "0001-01-01 00:00:00 UTC"),
    # duration: seconds (as text, as Sprig's docs write it) to a Go duration
    ('sprig.duration("95")', "1m35s"),
    ('sprig.duration("7200")', "2h0m0s"),
    ("sprig.duration(95)", "0s"),   # Sprig reads only a string or an int64: expr's ints are Go ints
    ('sprig.durationRound("2h10m5s")', "2h"),
    ('sprig.durationRound("2400h10m5s")', "3mo"),
    ('sprig.durationRound("-90s")', "1m"),
    ('sprig.durationRound("9000h")', "1y"),
])
def test_sprig_date_function(expr, expected):
    assert evaluate(expr, {}) == expected


def test_now_and_ago_read_the_clock():
    before = int(time.time())
    epoch = int(evaluate("sprig.unixEpoch(sprig.now())", {}))
    assert before <= epoch <= int(time.time())
    assert evaluate('sprig.date("2006", sprig.now())', {}) == time.strftime("%Y", time.gmtime())
    assert evaluate(f"sprig.ago({before - 3600})", {}) in ("1h0m0s", "1h0m1s")
    assert re.fullmatch(r"\d+y", evaluate(f"sprig.durationRound({NEW_YEAR})", {}))


def test_a_time_prints_and_marshals_as_go_does():
    assert render("{{= " + STAMP + " }}", {}) == "2023-05-06 07:08:09.123456789 -0300 -0300"
    assert evaluate(f"sprig.toJson({STAMP})", {}) == '"2023-05-06T07:08:09.123456789-03:00"'
    assert evaluate(f"sprig.typeOf({NEW_YEAR})", {}) == "time.Time"


@pytest.mark.parametrize("expr, message", [
    ('sprig.mustToDate("2006-01-02", "2017-13-01")', 'sprig.mustToDate: parsing time "2017-13-01"'),
    ('sprig.mustToDate("2006-01-02", "17-12-01")',
     'sprig.mustToDate: parsing time "17-12-01" as "2006-01-02": cannot parse "17-12-01" as "2006"'),
    ('sprig.mustToDate("2006-01-02", "2017-12-01 extra")', 'extra text: " extra"'),
    (f'sprig.mustDateModify("soon", {NEW_YEAR})', 'sprig.mustDateModify: time: invalid duration "soon"'),
    ('sprig.dateModify("1h", "2017-12-31")',
     "sprig.dateModify: argument 2 must be a time (from sprig.now, sprig.toDate...), got string"),
    ('sprig.unixEpoch(1)', "sprig.unixEpoch: argument 1 must be a time"),
    ('sprig.date(1, 2)', "sprig.date: argument 1 must be a string, got int"),
])
def test_date_misuse_is_an_error_naming_the_function(expr, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(expr, {})

"""expr-lang's time builtins as Argo's expressions have them (expr v1.17): ``date()``,
``duration()``, ``timezone()``, ``now()``, the methods of times and durations, and the
operators between them. Fixed dates; ``now()`` only where the clock is the point."""
import re
import time

import pytest

from dflow_nb.expressions import ExpressionError, evaluate, render

SCOPE = {"inputs.parameters.started": "2023-08-14T10:00:00Z",
         "inputs.parameters.timeout": "90m"}


@pytest.mark.parametrize("expr, expected", [
    # date(text): the layouts expr tries, in order
    ('date("2023-08-14").Format("2006-01-02 15:04 MST")', "2023-08-14 00:00 UTC"),
    ('date("15:04:05").Format("15h04")', "15h04"),
    ('date("2023-08-14 10:11:12").Second()', 12),
    ('date(inputs.parameters.started).Hour()', 10),
    ('date("2023-08-14T10:00:00+02:00").UTC().Hour()', 8),
    ('date("14 Aug 23 10:00 UTC").Year()', 2023),
    ('date("Monday, 14-Aug-23 10:00:00 UTC").YearDay()', 226),
    ('date("Mon, 14 Aug 2023 10:00:00 UTC").Unix()', 1692007200),
    # date(text, layout) and date(text, layout, zone), timezone()
    ('date("14/08/2023", "02/01/2006").Month()', 8),
    ('date("2023-08-14 00:00:00", "2006-01-02 15:04:05", "Europe/Zurich")'
     '.Format("2006-01-02T15:04:05Z07:00")', "2023-08-14T00:00:00+02:00"),
    ('date(timezone("Asia/Tokyo"), "2023-08-14").Format("Z07:00 MST")', "+09:00 JST"),
    ('date("2023-08-14").In(timezone("America/New_York")).Format("Jan 2 15:04 MST")',
     "Aug 13 20:00 EDT"),
    # durations
    ('duration("1h").Seconds()', 3600.0),
    ('duration(inputs.parameters.timeout).Minutes()', 90.0),
    ('duration("1h15m30.918273645s").Round(duration("1m")).String()', "1h16m0s"),
    ('duration("1h15m30.918273645s").Truncate(duration("1h")).Hours()', 1.0),
    ('duration("-1.5h").Abs().Milliseconds()', 5_400_000),
    ('string(duration("90s"))', "1m30s"),
    ('2 * duration("90m") == duration("3h")', True),
    # operators between times and durations
    ('date("2023-08-15") - date("2023-08-14") == duration("24h")', True),
    ('(date("2023-08-15") - duration("36h")).Format("2006-01-02 15h")', "2023-08-13 12h"),
    ('(duration("1h") + date("2023-08-14")).Hour()', 1),
    ('date("2023-08-14") < date("2023-08-15")', True),
    ('duration("59m") >= duration("1h")', False),
    ('date("2023-08-14T02:00:00+02:00") == date("2023-08-14")', True),   # the same instant
    ('date("2023-08-14").Before(date("2023-08-15"))', True),
    ('date("2023-08-14").Sub(date("2023-08-15")).Hours()', -24.0),
    ('date("2023-08-14").Add(duration("1h")).After(date("2023-08-14"))', True),
    ('date("2024-01-31").AddDate(0, 1, 0).Format("2006-01-02")', "2024-03-02"),  # Go normalises
    ('date("2023-08-14").Weekday()', 1),
    ('type(date("2023-08-14"))', "time.Time"),
    ('type(duration("1s"))', "time.Duration"),
    ('toJson([date("2023-08-14"), duration("1s")])', '["2023-08-14T00:00:00Z",1000000000]'),
])
def test_expr_time_builtin(expr, expected):
    assert evaluate(expr, SCOPE) == expected


def test_a_time_or_duration_in_a_tag_prints_as_go_prints_it():
    assert render('{{= date("2023-08-14T10:00:00+02:00") }} / {{= duration("5400s") }}', {}) == \
        "2023-08-14 10:00:00 +0200 +0200 / 1h30m0s"


def test_now_is_the_current_time_in_utc_or_the_given_zone():
    before = int(time.time())
    assert before <= evaluate("now().Unix()", {}) <= int(time.time())
    assert evaluate('now().Format("MST")', {}) == "UTC"
    assert evaluate('now(timezone("Asia/Tokyo")).Format("MST")', {}) == "JST"
    assert evaluate('now() - duration("1h") < now()', {})


@pytest.mark.parametrize("expr, message", [
    ('date("14/08/2023")', "date: invalid date 14/08/2023"),
    ('date("14/08/2023", "2006-01-02")',
     'date: parsing time "14/08/2023" as "2006-01-02": cannot parse "14/08/2023" as "2006"'),
    ('date("2023-08-14", "2006-01-02", "Mars/Olympus")', "date: unknown time zone Mars/Olympus"),
    ('duration("soon")', 'duration: time: invalid duration "soon"'),
    ('duration("15")', 'duration: time: missing unit in duration "15"'),
    ('timezone("Mars/Olympus")', "timezone: unknown time zone Mars/Olympus"),
    ('date("2023-08-14").Tomorrow()', "type time.Time has no method 'Tomorrow'"),
    ('date("2023-08-14").Add(60)', "Add: argument 1 must be a time.Duration, got int"),
    ('date("2023-08-14") + 1', "invalid operation: + (mismatched types time.Time and int)"),
    ('date("2023-08-14") < duration("1h")',
     "invalid operation: < (mismatched types time.Time and time.Duration)"),
])
def test_time_misuse_is_an_error_naming_the_function(expr, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(expr, {})

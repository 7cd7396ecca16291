"""Timeouts and backoffs accept what Argo accepts."""
import pytest

from dflow_nb.local.durations import parse_duration


@pytest.mark.parametrize("text, seconds", [("90", 90), (5, 5), ("2m", 120), ("1h30m", 5400),
                                           ("1.5s", 1.5), ("250ms", 0.25)])
def test_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


def test_bad_duration_says_what_is_expected():
    with pytest.raises(ValueError, match="Go duration like"):
        parse_duration("soon")

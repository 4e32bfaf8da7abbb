"""The opening-hours subset."""

from __future__ import annotations

import pytest

from estate.errors import HoursError
from estate.hours import parse_hours


def test_24_7():
    h = parse_hours("24/7")
    assert h.is_24_7 and h.hours_per_week == 168


def test_weekday_and_weekend_rules():
    h = parse_hours("Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00")
    assert h.hours_per_week == 5 * 12 + 2 * 10
    assert h.is_open(0, 10 * 60) and not h.is_open(0, 9 * 60 + 59)
    assert h.is_open(4, 21 * 60 + 59) and not h.is_open(4, 22 * 60)
    assert h.is_open(6, 9 * 60) and not h.is_open(6, 19 * 60)
    assert not h.is_24_7


def test_past_midnight_spills_into_next_day():
    h = parse_hours("Fr 22:00-02:00")
    assert h.is_open(4, 23 * 60) and h.is_open(5, 60) and not h.is_open(5, 2 * 60)


def test_later_rule_overrides_and_off():
    h = parse_hours("Mo-Su 08:00-20:00; Su off")
    assert h.is_open(5, 12 * 60) and not h.is_open(6, 12 * 60)
    assert parse_hours("Mo-Fr 09:00-12:00,13:00-17:00").hours_per_week == 35
    assert parse_hours("Mo 00:00-24:00").hours_per_week == 24


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Mon-Fri 10:00-22:00", "unknown day"),
        ("Mo-Fr 10-22", "bad time range"),
        ("Mo-Fr 25:00-26:00", "impossible time"),
        ("", "empty"),
        ("Mo-Fr", "needs days and times"),
        ("PH off", "unknown day"),
    ],
)
def test_bad_hours_say_what_is_wrong(text, fragment):
    with pytest.raises(HoursError, match=fragment) as e:
        parse_hours(text)
    assert "Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00" in str(e.value)  # shows the fix
    assert isinstance(e.value, ValueError)

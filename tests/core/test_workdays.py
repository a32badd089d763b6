"""The one working calendar: French public holidays, and working time that deadlines are counted in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.core.workdays import WorkingHours, easter, french_holidays, is_working_day

HOURS = WorkingHours()  # 9:00–12:30, 13:30–17:00: 7 hours a day


def test_easter_and_the_holidays_it_moves():
    assert [easter(y) for y in (2024, 2025, 2026, 2027, 2038)] == [
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
        date(2027, 3, 28),
        date(2038, 4, 25),
    ]
    holidays = french_holidays(2027)
    assert len(holidays) == 11
    assert {
        date(2027, 3, 29),
        date(2027, 5, 6),
        date(2027, 5, 17),
    } <= holidays  # Monday, Ascension, Whit Monday
    assert not is_working_day(date(2027, 7, 14)) and not is_working_day(
        date(2027, 7, 17)
    )  # holiday, Saturday
    assert is_working_day(date(2027, 7, 15))


def test_working_time_skips_nights_lunch_weekends_and_holidays():
    friday = datetime(2026, 12, 18, 16, 0)
    # one hour on Friday, then Monday 21, Tuesday 22, Wednesday 23, Thursday 24; Friday 25 is Christmas
    assert HOURS.working_seconds(friday, datetime(2026, 12, 28, 9, 0)) == (1 + 4 * 7) * 3600
    assert HOURS.add_working_time(friday, 2 * 3600) == datetime(2026, 12, 21, 10, 0)
    assert HOURS.add_working_time(datetime(2026, 12, 21, 12, 0), 3600) == datetime(2026, 12, 21, 14, 0)
    assert HOURS.add_working_time(datetime(2026, 12, 19, 8, 0), 0) == datetime(
        2026, 12, 21, 9, 0
    )  # next opening
    assert HOURS.working_seconds(datetime(2026, 12, 21, 17, 0), datetime(2026, 12, 21, 9, 0)) == 0
    # a start with microseconds (CI once found floats losing a second here)
    start = datetime(2026, 1, 2, 11, 51, 0, 1)
    assert HOURS.working_seconds(start, HOURS.add_working_time(start, 77940)) == 77940
    with pytest.raises(ValueError, match="chevaucher"):
        WorkingHours(((time(9), time(13)), (time(12), time(17))))


@settings(max_examples=400, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    seconds=st.integers(min_value=0, max_value=30 * 7 * 3600),
)
def test_a_deadline_is_exactly_that_much_working_time_later(start, seconds):
    deadline = HOURS.add_working_time(start, seconds)
    assert HOURS.working_seconds(start, deadline) == seconds
    assert deadline >= start
    if seconds:  # nothing earlier would do
        assert HOURS.working_seconds(start, deadline - timedelta(seconds=1)) == seconds - 1

"""French public holidays and working time: the one calendar every module counts in.

Training plans sessions on working half-days; the support desk (issue 9) will count its deadlines in working hours.
Both read the same holidays (fixed dates, and Easter Monday, Ascension Thursday, Whit Monday) and the same rule:
a working day is a weekday that is not a public holiday.

`WorkingHours` is a day's opening periods (e.g. 9:00–12:30 and 13:30–17:00). `working_seconds(start, end)` counts
the open time between two instants; `add_working_time(start, seconds)` gives the instant when that much open time
has passed — the inverse of each other, checked by a property test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    week = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * week) // 451
    month, day = divmod(h + week - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of mainland France in `year`."""
    sunday = easter(year)
    return frozenset(
        {
            date(year, 1, 1),
            date(year, 5, 1),
            date(year, 5, 8),
            date(year, 7, 14),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
            sunday + timedelta(days=1),  # Easter Monday
            sunday + timedelta(days=39),  # Ascension Thursday
            sunday + timedelta(days=50),  # Whit Monday
        }
    )


def holidays_between(first_year: int, last_year: int) -> frozenset[date]:
    found: set[date] = set()
    for year in range(first_year, last_year + 1):
        found |= french_holidays(year)
    return frozenset(found)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in french_holidays(day.year)


@dataclass(frozen=True)
class WorkingHours:
    """A working day's open periods, in order and not overlapping (e.g. a morning and an afternoon)."""

    periods: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 0)))

    def __post_init__(self) -> None:
        last = time.min
        for start, end in self.periods:
            if not last <= start < end:
                raise ValueError("Les plages horaires se suivent sans se chevaucher (début avant fin).")
            last = end

    def open_on(self, day: date, tz: object = None) -> list[tuple[datetime, datetime]]:
        if not is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz))  # type: ignore[arg-type]
            for start, end in self.periods
        ]

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Open time between two instants (0 if `end` is not after `start`), in seconds."""
        total = timedelta(0)  # exact to the microsecond (floats would lose one second on fractions)
        day = start.date()
        while day <= end.date():
            for opens, closes in self.open_on(day, start.tzinfo):
                total += max(timedelta(0), min(closes, end) - max(opens, start))
            day += timedelta(days=1)
        return total // timedelta(seconds=1)

    def add_working_time(self, start: datetime, seconds: int) -> datetime:
        """The instant when `seconds` of open time have passed since `start` (a deadline)."""
        if seconds < 0:
            raise ValueError("Une durée se compte positivement.")
        left = timedelta(seconds=seconds)
        day = start.date()
        for _ in range(3660):  # ten years of days: a deadline never goes further
            for opens, closes in self.open_on(day, start.tzinfo):
                begin = max(opens, start)
                if begin >= closes:
                    continue
                available = closes - begin
                if left <= available:
                    return begin + left
                left -= available
            day += timedelta(days=1)
        raise ValueError("Échéance au-delà de dix ans.")

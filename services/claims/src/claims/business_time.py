"""Business time: the contact centre's opening hours on a calendar (per weekday, in its own
zone with its DST changes, closed on public holidays). Pure: how much business time lies
between two instants, and which instant comes a given business time after another.

Opening hours are wall-clock times in the calendar's zone, so 09:00-18:00 is nine hours on the
days the clocks change too; an interval ending at 24:00 ends at the next local midnight (23 or
25 hours after the last one on those days)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

Minutes = tuple[int, int]  # an opening interval, minutes after local midnight: (540, 1080)
SEARCH_DAYS = 3660  # a deadline further than ten years of openings is a configuration error


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    hours: Mapping[int, tuple[Minutes, ...]]  # weekday (Monday 0) -> opening intervals
    is_holiday: Callable[[date], bool]

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's openings as UTC instants (none on a holiday)."""
        if self.is_holiday(day):
            return []
        return [
            (self._instant(day, start), self._instant(day, end))
            for start, end in self.hours.get(day.weekday(), ())
        ]

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)  # arithmetic in UTC, not wall
        total = timedelta()
        if end <= start:
            return total
        for opens, closes in self._openings_from(start):
            if opens >= end:
                break
            total += max(timedelta(), min(closes, end) - max(opens, start))
        return total

    def after(self, start: datetime, business: timedelta) -> datetime:
        """The instant when `business` time has passed since `start` (`start` itself for none;
        an instant at a closing time when the time runs out exactly there)."""
        start = start.astimezone(UTC)  # aware arithmetic in one zone is wall-clock arithmetic
        left = business
        if left <= timedelta():
            return start
        for opens, closes in self._openings_from(start):
            usable = closes - max(opens, start)
            if usable <= timedelta():
                continue
            if usable >= left:
                return max(opens, start) + left
            left -= usable
        raise ValueError(f"no {business} of business time within {SEARCH_DAYS} days")

    def _openings_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        first = start.astimezone(self.zone).date() - timedelta(days=1)  # an opening past midnight
        for offset in range(SEARCH_DAYS):
            yield from self.open_intervals(first + timedelta(days=offset))

    def _instant(self, day: date, minutes: int) -> datetime:
        if minutes >= 24 * 60:
            day, minutes = day + timedelta(days=1), minutes - 24 * 60
        wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)
        return wall.astimezone(UTC)


def parse_hours(spec: Mapping[str, str]) -> dict[int, tuple[Minutes, ...]]:
    """`{"mon": "09:00-13:00,14:00-18:00", "sat": "09:00-13:00"}` -> intervals per weekday.
    Days left out are closed; `24:00` ends a day at midnight."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    unknown = sorted(set(spec) - set(names))
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}; use {', '.join(names)}")
    return {
        names.index(day): tuple(_interval(part) for part in text.split(",") if part.strip())
        for day, text in spec.items()
    }


def _interval(text: str) -> Minutes:
    try:
        start, end = (_minutes(t) for t in text.strip().split("-"))
    except ValueError:
        raise ValueError(f"opening hours {text!r} are not HH:MM-HH:MM") from None
    if not 0 <= start < end <= 24 * 60:
        raise ValueError(f"opening hours {text!r} do not run forward within a day")
    return start, end


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60):
        raise ValueError(text)
    return int(hours) * 60 + int(minutes)


def public_holidays(country: str, subdivision: str | None = None) -> Callable[[date], bool]:
    """The public holidays of a country (ISO 3166-1, e.g. IT), from the `holidays` package;
    none for an empty country (a contact centre that never closes)."""
    if not country:
        return lambda _: False
    calendar = holidays.country_holidays(country, subdiv=subdivision)
    return lambda day: day in calendar

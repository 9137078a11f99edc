"""Time buckets in the contact centre's time zone, and the period keys reports group by (no I/O).

Everything is bucketed by the local hour it happened in; day, ISO week, month, weekday and hour
of day are read off that local hour, so they roll up from hour buckets exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PERIOD_KEYS = ("hour", "day", "week", "month", "hour_of_day", "weekday")


def local_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    """The start of the local hour `moment` falls in (naive local wall time)."""
    local = moment.astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0, tzinfo=None)


def period_key(hour: datetime, key: str) -> str | int:
    """The value of one period grouping for a local hour bucket."""
    if key == "hour":
        return hour.strftime("%Y-%m-%dT%H:00")
    if key == "day":
        return hour.date().isoformat()
    if key == "week":
        iso = hour.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if key == "month":
        return hour.strftime("%Y-%m")
    if key == "hour_of_day":
        return hour.hour
    if key == "weekday":
        return hour.isoweekday()
    raise ValueError(f"unknown period key {key!r}; known: {PERIOD_KEYS}")


def in_period(hour: datetime, start: date, end: date) -> bool:
    """Whether a local hour bucket lies in [start, end) (local calendar days)."""
    return start <= hour.date() < end


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def hours_between(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[datetime, int]]:
    """Split [start, end) into (local hour bucket, milliseconds in it) pieces."""
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        # Hours are aligned in UTC too for every zone with whole-hour offsets (Europe/Rome).
        next_hour = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        piece_end = min(next_hour, end)
        yield local_hour(cursor, zone), round((piece_end - cursor) / timedelta(milliseconds=1))
        cursor = piece_end

"""The engine's wall clock: the real one in production, a hand-driven one in tests (or any
object with `now()`, e.g. one running N times faster for a live run of simulated traffic).
Event time is the watermark's (`watermark.py`); the wall clock moves it live, and times leases
and staleness."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Stands still until told to move, so a test decides exactly when deadlines pass."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment

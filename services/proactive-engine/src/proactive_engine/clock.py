"""The engine's wall clock: the real one in production, one running N times faster for a live
run of simulated traffic, a hand-driven one in tests. Event time is the watermark's
(`watermark.py`); the wall clock moves it live, and times leases and staleness."""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FastClock:
    """A wall clock that starts at `start` and runs `speed` times faster: live traffic
    simulated at N x (`cc-dev simulate --speed N`) as the engine would see it for real."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._start, self._speed, self._began = start, speed, time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._began) * self._speed)


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

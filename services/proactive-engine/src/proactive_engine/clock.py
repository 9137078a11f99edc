"""The engine's notion of "now": the wall clock in production, the traffic's own event time
when topics are replayed or simulated faster than real time, a hand-driven one in tests."""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def observe(self, event_time: datetime) -> None:
        """An event of this time was read (only a clock that follows the traffic uses it)."""
        ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def observe(self, event_time: datetime) -> None:
        pass


class EventTimeClock:
    """For replays and simulations at N x speed, whose event times run ahead of (or behind)
    the wall clock: now is the latest event time read, moved on by the wall time since then,
    so a deadline still passes when the traffic pauses (no key or partition waits for events
    of its own). It starts at the wall clock."""

    def __init__(self) -> None:
        self._latest = datetime.now(UTC)
        self._seen_at = time.monotonic()

    def now(self) -> datetime:
        return self._latest + timedelta(seconds=time.monotonic() - self._seen_at)

    def observe(self, event_time: datetime) -> None:
        if event_time > self.now():
            self._latest, self._seen_at = event_time, time.monotonic()


class ManualClock:
    """Stands still until told to move, so a test decides exactly when deadlines pass."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def observe(self, event_time: datetime) -> None:
        pass

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment

"""The engine's event-time watermark, no I/O: how far event time has surely come on the shop
partitions this instance owns, so that a deadline fires once no event before it can still come.

Per source partition (partition p of browse-events and of cart-events: a consumer reads each
at its own pace), the latest event time seen minus the allowed lateness; the engine's watermark
is the minimum over its partitions, leaving out a source that has been silent for the idle
timeout (wall seconds, as `time.monotonic()` counts them), so that one quiet partition holds
nothing back. When every partition is silent, the watermark moves on with the wall time since
the last event (a replay's pauses and its end; a replay slower than real time would outrun its
own events). Live, the wall clock minus the same lateness moves it too, so that quiet periods
fire on time. It never goes back.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SourcePartition = tuple[str, int]  # (topic, partition) of browse- or cart-events
HISTORY = 10_000  # watermark moves remembered, to tell when it passed a deadline


@dataclass
class Watermarks:
    lateness: timedelta
    idle_seconds: float
    follows_wall: bool  # live: the wall clock moves the watermark too
    topics: tuple[str, ...]  # the topics whose partition p is partition p's
    latest: dict[SourcePartition, datetime] = field(default_factory=dict)
    _seen_at: dict[SourcePartition, float] = field(default_factory=dict)  # monotonic
    _current: datetime | None = None
    _moves: list[datetime] = field(default_factory=list)  # the watermark's values, ascending
    _moved_at: list[float] = field(default_factory=list)  # ... and when it reached each

    @property
    def current(self) -> datetime | None:
        return self._current

    def own(self, partition: int, latest: datetime | None, at: float) -> None:
        """A partition taken, with the latest event time stored for it (None: never seen).
        Its sources count as heard from now, so a silent one is left out after the idle
        timeout."""
        for topic in self.topics:
            source = (topic, partition)
            self._seen_at[source] = at
            if latest is not None:
                self.latest[source] = max(latest, self.latest.get(source, latest))

    def keep(self, partitions: Iterable[int]) -> None:
        """A rebalance ended with these partitions ours: forget the others."""
        kept = set(partitions)
        for source in [s for s in self._seen_at if s[1] not in kept]:
            self.latest.pop(source, None)
            self._seen_at.pop(source, None)

    def observe(self, source: SourcePartition, event_time: datetime, at: float) -> None:
        """An event of this source was read (late ones too: they show it is alive)."""
        self._seen_at[source] = at
        if source not in self.latest or event_time > self.latest[source]:
            self.latest[source] = event_time

    def advance(self, at: float, wall: datetime) -> datetime | None:
        """The watermark now (None until one can be told), moved on if it may."""
        candidate = self._by_events(at)
        if self.follows_wall:
            by_wall = wall - self.lateness
            candidate = by_wall if candidate is None else max(candidate, by_wall)
        if candidate is not None and (self._current is None or candidate > self._current):
            self._current = candidate
            self._moves.append(candidate)
            self._moved_at.append(at)
            if len(self._moves) > 2 * HISTORY:
                del self._moves[:HISTORY], self._moved_at[:HISTORY]
        return self._current

    def passed_at(self, moment: datetime) -> float | None:
        """When (monotonic) the watermark first reached `moment`, if it has and still
        remembers: the start of a deadline's fire delay."""
        i = bisect.bisect_left(self._moves, moment)  # the first move at or past it
        return None if i == len(self._moves) else self._moved_at[i]

    def restorable(self) -> Mapping[int, datetime]:
        """What a checkpoint stores, so that a restart goes on from no further a watermark:
        per partition, the earliest of its sources' latest event times, once each has one."""
        partitions = {p for _, p in self._seen_at}
        return {
            p: min(self.latest[(t, p)] for t in self.topics)
            for p in partitions
            if all((t, p) in self.latest for t in self.topics)
        }

    def _by_events(self, at: float) -> datetime | None:
        if not self._seen_at:
            return None
        active = [p for p, seen in self._seen_at.items() if at - seen < self.idle_seconds]
        if active:
            if any(p not in self.latest for p in active):
                return None  # a partition not heard from yet may still hold earlier events
            return min(self.latest[p] for p in active) - self.lateness
        if not self.latest:
            return None
        quiet = at - max(self._seen_at.values())
        return max(self.latest.values()) - self.lateness + timedelta(seconds=quiet)

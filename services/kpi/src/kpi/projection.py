"""The live call projection: per-call facts, rows and hour buckets, kept exact under any arrival
order (no I/O).

Each call's contribution to its (local hour, queue, agent) bucket is remembered; when a new or
late event changes the call's row, the old contribution is subtracted and the new one added.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kpi.calls import CallFact, CallRow, CallRules, Measures, Outcome, derive_row, measures_of
from kpi.periods import local_hour

BucketKey = tuple[datetime, str, str]  # local hour, queue, agent ("" when not answered)


@dataclass
class Bucket:
    measures: Measures = field(default_factory=Measures)
    # wait_ms -> calls, for the longest waits: of every call with an outcome, of answered ones
    waits: Counter[int] = field(default_factory=Counter)
    answered_waits: Counter[int] = field(default_factory=Counter)

    def longest_wait_ms(self) -> int | None:
        return max(self.waits) if self.waits else None

    def longest_answered_wait_ms(self) -> int | None:
        return max(self.answered_waits) if self.answered_waits else None


@dataclass
class CallProjection:
    rules: CallRules
    zone: ZoneInfo
    facts: dict[str, dict[str, CallFact]] = field(default_factory=lambda: defaultdict(dict))
    rows: dict[str, CallRow] = field(default_factory=dict)
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    in_queue: dict[str, CallRow] = field(default_factory=dict)
    totals: dict[str, Measures] = field(default_factory=dict)  # per queue, all time
    days: dict[date, set[BucketKey]] = field(default_factory=lambda: defaultdict(set))

    def apply(self, call_id: str, fact: CallFact) -> bool:
        """Add one event's fact; False when the call already had it (a redelivery)."""
        known = self.facts[call_id]
        if fact.event_id in known:
            return False
        known[fact.event_id] = fact
        row = derive_row(call_id, list(known.values()), self.rules)
        old = self.rows.get(call_id)
        if row != old:
            if old is not None:
                self._contribute(old, -1)
            if row is not None:
                self._contribute(row, +1)
                self.rows[call_id] = row
                self._track_queue(row)
        return True

    def knows(self, call_id: str, event_id: str) -> bool:
        known = self.facts.get(call_id)
        return known is not None and event_id in known

    def _contribute(self, row: CallRow, sign: int) -> None:
        key = (local_hour(row.offered_at, self.zone), row.queue, row.agent)
        bucket = self.buckets.setdefault(key, Bucket())
        self.days[key[0].date()].add(key)
        measures = measures_of(row, self.rules)
        bucket.measures.add(measures, sign)
        self.totals.setdefault(row.queue, Measures()).add(measures, sign)
        if row.wait_ms is not None and row.outcome is not Outcome.IN_QUEUE:
            _count(bucket.waits, row.wait_ms, sign)
            if row.outcome is Outcome.ANSWERED:
                _count(bucket.answered_waits, row.wait_ms, sign)
        if bucket.measures.is_empty():
            del self.buckets[key]
            self.days[key[0].date()].discard(key)

    def buckets_of_day(self, day: date) -> list[tuple[BucketKey, Bucket]]:
        return [(key, self.buckets[key]) for key in self.days.get(day, ())]

    def _track_queue(self, row: CallRow) -> None:
        if row.outcome is Outcome.IN_QUEUE:
            self.in_queue[row.call_id] = row
        else:
            self.in_queue.pop(row.call_id, None)

    def waiting(self, since: datetime) -> Counter[str]:
        """Calls in queue now, per queue: offered since `since`, no outcome known yet."""
        return Counter(r.queue for r in self.in_queue.values() if r.offered_at >= since)


def _count(multiset: Counter[int], value: int, sign: int) -> None:
    multiset[value] += sign
    if multiset[value] == 0:
        del multiset[value]

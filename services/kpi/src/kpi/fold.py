"""Folding a batch's new call events into the stored per-call (and per-attempt) state and the
changes they make to the hour buckets (no I/O).

A call's row is a function of the set of its facts (`calls.derive_row`); when a new or late
fact changes it, the old row's contribution leaves its bucket and the new one's enters. The
additive measures move by the difference. The longest waits cannot be subtracted: a bucket a
waited call leaves is marked for its maximum to be recomputed from the calls it still holds,
and a bucket a call enters only needs the larger of its maximum and the call's wait.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kpi.calls import CallFact, CallRow, CallRules, Measures, Outcome, derive_row, measures_of
from kpi.outbound import (
    OutboundFact,
    OutboundMeasures,
    OutboundRow,
    derive_outbound_row,
    outbound_measures_of,
)
from kpi.periods import local_hour

BucketKey = tuple[datetime, str, str]  # local hour, queue, agent ("" when none)
DayKey = tuple[date, str, str]  # local day, queue, agent


@dataclass
class CallBucketChange:
    measures: Measures = field(default_factory=Measures)
    longest_wait_ms: int | None = None  # of the waited calls entering the bucket
    longest_answered_wait_ms: int | None = None
    recompute_longest: bool = False  # a waited call left the bucket


@dataclass(frozen=True)
class CallUpdate:
    call_id: str
    facts: tuple[CallFact, ...]
    row: CallRow | None
    hour: datetime | None  # of its bucket, None while it is not counted


@dataclass
class CallChanges:
    updates: list[CallUpdate] = field(default_factory=list)
    buckets: dict[BucketKey, CallBucketChange] = field(default_factory=dict)


def fold_calls(
    known: Mapping[str, Sequence[CallFact]],
    new: Mapping[str, Sequence[CallFact]],
    rules: CallRules,
    zone: ZoneInfo,
) -> CallChanges:
    """The calls' new state and the bucket changes, from the facts stored so far (`known`) and
    the batch's new facts (`new`), both per call id."""
    changes = CallChanges()
    for call_id, added in new.items():
        before = tuple(known.get(call_id, ()))
        ids = {f.event_id for f in before}
        facts = before + tuple(f for f in added if f.event_id not in ids)
        old = derive_row(call_id, list(before), rules) if before else None
        row = derive_row(call_id, list(facts), rules)
        hour = None if row is None else local_hour(row.offered_at, zone)
        changes.updates.append(CallUpdate(call_id, facts, row, hour))
        if row != old:
            if old is not None:
                _contribute(changes.buckets, old, local_hour(old.offered_at, zone), rules, -1)
            if row is not None and hour is not None:
                _contribute(changes.buckets, row, hour, rules, +1)
    return changes


def _contribute(
    buckets: dict[BucketKey, CallBucketChange],
    row: CallRow,
    hour: datetime,
    rules: CallRules,
    sign: int,
) -> None:
    change = buckets.setdefault((hour, row.queue, row.agent), CallBucketChange())
    change.measures.add(measures_of(row, rules), sign)
    if row.wait_ms is None or row.outcome is Outcome.IN_QUEUE:
        return
    if sign < 0:
        change.recompute_longest = True
        return
    change.longest_wait_ms = _max(change.longest_wait_ms, row.wait_ms)
    if row.outcome is Outcome.ANSWERED:
        change.longest_answered_wait_ms = _max(change.longest_answered_wait_ms, row.wait_ms)


def _max(a: int | None, b: int) -> int:
    return b if a is None else max(a, b)


def by_day(buckets: Mapping[BucketKey, CallBucketChange]) -> dict[DayKey, CallBucketChange]:
    """Hour bucket changes rolled up to their local day (the long reports read days)."""
    days: dict[DayKey, CallBucketChange] = {}
    for (hour, queue, agent), change in buckets.items():
        day = days.setdefault((hour.date(), queue, agent), CallBucketChange())
        day.measures.add(change.measures)
        day.recompute_longest |= change.recompute_longest
        if change.longest_wait_ms is not None:
            day.longest_wait_ms = _max(day.longest_wait_ms, change.longest_wait_ms)
        if change.longest_answered_wait_ms is not None:
            day.longest_answered_wait_ms = _max(
                day.longest_answered_wait_ms, change.longest_answered_wait_ms
            )
    return days


@dataclass(frozen=True)
class OutboundUpdate:
    call_id: str
    facts: tuple[OutboundFact, ...]


@dataclass
class OutboundChanges:
    updates: list[OutboundUpdate] = field(default_factory=list)
    buckets: dict[BucketKey, OutboundMeasures] = field(default_factory=dict)


def fold_outbound(
    known: Mapping[str, Sequence[OutboundFact]],
    new: Mapping[str, Sequence[OutboundFact]],
    zone: ZoneInfo,
) -> OutboundChanges:
    """The attempts' new facts and the bucket changes, as `fold_calls` does for queue calls."""
    changes = OutboundChanges()
    for call_id, added in new.items():
        before = tuple(known.get(call_id, ()))
        ids = {f.event_id for f in before}
        facts = before + tuple(f for f in added if f.event_id not in ids)
        old = derive_outbound_row(list(before)) if before else None
        row = derive_outbound_row(list(facts))
        changes.updates.append(OutboundUpdate(call_id, facts))
        if row != old:
            if old is not None:
                _contribute_outbound(changes.buckets, old, zone, -1)
            _contribute_outbound(changes.buckets, row, zone, +1)
    return changes


def _contribute_outbound(
    buckets: dict[BucketKey, OutboundMeasures], row: OutboundRow, zone: ZoneInfo, sign: int
) -> None:
    key = (local_hour(row.started_at, zone), row.queue, row.agent)
    buckets.setdefault(key, OutboundMeasures()).add(outbound_measures_of(row), sign)

"""A queue call's outcome and its measures, derived from the set of its events (no I/O).

The outcome is a pure function of the call's distinct events, never of their arrival order: the
same events, duplicated or shuffled, give the same row. Durations are whole milliseconds so that
sums add and subtract exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import cast

from cc_schemas import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallExited,
    CallTransferred,
)


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    SHORT_ABANDONED = "short_abandoned"
    EXITED = "exited"
    IN_QUEUE = "in_queue"  # offered, no outcome known yet


@dataclass(frozen=True)
class CallRules:
    """The thresholds the KPIs depend on (configured in Settings)."""

    service_level_ms: int = 20_000
    short_abandon_ms: int = 5_000


@dataclass(frozen=True)
class CallFact:
    """What one event tells about its call, in the units the KPIs use."""

    event_id: str
    kind: str
    at: datetime
    queue: str | None = None
    agent: str | None = None
    wait_ms: int | None = None
    talk_ms: int | None = None
    hold_ms: int | None = None
    wrapup_ms: int | None = None


@dataclass(frozen=True)
class CallRow:
    """One offered call, as the reports count it."""

    call_id: str
    queue: str
    offered_at: datetime
    outcome: Outcome
    agent: str
    wait_ms: int | None
    talk_ms: int | None
    hold_ms: int
    wrapup_ms: int
    transfers: int


def ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def fact_of(event: CallEvent) -> CallFact:
    """The facts of one call event that matter for the KPIs. Dispatched on `event_type`, not
    `isinstance`: pydantic models' isinstance goes through ABCMeta, on the hot path."""
    kind, base = event.event_type, (event.event_id, event.event_type, event.occurred_at)
    if kind == "call.answered":
        answered = cast(CallAnswered, event)
        return CallFact(*base, event.queue, answered.agent, ms(answered.wait_seconds))
    if kind == "call.ended":
        ended = cast(CallEnded, event)
        return CallFact(
            *base,
            event.queue,
            ended.agent,
            ms(ended.wait_seconds),
            ms(ended.talk_seconds),
            ms(ended.hold_seconds),
            ms(ended.wrapup_seconds),
        )
    if kind == "call.transferred":
        moved = cast(CallTransferred, event)
        talk = ms(moved.talk_seconds)
        return CallFact(*base, event.queue, moved.agent, ms(moved.wait_seconds), talk)
    if kind in ("call.abandoned", "call.exited"):
        gone = cast(CallAbandoned | CallExited, event)
        return CallFact(*base, event.queue, wait_ms=ms(gone.wait_seconds))
    return CallFact(*base, queue=event.queue)


def _first(facts: list[CallFact], *kinds: str) -> CallFact | None:
    """The earliest fact of these kinds; ties broken by event id, so any order gives the same."""
    matching = [f for f in facts if f.kind in kinds]
    return min(matching, key=lambda f: (f.at, f.event_id)) if matching else None


def derive_row(call_id: str, facts: list[CallFact], rules: CallRules) -> CallRow | None:
    """The call's row, or None while its `call.offered` is unknown (it is not counted yet)."""
    offered = _first(facts, "call.offered")
    if offered is None or offered.queue is None:
        return None
    answered = _first(facts, "call.answered")
    completed = _first(facts, "call.ended", "call.transferred")
    transfers = sum(1 for f in facts if f.kind == "call.transferred")
    if answered is not None or completed is not None:
        handler = answered or completed
        assert handler is not None
        wait = answered.wait_ms if answered is not None else None
        if wait is None and completed is not None:
            wait = completed.wait_ms
        return CallRow(
            call_id=call_id,
            queue=offered.queue,
            offered_at=offered.at,
            outcome=Outcome.ANSWERED,
            agent=handler.agent or (completed.agent if completed else None) or "",
            wait_ms=wait,
            talk_ms=completed.talk_ms if completed else None,
            hold_ms=(completed.hold_ms or 0) if completed else 0,
            wrapup_ms=(completed.wrapup_ms or 0) if completed else 0,
            transfers=transfers,
        )
    gone = _first(facts, "call.abandoned") or _first(facts, "call.exited")
    outcome, wait = Outcome.IN_QUEUE, None
    if gone is not None:
        wait = gone.wait_ms
        outcome = Outcome.EXITED if gone.kind == "call.exited" else Outcome.ABANDONED
        if outcome is Outcome.ABANDONED and (wait or 0) < rules.short_abandon_ms:
            outcome = Outcome.SHORT_ABANDONED
    return CallRow(call_id, offered.queue, offered.at, outcome, "", wait, None, 0, 0, transfers)


@dataclass
class Measures:
    """Additive call measures: counts and millisecond sums, exact under add and subtract."""

    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    exited: int = 0
    in_queue: int = 0
    answer_wait_ms: int = 0
    waited: int = 0
    wait_ms: int = 0
    handled: int = 0
    talk_ms: int = 0
    hold_ms: int = 0
    wrapup_ms: int = 0
    transfers: int = 0
    # Last, so that CSV columns keep their places: waits of abandoned calls, short ones apart.
    abandoned_wait_ms: int = 0

    def add(self, other: Measures, sign: int = 1) -> None:
        mine, theirs = self.__dict__, other.__dict__  # the hot path: no getattr / setattr
        for name in MEASURE_NAMES:
            mine[name] += sign * theirs[name]

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in MEASURE_NAMES)


MEASURE_NAMES = tuple(f.name for f in fields(Measures))  # read once: `fields()` is slow


def measures_of(row: CallRow, rules: CallRules) -> Measures:
    """One call's contribution to every additive measure."""
    m = Measures(offered=1, transfers=row.transfers)
    outcome = row.outcome
    m.answered = int(outcome is Outcome.ANSWERED)
    m.abandoned = int(outcome is Outcome.ABANDONED)
    m.short_abandoned = int(outcome is Outcome.SHORT_ABANDONED)
    m.exited = int(outcome is Outcome.EXITED)
    m.in_queue = int(outcome is Outcome.IN_QUEUE)
    if row.wait_ms is not None:
        m.waited, m.wait_ms = 1, row.wait_ms
        if outcome is Outcome.ANSWERED:
            m.answer_wait_ms = row.wait_ms
            m.answered_in_sl = int(row.wait_ms <= rules.service_level_ms)
        elif outcome is Outcome.ABANDONED:
            m.abandoned_wait_ms = row.wait_ms
    if row.talk_ms is not None:
        m.handled, m.talk_ms = 1, row.talk_ms
        m.hold_ms, m.wrapup_ms = row.hold_ms, row.wrapup_ms
    return m

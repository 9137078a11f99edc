"""Outbound calls (a dialler's or a proactive call-back's attempts): each attempt's row derived
from the set of its `call.outbound_*` events, and hour buckets of additive measures kept exact
under any arrival order (no I/O).

An attempt is counted from its earliest outbound event (the dial, or the end alone when the PBX
logs only that, as Asterisk's OUTCALL does), in the local hour of that event. It is connected
when the customer answered (`call.outbound_answered`, or an end that says so); its end gives the
outcome. Talk time counts where the PBX gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from cc_schemas import (
    CallEvent,
    CallOutboundEnded,
    OutboundOutcome,
)
from kpi.calls import ms

ENDED = "call.outbound_ended"
ANSWERED = "call.outbound_answered"
OUTCOMES = tuple(outcome.value for outcome in OutboundOutcome)


def is_outbound(event: CallEvent) -> bool:
    return event.event_type.startswith("call.outbound_")  # not isinstance: see calls.fact_of


@dataclass(frozen=True)
class OutboundFact:
    """What one outbound event tells about its attempt."""

    event_id: str
    kind: str
    at: datetime
    queue: str | None
    agent: str | None
    outcome: str | None = None
    connected: bool = False
    talk_ms: int | None = None


def outbound_fact_of(event: CallEvent) -> OutboundFact:
    agent = getattr(event, "agent", None)
    base = OutboundFact(event.event_id, event.event_type, event.occurred_at, event.queue, agent)
    if isinstance(event, CallOutboundEnded):
        outcome, connected = event.outcome.value, event.connected
        return replace(base, outcome=outcome, connected=connected, talk_ms=ms(event.talk_seconds))
    return base


@dataclass(frozen=True)
class OutboundRow:
    """One outbound attempt, as the reports count it."""

    started_at: datetime
    queue: str
    agent: str
    ended: bool
    outcome: str | None  # of its end; None while it goes on
    connected: bool
    talk_ms: int | None  # of a connected attempt, when the PBX gave it


def _earliest(facts: list[OutboundFact], kind: str | None = None) -> OutboundFact | None:
    matching = [f for f in facts if kind is None or f.kind == kind]
    return min(matching, key=lambda f: (f.at, f.event_id)) if matching else None


def derive_outbound_row(facts: list[OutboundFact]) -> OutboundRow:
    """The attempt's row: a pure function of the set of its facts (order and duplicates aside)."""
    ordered = sorted(facts, key=lambda f: (f.at, f.event_id))
    ended = _earliest(facts, ENDED)
    answered = _earliest(facts, ANSWERED) is not None
    connected = answered or (ended is not None and ended.connected)
    return OutboundRow(
        started_at=ordered[0].at,
        queue=next((f.queue for f in ordered if f.queue), ""),
        agent=next((f.agent for f in ordered if f.agent), ""),
        ended=ended is not None,
        outcome=ended.outcome if ended else None,
        connected=connected,
        talk_ms=ended.talk_ms if ended and connected else None,
    )


@dataclass
class OutboundMeasures:
    """Additive measures of outbound attempts: counts and millisecond sums."""

    attempts: int = 0
    connected: int = 0
    not_connected: int = 0  # ended without the customer answering
    in_progress: int = 0  # not ended, not answered yet
    talked: int = 0  # connected attempts whose talk time is known
    talk_ms: int = 0
    ended: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, other: OutboundMeasures, sign: int = 1) -> None:
        for name in COUNT_NAMES:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))
        for outcome, count in other.ended.items():
            self.ended[outcome] += sign * count


COUNT_NAMES = tuple(f.name for f in fields(OutboundMeasures) if f.name != "ended")


def outbound_measures_of(row: OutboundRow) -> OutboundMeasures:
    m = OutboundMeasures(attempts=1)
    m.connected = int(row.connected)
    m.not_connected = int(row.ended and not row.connected)
    m.in_progress = int(not row.ended and not row.connected)
    if row.outcome is not None:
        m.ended[row.outcome] += 1
    if row.talk_ms is not None:
        m.talked, m.talk_ms = 1, row.talk_ms
    return m

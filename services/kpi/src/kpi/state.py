"""Everything kpi knows, as a projection of the stored events (no I/O): queue calls, outbound
calls, agents and the omnichannel topics, and per topic how many events it holds and where they
lie in time. Each part deduplicates on `event_id` and depends only on the set of stored events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cc_schemas import AgentEvent, CallEvent, Event
from kpi.agents import AgentProjection
from kpi.calls import CallRules, fact_of
from kpi.omnichannel import OmnichannelProjection
from kpi.outbound import OutboundProjection, is_outbound
from kpi.projection import CallProjection


@dataclass
class TopicLog:
    """What kpi holds of one topic: its distinct events, the span of their event times, and
    when kpi last received one (wall clock, as stored with each event)."""

    events: int = 0
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    last_received_at: datetime | None = None

    def note(self, event: Event, received_at: datetime | None) -> None:
        self.events += 1
        self.first_event_at = _earliest(self.first_event_at, event.occurred_at)
        self.last_event_at = _latest(self.last_event_at, event.occurred_at)
        self.last_received_at = _latest(self.last_received_at, received_at)


@dataclass(frozen=True)
class Span:
    """Where stored events lie in event time (None when there are none)."""

    first_event_at: datetime | None
    last_event_at: datetime | None


@dataclass
class KpiState:
    rules: CallRules
    zone: ZoneInfo
    fcr_days: int = 7
    calls: CallProjection = field(init=False)
    outbound: OutboundProjection = field(init=False)
    agents: AgentProjection = field(init=False)
    omni: OmnichannelProjection = field(init=False)
    topics: dict[str, TopicLog] = field(default_factory=dict)
    call_event_types: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.calls = CallProjection(self.rules, self.zone)
        self.outbound = OutboundProjection(self.zone)
        self.agents = AgentProjection(self.zone)
        self.omni = OmnichannelProjection(self.zone, self.fcr_days)

    def apply(self, topic: str, event: Event, received_at: datetime | None = None) -> bool:
        """Fold one stored event in; False when it was already known (a redelivery).
        `received_at` is when kpi received it, None when the store does not say."""
        new = self._fold(event)
        if new:
            self.topics.setdefault(topic, TopicLog()).note(event, received_at)
            if isinstance(event, CallEvent):
                self.call_event_types[event.event_type] += 1
        return new

    def _fold(self, event: Event) -> bool:
        if isinstance(event, CallEvent):
            if is_outbound(event):
                return self.outbound.apply(event)
            return self.calls.apply(event.call_id, fact_of(event))
        if isinstance(event, AgentEvent):
            return self.agents.apply(event)
        return self.omni.apply(event)

    def knows(self, event: Event) -> bool:
        """Whether the event is folded in already; then it is stored too, since only stored
        events are folded (here and at start-up)."""
        if isinstance(event, CallEvent):
            if is_outbound(event):
                return self.outbound.knows(event)
            return self.calls.knows(event.call_id, event.event_id)
        if isinstance(event, AgentEvent):
            return self.agents.knows(event)
        return self.omni.knows(event)

    def span(self, topics: Iterable[str]) -> Span:
        """The earliest and latest event times stored on any of these topics."""
        first: datetime | None = None
        last: datetime | None = None
        for log in (self.topics[t] for t in topics if t in self.topics):
            first = _earliest(first, log.first_event_at)
            last = _latest(last, log.last_event_at)
        return Span(first, last)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)

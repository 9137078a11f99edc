"""Everything kpi knows, as a projection of the stored events (no I/O): calls, agents and the
omnichannel topics. Each part deduplicates on `event_id` and depends only on the set of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cc_schemas import AgentEvent, CallEvent, Event
from kpi.agents import AgentProjection
from kpi.calls import CallRules, fact_of
from kpi.omnichannel import OmnichannelProjection
from kpi.projection import CallProjection


@dataclass
class KpiState:
    rules: CallRules
    zone: ZoneInfo
    fcr_days: int = 7
    calls: CallProjection = field(init=False)
    agents: AgentProjection = field(init=False)
    omni: OmnichannelProjection = field(init=False)
    last_event_at: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.calls = CallProjection(self.rules, self.zone)
        self.agents = AgentProjection(self.zone)
        self.omni = OmnichannelProjection(self.zone, self.fcr_days)

    def apply(self, topic: str, event: Event) -> bool:
        """Fold one event in; False when it was already known (a redelivery)."""
        latest = self.last_event_at.get(topic)
        if latest is None or event.occurred_at > latest:
            self.last_event_at[topic] = event.occurred_at
        if isinstance(event, CallEvent):
            return self.calls.apply(event.call_id, fact_of(event))
        if isinstance(event, AgentEvent):
            return self.agents.apply(event)
        return self.omni.apply(event)

    def knows(self, event: Event) -> bool:
        """Whether the event is folded in already; then it is stored too, since only stored
        events are folded (here and at start-up)."""
        if isinstance(event, CallEvent):
            return self.calls.knows(event.call_id, event.event_id)
        if isinstance(event, AgentEvent):
            return self.agents.knows(event)
        return self.omni.knows(event)

"""Read use cases of kpi: each report fetched from the store and computed (no Kafka or HTTP).

Calls and outbound calls are read as sums of hour buckets the store keeps per group; agents'
times and the omnichannel, claims and proactive reports are computed when asked from the
stored events of their topics (per-entity histories: a ticket's assignments, a chat's messages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cc_schemas import AGENT_EVENTS, TICKET_ASSIGNED, TICKET_CLOSED, TICKET_OPENED, AgentEvent
from kpi.agents import AgentProjection
from kpi.agents_report import agent_report
from kpi.omnichannel import OmnichannelProjection
from kpi.outbound_report import OUTBOUND_GROUPS, outbound_report
from kpi.reports import CALL_GROUPS, ReportQuery, Span, call_report, span_of
from kpi.repository import KpiStore

Row = dict[str, Any]
TICKETS = (TICKET_OPENED, TICKET_ASSIGNED, TICKET_CLOSED)  # the claims reports' topics


@dataclass(frozen=True)
class Reports:
    store: KpiStore
    zone: ZoneInfo
    fcr_days: int = 7

    async def calls(self, query: ReportQuery) -> list[Row]:
        query.check(CALL_GROUPS)
        groups = await self.store.call_groups(query.start, query.end, query.group_by)
        return call_report(groups, query)

    async def outbound(self, query: ReportQuery) -> list[Row]:
        query.check(OUTBOUND_GROUPS)
        groups = await self.store.outbound_groups(query.start, query.end, query.group_by)
        return outbound_report(groups, query)

    async def agents(self, query: ReportQuery) -> list[Row]:
        agents = AgentProjection(self.zone)
        for event in await self.store.events_of([AGENT_EVENTS]):
            assert isinstance(event, AgentEvent)
            agents.apply(event)
        busy = await self.store.agent_busy(query.start, query.end)
        return agent_report(agents, busy, query)

    async def omnichannel(
        self,
        topics: Sequence[str],
        report: Callable[[OmnichannelProjection, ReportQuery], list[Row]],
        query: ReportQuery,
    ) -> list[Row]:
        return report(await self.projection(topics), query)

    async def projection(self, topics: Sequence[str]) -> OmnichannelProjection:
        """The omnichannel projection of the events stored on these topics."""
        omni = OmnichannelProjection(self.zone, self.fcr_days)
        for event in await self.store.events_of(topics):
            omni.apply(event)
        return omni

    async def span(self, topics: Sequence[str]) -> Span:
        return span_of(await self.store.counts(), topics)

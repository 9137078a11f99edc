"""Read use cases of kpi: each report fetched from the store and computed (no Kafka or HTTP).

Calls and outbound calls are read as sums of hour buckets the store keeps per group; agents'
times and the omnichannel, claims and proactive reports are computed when asked from the
stored events of the entities near the period (per-entity histories: a ticket's assignments, a
chat's messages), each entity placed by the store when its events arrive (`entities.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cc_schemas import (
    CHAT_EVENTS,
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
    INTERACTIONS,
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    Event,
)
from kpi.agents import AgentProjection
from kpi.agents_report import agent_report
from kpi.omnichannel import OmnichannelProjection
from kpi.outbound_report import OUTBOUND_GROUPS, outbound_report
from kpi.reports import CALL_GROUPS, ReportQuery, Span, call_report, span_of
from kpi.repository import KpiStore
from kpi.sla import SLA_GROUPS
from kpi.sla_report import sla_report

Row = dict[str, Any]
# The claims reports' topics.
TICKETS = (TICKET_OPENED, TICKET_ASSIGNED, TICKET_CLOSED, TICKET_CHANGES)
# A local day lies within its UTC day widened by a day each side, whatever the zone: the
# entities read are a superset of those a report counts, and the report keeps its own.
MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Entities:
    """The stored entities a report reads: those of `kind`, with their events on `topics`,
    placed in its period; with `open`, the tickets open at some moment of it (opened before
    its end, not ended before its start); with `fcr`, also those placed up to the FCR window
    after it (an interaction's repeat contacts)."""

    kind: str
    topics: tuple[str, ...]
    open: bool = False
    fcr: bool = False


TICKETS_OPENED = Entities("ticket", TICKETS)
TICKETS_OPEN = Entities("ticket", TICKETS, open=True)
CHATS = Entities("chat", (CHAT_EVENTS,))
CASES = Entities("interaction", (INTERACTIONS,), fcr=True)
CSAT = Entities("csat", (CSAT_RESPONSES,))
CONTACTS = Entities("request", (CONTACT_REQUESTS, CONTACT_OUTCOMES))


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

    async def sla(self, query: ReportQuery) -> list[Row]:
        query.check(SLA_GROUPS)
        groups = await self.store.sla_groups(query.start, query.end, query.group_by)
        return sla_report(groups, query)

    async def agents(self, query: ReportQuery) -> list[Row]:
        agents = AgentProjection(self.zone)
        for event in await self.store.agent_events(*_instants(query.start, query.end)):
            agents.apply(event)
        busy = await self.store.agent_busy(query.start, query.end)
        return agent_report(agents, busy, query)

    async def omnichannel(
        self,
        entities: Entities,
        report: Callable[[OmnichannelProjection, ReportQuery], list[Row]],
        query: ReportQuery,
    ) -> list[Row]:
        return report(await self.projection(entities, query.start, query.end), query)

    async def projection(self, entities: Entities, start: date, end: date) -> OmnichannelProjection:
        """The omnichannel projection of the entities read for local days [start, end)."""
        since, until = _instants(start, end)
        if entities.fcr:
            until += timedelta(days=self.fcr_days)
        if entities.open:
            events = await self.store.open_ticket_events(entities.topics, since, until)
        else:
            events = await self.store.placed_events(entities.kind, entities.topics, since, until)
        return self._project(events)

    def _project(self, events: Iterable[Event]) -> OmnichannelProjection:
        omni = OmnichannelProjection(self.zone, self.fcr_days)
        for event in events:
            omni.apply(event)
        return omni

    async def span(self, topics: Sequence[str]) -> Span:
        return span_of(await self.store.counts(), topics)


def _instants(start: date, end: date) -> tuple[datetime, datetime]:
    """Local days [start, end) as UTC instants, widened by MARGIN each side."""
    return (
        datetime.combine(start, time(), UTC) - MARGIN,
        datetime.combine(end, time(), UTC) + MARGIN,
    )

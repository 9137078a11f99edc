"""The agent, omnichannel and claims reports and the /metrics series read only the entities near
their period, on the real PostgreSQL: for short periods inside two weeks of generated histories
(the switch to summer time included) they equal the plain reference over every event; the
backlog and CSAT series equal the reference of their day; and the migration that places the
entities of events stored before it places them as the batches do."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from cc_runtime.migrations import migrate_url, package_migrations
from cc_schemas import (
    AGENT_EVENTS,
    CALL_EVENTS,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    Event,
)
from cc_testing import Servers
from kpi import omni_reports
from kpi.calls import CallRules
from kpi.handlers import record_events
from kpi.metrics import KpiCollector
from kpi.queries import CASES, CHATS, CONTACTS, CSAT, TICKETS_OPEN, TICKETS_OPENED, Reports
from kpi.reports import ReportQuery
from kpi.repository import PostgresKpiStore
from kpi_oracle import reference
from kpi_oracle.simulation import Message, traffic

pytestmark = pytest.mark.infra

ROME = ZoneInfo("Europe/Rome")


def long_shift() -> list[Message]:
    """A session of eight days with a pause of six, logged in twice (the second ignored): the
    first period below starts and ends inside it, more than a day from its ends."""
    at = datetime(2026, 3, 25, 8, tzinfo=UTC)
    common: dict[str, Any] = {"source": "test", "agent_id": "long"}
    events: list[Event] = [
        AgentLoggedIn(event_id="long-in", occurred_at=at, **common),
        AgentPaused(event_id="long-p", occurred_at=at + timedelta(days=1), **common),
        AgentLoggedIn(event_id="long-in2", occurred_at=at + timedelta(days=2), **common),
        AgentUnpaused(event_id="long-u", occurred_at=at + timedelta(days=7, hours=2), **common),
        AgentLoggedOut(event_id="long-out", occurred_at=at + timedelta(days=8), **common),
    ]
    return [(AGENT_EVENTS, "long", e) for e in events]


MESSAGES = traffic(seed=11, calls=300, others=200) + long_shift()  # 2026-03-23 .. 2026-04-06
EVENTS = [event for _, _, event in MESSAGES]
PERIODS = [
    (date(2026, 3, 28), date(2026, 3, 30)),  # the night clocks go forward
    (date(2026, 4, 2), date(2026, 4, 3)),
    (date(2026, 3, 23), date(2026, 4, 6)),
]
Row = dict[str, Any]


async def record_all(store: PostgresKpiStore) -> None:
    pairs = [(topic, event) for topic, _, event in MESSAGES]
    received = datetime(2026, 4, 7, tzinfo=UTC)
    for n in range(0, len(pairs), 500):
        await record_events(pairs[n : n + 500], store, CallRules(), ROME, received)


def picked(rows: list[Row], expected: list[Row]) -> list[Row]:
    """The service's rows cut to the reference's fields (the service has derived ones too)."""
    return [{k: row.get(k) for k in ref} for row, ref in zip(rows, expected, strict=False)]


async def test_each_report_of_a_short_period_equals_the_reference_over_every_event(
    kpi_store: PostgresKpiStore,
) -> None:
    await record_all(kpi_store)
    reports = Reports(kpi_store, ROME)

    for start, end in PERIODS:
        query = ReportQuery(start, end, ("day",))
        cases: list[tuple[str, list[Row], list[Row]]] = [
            (
                "agents",
                await reports.agents(ReportQuery(start, end, ("agent", "day"))),
                reference.agent_kpis(EVENTS, ROME, start, end, ("agent", "day")),
            ),
            (
                "tickets",
                await reports.omnichannel(TICKETS_OPENED, omni_reports.ticket_report, query),
                reference.ticket_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
            (
                "assignees",
                await reports.omnichannel(TICKETS_OPENED, omni_reports.assignee_report, query),
                reference.assignee_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
            (
                "backlog",
                await reports.omnichannel(
                    TICKETS_OPEN, omni_reports.backlog_report, ReportQuery(start, end, ("day",))
                ),
                reference.backlog_kpis(EVENTS, ROME, start, end, False),
            ),
            (
                "sla",
                await reports.sla(ReportQuery(start, end, ("day", "target", "team"))),
                reference.sla_kpis(EVENTS, ROME, start, end, ("day", "target", "team")),
            ),
            (
                "chats",
                await reports.omnichannel(CHATS, omni_reports.chat_report, query),
                reference.chat_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
            (
                "interactions",
                await reports.omnichannel(CASES, omni_reports.interaction_report, query),
                reference.interaction_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
            (
                "csat",
                await reports.omnichannel(CSAT, omni_reports.csat_report, query),
                reference.csat_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
            (
                "contacts",
                await reports.omnichannel(CONTACTS, omni_reports.contact_report, query),
                reference.contact_kpis(EVENTS, ROME, start, end, ("day",)),
            ),
        ]
        for name, rows, expected in cases:
            assert expected, (name, start)  # the period has something to count
            assert (len(rows), picked(rows, expected)) == (len(expected), expected), (name, start)


async def test_the_backlog_and_csat_series_equal_the_reference_of_their_day(
    kpi_store: PostgresKpiStore,
) -> None:
    await record_all(kpi_store)
    day = date(2026, 3, 29)
    collector = KpiCollector(
        Reports(kpi_store, ROME), 0.8, now=lambda: datetime(2026, 3, 29, 18, tzinfo=UTC)
    )

    await collector.refresh()

    after_all = date(2026, 5, 1)  # every ticket not closed by then is open now
    backlog = reference.backlog_kpis(EVENTS, ROME, after_all, after_all + timedelta(1), True)
    csat = reference.csat_kpis(EVENTS, ROME, day, day + timedelta(days=1), ("channel",))
    assert backlog
    assert csat
    assert collector.snapshot.backlog == {row["channel"]: row["backlog"] for row in backlog}
    assert collector.snapshot.csat_today == {row["channel"]: row["csat"] for row in csat}


ENTITIES_SQL = "SELECT * FROM entities ORDER BY kind, entity_id"
INSERT_V1_SQL = """
INSERT INTO events (event_id, topic, event_type, occurred_at, received_at, body)
VALUES ($1, $2, $3, $4, now(), $5::jsonb) ON CONFLICT DO NOTHING
"""


async def test_the_migration_places_the_entities_of_stored_events_as_the_batches_do(
    kpi_store: PostgresKpiStore, servers: Servers, namespace: str
) -> None:
    assert servers.postgres_url is not None
    others = [(t, e) for t, _, e in MESSAGES if t != CALL_EVENTS]
    await record_events(others, kpi_store, CallRules(), ROME, datetime.now(UTC))
    schema = f"{namespace}_before"
    first, *later = package_migrations("kpi")
    await migrate_url(servers.postgres_url, schema, [first])
    await store_as_before(servers.postgres_url, schema, others)

    await migrate_url(servers.postgres_url, schema, [first, *later])

    async with kpi_store.database.connection() as connection:
        placed_by_batches = [tuple(r) for r in await connection.fetch(ENTITIES_SQL)]
    placed_by_migration = await entities_in(servers.postgres_url, schema)
    assert len(placed_by_batches) > 500
    assert placed_by_migration == placed_by_batches


async def store_as_before(url: str, schema: str, events: list[tuple[str, Event]]) -> None:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.executemany(
            INSERT_V1_SQL,
            [(e.event_id, t, e.event_type, e.occurred_at, e.model_dump_json()) for t, e in events],
        )
    finally:
        await connection.close()


async def entities_in(url: str, schema: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        return [tuple(r) for r in await connection.fetch(ENTITIES_SQL)]
    finally:
        await connection.close()

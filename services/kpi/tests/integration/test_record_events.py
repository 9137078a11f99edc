"""Storing a consumed batch on the real PostgreSQL: each event stored and counted once, a
redelivered batch changes nothing, a batch that fails midway leaves nothing behind, and the
counts and reception times are read back by a store that starts afresh."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cc_runtime.postgres import Database
from cc_schemas import (
    CALL_EVENTS,
    CSAT_RESPONSES,
    AgentEvent,
    CallAbandoned,
    Caller,
    CallEvent,
    CallOffered,
    ChatEvent,
    ContactOutcome,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    TicketEvent,
    topic_spec,
)
from cc_testing import Servers
from kpi.calls import CallRules
from kpi.handlers import record_events
from kpi.queries import Reports
from kpi.reports import ReportQuery, span_of
from kpi.repository import Batch, PostgresKpiStore
from kpi.subscribers import CONSUMED

pytestmark = pytest.mark.infra

AT = datetime(2026, 11, 23, 10, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")
RECEIVED = datetime(2026, 12, 2, 7, tzinfo=UTC)  # an import of history, weeks after AT


def calls(n: int) -> list[tuple[str, Event]]:
    out: list[tuple[str, Event]] = []
    for i in range(n):
        common = {"source": "t", "call_id": f"c{i}", "queue": "sales"}
        out.append(
            (
                CALL_EVENTS,
                CallOffered(
                    event_id=f"o{i}", occurred_at=AT, caller=Caller(number_raw="1"), **common
                ),
            )
        )
        out.append(
            (
                CALL_EVENTS,
                CallAbandoned(
                    event_id=f"x{i}",
                    occurred_at=AT + timedelta(seconds=30),
                    wait_seconds=30,
                    position=1,
                    **common,
                ),
            )
        )
    return out


CSAT = CsatSubmitted(
    event_id="s1",
    occurred_at=AT,
    source="t",
    response_id="r1",
    customer_id="C1",
    score=5,
    channel="phone",
)


async def record(store: PostgresKpiStore, batch: list[tuple[str, Event]], at: datetime) -> int:
    return await record_events(batch, store, CallRules(), ROME, at)


async def stored_ids(store: PostgresKpiStore) -> list[str]:
    async with store.database.connection() as connection:
        rows = await connection.fetch("SELECT event_id FROM events ORDER BY event_id")
    return [r["event_id"] for r in rows]


async def stored_count(store: PostgresKpiStore, topic: str) -> int:
    return sum(c.events for c in await store.counts() if c.topic == topic)


async def offered_and_abandoned(store: PostgresKpiStore) -> tuple[int, int]:
    query = ReportQuery(date(2026, 11, 23), date(2026, 11, 24))
    (total,) = await Reports(store, ROME).calls(query)
    return total["offered"], total["abandoned"]


async def test_a_batch_with_duplicates_and_two_topics_is_stored_and_counted_once(
    kpi_store: PostgresKpiStore,
) -> None:
    batch = [*calls(3), (CSAT_RESPONSES, CSAT), *calls(2)]

    new = await record(kpi_store, batch, RECEIVED)

    assert new == 7
    assert await stored_ids(kpi_store) == ["o0", "o1", "o2", "s1", "x0", "x1", "x2"]
    assert await stored_count(kpi_store, CALL_EVENTS) == 6
    assert await stored_count(kpi_store, CSAT_RESPONSES) == 1
    assert await offered_and_abandoned(kpi_store) == (3, 3)


async def test_a_redelivered_batch_stores_counts_and_moves_nothing_new(
    kpi_store: PostgresKpiStore,
) -> None:
    await record(kpi_store, calls(3), RECEIVED)

    new = await record(kpi_store, calls(3), RECEIVED + timedelta(minutes=1))

    assert new == 0
    assert await stored_count(kpi_store, CALL_EVENTS) == 6
    assert await offered_and_abandoned(kpi_store) == (3, 3)
    (offered, abandoned) = [c for c in await kpi_store.counts() if c.topic == CALL_EVENTS]
    assert {offered.last_received_at, abandoned.last_received_at} == {RECEIVED}


async def test_a_batch_that_fails_midway_leaves_nothing_behind(kpi_store: PostgresKpiStore) -> None:
    """Its events, their KPIs and their counts are one transaction: the redelivery does it all."""

    class Crash(Exception):
        pass

    async def store_then_crash(batch: Batch) -> None:
        await batch.add_events(calls(2), RECEIVED)
        raise Crash

    with pytest.raises(Crash):
        await kpi_store.run(store_then_crash)
    assert await stored_ids(kpi_store) == []

    new = await record(kpi_store, calls(2), RECEIVED)

    assert new == 4
    assert await stored_count(kpi_store, CALL_EVENTS) == 4
    assert await offered_and_abandoned(kpi_store) == (2, 2)


async def test_the_counts_and_when_events_arrived_are_read_back_by_another_store_instance(
    kpi_store: PostgresKpiStore, servers: Servers, namespace: str
) -> None:
    later = RECEIVED + timedelta(minutes=5)
    await record(kpi_store, [*calls(2), (CSAT_RESPONSES, CSAT)], RECEIVED)
    await record(kpi_store, calls(3), later)  # only the third call is new
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, f"{namespace}_kpi", max_size=1)
    await database.open()
    try:
        restarted = await PostgresKpiStore(database).counts()
    finally:
        await database.close()

    assert restarted == await kpi_store.counts()
    assert {(c.topic, c.event_type): c.events for c in restarted} == {
        (CALL_EVENTS, "call.abandoned"): 3,
        (CALL_EVENTS, "call.offered"): 3,
        (CSAT_RESPONSES, "csat.submitted"): 1,
    }
    assert {c.topic: c.last_received_at for c in restarted} == {
        CALL_EVENTS: later,
        CSAT_RESPONSES: RECEIVED,
    }
    span = span_of(restarted, [CALL_EVENTS, CSAT_RESPONSES])
    assert span.last_event_at == AT + timedelta(seconds=30)


def test_every_event_a_consumed_topic_carries_has_a_place_in_the_kpis() -> None:
    """Else its whole batch would fail in the projection instead of it alone going to the dlq."""
    placed = (
        CallEvent,
        AgentEvent,
        TicketEvent,
        ChatEvent,
        InteractionRecorded,
        CsatSubmitted,
        ContactRequested,
        ContactOutcome,
    )

    unplaced = [
        cls.__name__
        for topic in CONSUMED
        for cls in topic_spec(topic).events
        if not issubclass(cls, placed)
    ]

    assert unplaced == []

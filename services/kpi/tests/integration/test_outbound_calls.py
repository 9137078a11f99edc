"""Outbound attempts: counted once from whichever of their events arrive, in any order; connected
when the customer answered; their talk time in the agent's busy time (on the real PostgreSQL)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from cc_schemas import (
    CALL_EVENTS,
    Caller,
    CallEvent,
    CallOutboundAnswered,
    CallOutboundDialled,
    CallOutboundEnded,
)
from kpi.calls import CallRules
from kpi.handlers import record_events
from kpi.metrics import KpiCollector
from kpi.queries import Reports
from kpi.reports import ReportQuery
from kpi.repository import PostgresKpiStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 11, 23, 8, 59, 50, tzinfo=UTC)  # 09:59:50 in Rome
ROME = ZoneInfo("Europe/Rome")
RECEIVED = datetime(2026, 11, 23, 12, tzinfo=UTC)
DAY = ReportQuery(date(2026, 11, 23), date(2026, 11, 24))
NUMBER = Caller(number_raw="0212345678", e164="+390212345678")


def attempt(call_id: str, outcome: str = "completed", talk: float | None = 95.5) -> list[CallEvent]:
    """Dialled at T0, answered 20 s later (when completed or transferred), then ended."""
    common = {"source": "t", "call_id": call_id, "queue": "callback", "agent": "1127"}
    connected = outcome in ("completed", "transferred")
    events: list[CallEvent] = [
        CallOutboundDialled(event_id=f"{call_id}-d", occurred_at=T0, dialled=NUMBER, **common)
    ]
    if connected:
        at = T0 + timedelta(seconds=20)
        events.append(CallOutboundAnswered(event_id=f"{call_id}-a", occurred_at=at, **common))
    events.append(
        CallOutboundEnded(
            event_id=f"{call_id}-e",
            occurred_at=T0 + timedelta(seconds=200),
            outcome=outcome,
            connected=connected,
            talk_seconds=talk if connected else 0,
            **common,
        )
    )
    return events


async def fold(store: PostgresKpiStore, events: list[CallEvent]) -> Reports:
    """Each event its own batch, in the order given."""
    for event in events:
        await record_events([(CALL_EVENTS, event)], store, CallRules(), ROME, RECEIVED)
    return Reports(store, ROME)


async def total(reports: Reports) -> dict[str, object]:
    (row,) = await reports.outbound(DAY)
    return row


async def test_attempts_are_counted_connected_or_not_by_their_outcome_with_their_talk_time(
    kpi_store: PostgresKpiStore,
) -> None:
    events = attempt("c1") + attempt("c2", "busy") + attempt("c3", "no_answer")

    row = await total(await fold(kpi_store, events))

    assert (row["attempts"], row["connected"], row["not_connected"]) == (3, 1, 2)
    assert (row["completed"], row["busy"], row["no_answer"], row["transferred"]) == (1, 1, 1, 0)
    assert (row["talk_ms"], row["average_talk_seconds"], row["connect_rate"]) == (
        95_500,
        95.5,
        1 / 3,
    )


async def test_outbound_calls_are_not_queue_calls(kpi_store: PostgresKpiStore) -> None:
    reports = await fold(kpi_store, attempt("c1"))

    (calls,) = await reports.calls(DAY)

    assert calls["offered"] == 0


async def test_an_attempt_logged_by_its_end_alone_is_counted(kpi_store: PostgresKpiStore) -> None:
    """Asterisk's own OUTCALL verb gives only the end."""
    *_, ended = attempt("c1")

    row = await total(await fold(kpi_store, [ended]))

    assert (row["attempts"], row["connected"], row["talk_ms"]) == (1, 1, 95_500)


async def test_a_late_dial_moves_the_attempt_to_the_hour_it_was_dialled(
    kpi_store: PostgresKpiStore,
) -> None:
    dialled, answered, ended = attempt("c1")
    reports = await fold(kpi_store, [ended, answered])
    hours = ReportQuery(DAY.start, DAY.end, ("hour",))
    assert [r["hour"] for r in await reports.outbound(hours)] == ["2026-11-23T10:00"]

    await fold(kpi_store, [dialled])

    assert [(r["hour"], r["attempts"]) for r in await reports.outbound(hours)] == [
        ("2026-11-23T09:00", 1)
    ]


async def test_an_attempt_still_dialling_or_talking_is_in_progress_or_connected(
    kpi_store: PostgresKpiStore,
) -> None:
    dialled, answered, _ = attempt("c1")
    dialling, *_ = attempt("c2")

    row = await total(await fold(kpi_store, [dialled, answered, dialling]))

    assert (row["attempts"], row["in_progress"], row["connected"], row["talked"]) == (2, 1, 1, 0)
    assert row["connect_rate"] == 1.0


async def test_outbound_talk_time_is_in_the_agents_busy_time(kpi_store: PostgresKpiStore) -> None:
    reports = await fold(
        kpi_store,
        attempt("c1", talk=60) + attempt("c2", "transferred", talk=30) + attempt("c3", "busy"),
    )

    (row,) = await reports.agents(ReportQuery(DAY.start, DAY.end, ("agent",)))

    assert (row["agent"], row["busy_ms"], row["outbound_talk_ms"], row["outbound_talked"]) == (
        "1127",
        90_000,
        90_000,
        2,
    )
    assert row["handled"] == 0  # queue calls only


async def test_prometheus_counts_outbound_attempts_and_talk_time_per_queue(
    kpi_store: PostgresKpiStore,
) -> None:
    reports = await fold(kpi_store, attempt("c1") + attempt("c2", "busy"))
    collector = KpiCollector(reports, 0.8)
    await collector.refresh()
    registry = CollectorRegistry()
    registry.register(collector)
    queue = {"queue": "callback"}

    assert [
        registry.get_sample_value(f"kpi_outbound_{name}_total", queue)
        for name in ("attempts", "connected", "not_connected", "talk_seconds")
    ] == [2, 1, 1, 95.5]


async def test_any_order_with_duplicates_in_batches_gives_the_same_report(
    kpi_store: PostgresKpiStore,
) -> None:
    events = attempt("c1") + attempt("c2", "congestion") + attempt("c3", talk=None)[:1]
    by_hour_and_agent = ReportQuery(DAY.start, DAY.end, ("hour", "agent"))
    shuffled = [events[i] for i in (5, 2, 0, 4, 1, 3)]
    batches = [shuffled[:2], [shuffled[1], *shuffled[2:5]], shuffled[4:], shuffled[:3]]
    for batch in batches:
        await record_events(
            [(CALL_EVENTS, e) for e in batch], kpi_store, CallRules(), ROME, RECEIVED
        )
    rows = await Reports(kpi_store, ROME).outbound(by_hour_and_agent)

    assert [(r["hour"], r["agent"], r["attempts"], r["connected"]) for r in rows] == [
        ("2026-11-23T09:00", "1127", 3, 1)
    ]
    assert (rows[0]["congestion"], rows[0]["completed"], rows[0]["in_progress"]) == (1, 1, 1)

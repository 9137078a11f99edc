"""Claims' SLA warnings and breaches on the real PostgreSQL: each distinct event counted once in
the local hour it was published (a redelivered batch and a duplicate move nothing), the report
grouped as asked, and the Prometheus counters and today's gauge read from the same buckets."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cc_schemas import TICKET_SLA, Event, SlaBreached, SlaWarning
from kpi.calls import CallRules
from kpi.handlers import record_events
from kpi.metrics import KpiCollector
from kpi.queries import Reports
from kpi.reports import ReportQuery
from kpi.repository import PostgresKpiStore

pytestmark = pytest.mark.infra

ROME = ZoneInfo("Europe/Rome")
AT = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Rome, still the 23rd
DAY = date(2026, 11, 23)


def sla(kind: type[SlaWarning | SlaBreached], n: int, target: str, **fields: Any) -> Event:
    common: dict[str, Any] = {
        "cluster": "return",
        "priority": "normal",
        "team": "contact_centre",
        "policy": "default",
        "due_at": AT + timedelta(hours=1),
        "source": "claims",
        **fields,
    }
    return kind(
        event_id=f"{kind.__name__}-{n}",
        occurred_at=AT + timedelta(minutes=n),
        ticket_id=f"T-{n}",
        target=target,
        **common,
    )


EVENTS = [
    sla(SlaWarning, 1, "first_response"),
    sla(SlaBreached, 2, "first_response"),
    sla(SlaWarning, 3, "solution", team=None, priority="urgent"),
    sla(SlaBreached, 40, "solution", cluster="delivery"),  # 00:10 in Rome: the 24th
]


async def record(store: PostgresKpiStore, events: list[Event]) -> int:
    pairs = [(TICKET_SLA, e) for e in events]
    return await record_events(pairs, store, CallRules(), ROME, datetime.now(UTC))


async def test_each_warning_and_breach_counts_once_in_its_local_hour(
    kpi_store: PostgresKpiStore,
) -> None:
    reports = Reports(kpi_store, ROME)
    assert await record(kpi_store, [*EVENTS, EVENTS[1]]) == 4
    assert await record(kpi_store, EVENTS) == 0  # redelivered: nothing new, nothing moved

    by_target = await reports.sla(ReportQuery(DAY, DAY + timedelta(days=2), ("day", "target")))
    by_team = await reports.sla(ReportQuery(DAY, DAY + timedelta(days=1), ("team", "priority")))

    assert by_target == [
        {"day": "2026-11-23", "target": "first_response", "warnings": 1, "breaches": 1},
        {"day": "2026-11-23", "target": "solution", "warnings": 1, "breaches": 0},
        {"day": "2026-11-24", "target": "solution", "warnings": 0, "breaches": 1},
    ]
    assert by_team == [
        {"team": "", "priority": "urgent", "warnings": 1, "breaches": 0},
        {"team": "contact_centre", "priority": "normal", "warnings": 1, "breaches": 1},
    ]


async def test_an_empty_period_is_one_row_of_zeros_and_an_unknown_grouping_is_refused(
    kpi_store: PostgresKpiStore,
) -> None:
    reports = Reports(kpi_store, ROME)

    assert await reports.sla(ReportQuery(DAY, DAY + timedelta(days=1))) == [
        {"warnings": 0, "breaches": 0}
    ]
    with pytest.raises(ValueError, match="unknown grouping"):
        await reports.sla(ReportQuery(DAY, DAY + timedelta(days=1), ("queue",)))


async def test_the_counters_and_today_s_breaches_are_read_from_the_buckets(
    kpi_store: PostgresKpiStore,
) -> None:
    await record(kpi_store, EVENTS)
    collector = KpiCollector(Reports(kpi_store, ROME), 0.8, now=lambda: AT)

    await collector.refresh()

    samples = {
        (metric.name, tuple(sorted(s.labels.items())), s.value)
        for metric in collector.collect()
        if metric.name.startswith("kpi_sla")
        for s in metric.samples
        if not s.name.endswith("_created")
    }
    first, solution = ("target", "first_response"), ("target", "solution")
    centre, none = ("team", "contact_centre"), ("team", "")
    assert samples == {
        ("kpi_sla_warnings", (first, centre), 1),
        ("kpi_sla_warnings", (solution, none), 1),
        ("kpi_sla_warnings", (solution, centre), 0),
        ("kpi_sla_breaches", (first, centre), 1),
        ("kpi_sla_breaches", (solution, none), 0),
        ("kpi_sla_breaches", (solution, centre), 1),
        ("kpi_sla_breaches_today", (first,), 1),  # the solution breach was on the 24th
        ("kpi_sla_breaches_today", (solution,), 0),
    }

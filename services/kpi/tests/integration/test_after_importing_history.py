"""On the real broker and database, kpi after an import of history (calls of April 2025, received
now), then restarted: a report with no period says it covers today and where the data lies; the
stored-event counters and the time events were last received come back unchanged after the
restart (rebuilt from the stored events)."""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cc_schemas import (
    AgentLoggedIn,
    AgentLoggedOut,
    CallAbandoned,
    CallAnswered,
    Caller,
    CallEvent,
    CallExited,
    CallOffered,
    encode,
)
from cc_testing import (
    RunningService,
    Servers,
    TestIssuer,
    eventually,
    free_ports,
    produce,
    service_environment,
    service_process,
)

pytestmark = pytest.mark.infra

HISTORY_START = datetime(2025, 4, 14, 7, 2, 11, 120_000, tzinfo=UTC)
HISTORY_END = HISTORY_START + timedelta(hours=3, seconds=30)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def history() -> list[CallEvent]:
    """An answered call, a short abandon and a timeout, over three hours of April 2025."""
    caller = Caller(number_raw="021234567", e164="+39021234567")
    calls: list[CallEvent] = []
    for n, at in enumerate((HISTORY_START, HISTORY_START + timedelta(hours=1), HISTORY_END)):
        common: dict[str, Any] = {"source": "q", "queue": "sales", "call_id": f"h{n}"}
        calls.append(CallOffered(event_id=f"o{n}", occurred_at=at, caller=caller, **common))
        end = {"event_id": f"e{n}", "occurred_at": at, "wait_seconds": 1, **common}
        if n == 0:
            calls.append(CallAnswered(agent="1127", **end))
        elif n == 1:
            calls.append(CallAbandoned(position=1, **end))
        else:
            calls.append(CallExited(reason="timeout", position=1, **end))
    return calls


AGENT = [
    AgentLoggedIn(event_id="in", occurred_at=HISTORY_START, source="q", agent_id="1127"),
    AgentLoggedOut(event_id="out", occurred_at=HISTORY_END, source="q", agent_id="1127"),
]
CALLS = history()
ISSUER = TestIssuer()


def samples(kpi: RunningService, *names: str) -> Samples:
    text = httpx.get(f"{kpi.url}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in names
    }


def stored(kpi: RunningService) -> float:
    return sum(samples(kpi, "kpi_events_total").values())


@dataclass
class Imported:
    kpi: RunningService  # restarted after the import
    before_restart: Samples
    sent_between: tuple[float, float]  # wall clock before the publish, after kpi stored it all


COUNTERS = ("kpi_events_total", "kpi_call_events_total")
RECEIVED = "kpi_last_event_received_timestamp_seconds"


@pytest.fixture(scope="module")
def imported(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    namespace = "kpihist" + str(time.monotonic_ns())[-8:]
    env = {
        **service_environment(servers, namespace),
        **ISSUER.env(),
        "CC_TOPIC_PARTITIONS": "1",
    }
    bootstrap = servers.kafka_bootstrap_servers
    (port,) = free_ports(1)
    with service_process("kpi", port, env, tmp_path_factory.mktemp("kpi")) as first:
        sent_at = time.time()
        calls = [(e.call_id.encode(), encode(e)) for e in CALLS]
        agents = [(e.agent_id.encode(), encode(e)) for e in AGENT]
        asyncio.run(produce(bootstrap, f"{namespace}.call-events", calls))
        asyncio.run(produce(bootstrap, f"{namespace}.agent-events", agents))

        def all_stored() -> None:
            assert stored(first) == len(CALLS) + len(AGENT)

        eventually(all_stored)
        stored_at = time.time()
        before = samples(first, *COUNTERS, RECEIVED)
    (port,) = free_ports(1)
    with service_process("kpi", port, env, tmp_path_factory.mktemp("restarted")) as restarted:
        yield Imported(restarted, before, (sent_at, stored_at))


def test_the_stored_event_counters_come_back_unchanged_after_a_restart(
    imported: Imported,
) -> None:
    after = samples(imported.kpi, *COUNTERS)

    assert after == {k: v for k, v in imported.before_restart.items() if k[0] in COUNTERS}
    assert after[("kpi_call_events_total", (("event_type", "call.offered"),))] == 3
    assert after[("kpi_events_total", (("topic", "agent-events"),))] == 2


def test_when_events_were_last_received_comes_back_after_a_restart(imported: Imported) -> None:
    after = samples(imported.kpi, RECEIVED)

    assert after == {k: v for k, v in imported.before_restart.items() if k[0] == RECEIVED}
    received = after[(RECEIVED, (("topic", "call-events"),))]
    first_sent, all_stored = imported.sent_between
    assert first_sent - 1 <= received <= all_stored  # when it was received, not 2025


def test_a_report_with_no_period_says_it_covers_today_and_where_the_history_lies(
    imported: Imported,
) -> None:
    today = datetime.now(ZoneInfo("Europe/Rome")).date()

    response = httpx.get(
        f"{imported.kpi.url}/v1/reports/calls", headers=ISSUER.bearer(["supervisor"])
    )

    (row,) = response.json()
    assert row["offered"] == 0
    assert (row["period_from"], row["period_to"]) == (
        today.isoformat(),
        (today + timedelta(days=1)).isoformat(),
    )
    assert (row["data_first_event_at"], row["data_last_event_at"]) == (
        "2025-04-14T07:02:11.120000Z",
        "2025-04-14T10:02:41.120000Z",
    )
    assert response.headers["x-data-first-event-at"] == "2025-04-14T07:02:11.120000Z"


def test_a_grouped_report_without_rows_still_says_where_the_data_lies(
    imported: Imported,
) -> None:
    response = httpx.get(
        f"{imported.kpi.url}/v1/reports/agents",
        params={"from": "2026-01-01", "to": "2026-02-01", "group_by": "agent"},
        headers=ISSUER.bearer(["supervisor"]),
    )

    assert response.json() == []
    assert {k: response.headers.get(k) for k in COVERAGE_HEADERS} == {
        "x-report-period-from": "2026-01-01",
        "x-report-period-to": "2026-02-01",
        "x-data-first-event-at": "2025-04-14T07:02:11.120000Z",
        "x-data-last-event-at": "2025-04-14T10:02:41.120000Z",
    }


def test_the_history_is_in_the_report_of_its_own_period(imported: Imported) -> None:
    params = {"from": date(2025, 4, 14).isoformat(), "group_by": "queue"}

    (row,) = httpx.get(
        f"{imported.kpi.url}/v1/reports/calls",
        params=params,
        headers=ISSUER.bearer(["supervisor"]),
    ).json()

    assert (row["offered"], row["answered"], row["short_abandoned"], row["exited"]) == (3, 1, 1, 1)
    assert row["period_from"] == "2025-04-14"


COVERAGE_HEADERS = (
    "x-report-period-from",
    "x-report-period-to",
    "x-data-first-event-at",
    "x-data-last-event-at",
)

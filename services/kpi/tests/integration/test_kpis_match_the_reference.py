"""The KPIs read back through kpi's REST API, after it consumed 10,000+ generated calls and their
agent, ticket, chat, interaction, CSAT and contact histories from the real broker (duplicates,
out-of-order and late events included), equal a plain reference computation over the raw events;
and the same numbers come back after a restart that rebuilds everything from the stored events."""

import asyncio
import csv
import io
import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from cc_schemas import OutboundOutcome, TicketStateChanged, encode
from cc_testing import (
    RunningService,
    Servers,
    TestIssuer,
    eventually,
    free_ports,
    service_environment,
    service_process,
)
from kpi_oracle import reference
from kpi_oracle.simulation import Message, traffic

pytestmark = pytest.mark.infra

ROME = ZoneInfo("Europe/Rome")
START, END = date(2026, 3, 1), date(2026, 5, 1)
MESSAGES = traffic(seed=5, calls=10_000, others=300)
EVENTS = [event for _, _, event in MESSAGES]
UNIQUE = len({event.event_id for event in EVENTS})
OUTCOMES = [outcome.value for outcome in OutboundOutcome]
ISSUER = TestIssuer()


async def publish(bootstrap: str, namespace: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        sent = [
            await producer.send(f"{namespace}.{topic}", encode(event), key=key.encode())
            for topic, key, event in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def stored_events(kpi: RunningService) -> float:
    lines = httpx.get(f"{kpi.url}/metrics").text.splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("kpi_events_total{"))


def wait_until_stored(kpi: RunningService, expected: int, seconds: float = 280) -> None:
    def all_stored() -> None:
        assert stored_events(kpi) == expected

    eventually(all_stored, seconds, interval=0.5)


def report(kpi: RunningService, name: str, group_by: tuple[str, ...], fmt: str = "json") -> Any:
    params = {"from": START.isoformat(), "to": END.isoformat(), "group_by": ",".join(group_by)}
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}",
        params={**params, "format": fmt},
        headers=ISSUER.bearer(["supervisor"]),
    )
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else response.text


def same(service_rows: list[dict[str, Any]], reference_rows: list[dict[str, Any]]) -> bool:
    picked = [
        {k: row.get(k) for k in ref} for row, ref in zip(service_rows, reference_rows, strict=False)
    ]
    return len(service_rows) == len(reference_rows) and picked == reference_rows


@pytest.fixture(scope="module")
def consumed(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    namespace = "kpiref" + str(time.monotonic_ns())[-8:]
    env = {
        **service_environment(servers, namespace),
        **ISSUER.env(),
        "CC_TOPIC_PARTITIONS": "3",
    }
    (port,) = free_ports(1)
    with service_process("kpi", port, env, tmp_path_factory.mktemp("kpi")) as kpi:
        asyncio.run(publish(servers.kafka_bootstrap_servers, namespace, MESSAGES))
        wait_until_stored(kpi, UNIQUE)
    return env


@pytest.fixture(scope="module")
def kpi(
    consumed: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    """kpi restarted on the consumed namespace: its numbers come from the stored events."""
    (port,) = free_ports(1)
    with service_process("kpi", port, consumed, tmp_path_factory.mktemp("restarted")) as running:
        yield running


CALL_GROUPINGS = [
    (),
    ("queue",),
    ("agent",),
    ("hour_of_day",),
    ("weekday",),
    ("week", "queue"),
    ("month",),
    ("day", "queue", "agent"),
    ("hour",),
]


@pytest.mark.parametrize("group_by", CALL_GROUPINGS, ids=lambda g: ",".join(g) or "total")
def test_call_kpis_equal_the_reference_for_each_grouping(
    kpi: RunningService, group_by: tuple[str, ...]
) -> None:
    expected = reference.call_kpis(EVENTS, ROME, START, END, group_by)

    assert same(report(kpi, "calls", group_by), expected)


def test_the_call_report_as_csv_has_the_json_rows(kpi: RunningService) -> None:
    rows = list(csv.DictReader(io.StringIO(report(kpi, "calls", ("queue",), fmt="csv"))))
    as_json = report(kpi, "calls", ("queue",))

    assert [r["queue"] for r in rows] == [r["queue"] for r in as_json]
    assert [int(r["offered"]) for r in rows] == [r["offered"] for r in as_json]
    assert [float(r["service_level"]) for r in rows] == [r["service_level"] for r in as_json]


def test_the_generated_traffic_has_every_case_the_kpis_distinguish(kpi: RunningService) -> None:
    (total,) = report(kpi, "calls", ())

    assert total["offered"] >= 9_500
    for measure in ("answered", "abandoned", "short_abandoned", "exited", "in_queue", "transfers"):
        assert total[measure] > 0, measure
    assert len(EVENTS) > UNIQUE  # duplicates were sent
    # timed-out calls waited longer than any answered one, so the two longest waits differ
    assert total["longest_wait_answered_seconds"] < total["longest_wait_seconds"]
    assert total["average_wait_abandoned_seconds"] > 5  # short abandons are left out


OUTBOUND_GROUPINGS = [(), ("queue",), ("agent",), ("day", "queue", "agent"), ("week",)]


@pytest.mark.parametrize("group_by", OUTBOUND_GROUPINGS, ids=lambda g: ",".join(g) or "total")
def test_outbound_kpis_equal_the_reference_for_each_grouping(
    kpi: RunningService, group_by: tuple[str, ...]
) -> None:
    expected = reference.outbound_kpis(EVENTS, ROME, START, END, group_by)

    assert same(report(kpi, "outbound", group_by), expected)


def test_the_generated_outbound_calls_have_every_case_the_kpis_distinguish(
    kpi: RunningService,
) -> None:
    (total,) = report(kpi, "outbound", ())
    (agents,) = report(kpi, "agents", ())

    for measure in ("connected", "not_connected", "in_progress", "talked", *OUTCOMES):
        assert total[measure] > 0, measure
    assert total["talked"] < total["connected"]  # talk time not always given
    assert {row["queue"] for row in report(kpi, "outbound", ("queue",))} >= {"", "callback"}
    assert 0 < agents["outbound_talk_ms"] < agents["busy_ms"]


def test_csat_ticket_and_contact_kpis_equal_the_reference(kpi: RunningService) -> None:
    assert same(
        report(kpi, "csat", ("channel", "week")),
        reference.csat_kpis(EVENTS, ROME, START, END, ("channel", "week")),
    )
    assert same(
        report(kpi, "tickets", ("cluster", "channel")),
        reference.ticket_kpis(EVENTS, ROME, START, END, ("cluster", "channel")),
    )
    assert same(
        report(kpi, "contacts", ("rule", "day")),
        reference.contact_kpis(EVENTS, ROME, START, END, ("rule", "day")),
    )


AGENT_GROUPINGS = [(), ("agent",), ("agent", "day"), ("hour",), ("week", "agent")]


@pytest.mark.parametrize("group_by", AGENT_GROUPINGS, ids=lambda g: ",".join(g) or "total")
def test_agent_times_and_occupancy_equal_the_reference(
    kpi: RunningService, group_by: tuple[str, ...]
) -> None:
    expected = reference.agent_kpis(EVENTS, ROME, START, END, group_by)

    assert same(report(kpi, "agents", group_by), expected)


def test_chat_first_response_reply_time_and_volume_equal_the_reference(
    kpi: RunningService,
) -> None:
    for group_by in [(), ("origin", "day"), ("hour",)]:
        expected = reference.chat_kpis(EVENTS, ROME, START, END, group_by)

        assert same(report(kpi, "chats", group_by), expected), group_by


def test_interaction_volume_per_channel_and_first_contact_resolution_equal_the_reference(
    kpi: RunningService,
) -> None:
    for group_by in [(), ("channel", "direction"), ("channel", "week"), ("day",)]:
        expected = reference.interaction_kpis(EVENTS, ROME, START, END, group_by)

        assert same(report(kpi, "interactions", group_by), expected), group_by


def test_the_ticket_backlog_at_the_end_of_each_day_equals_the_reference(
    kpi: RunningService,
) -> None:
    assert same(
        report(kpi, "backlog", ("day",)), reference.backlog_kpis(EVENTS, ROME, START, END, False)
    )
    assert same(
        report(kpi, "backlog", ("day", "channel")),
        reference.backlog_kpis(EVENTS, ROME, START, END, True),
    )


SLA_GROUPINGS = [(), ("target",), ("target", "cluster", "priority", "team"), ("team", "day")]


@pytest.mark.parametrize("group_by", SLA_GROUPINGS, ids=lambda g: ",".join(g) or "total")
def test_sla_warnings_and_breaches_equal_the_reference(
    kpi: RunningService, group_by: tuple[str, ...]
) -> None:
    expected = reference.sla_kpis(EVENTS, ROME, START, END, group_by)

    assert same(report(kpi, "sla", group_by), expected)


def test_the_time_each_assignee_held_tickets_equals_the_reference(kpi: RunningService) -> None:
    for group_by in [(), ("assignee",), ("assignee", "week")]:
        expected = reference.assignee_kpis(EVENTS, ROME, START, END, group_by)

        assert same(report(kpi, "assignees", group_by), expected), group_by


def test_the_generated_histories_have_every_case_those_kpis_distinguish(
    kpi: RunningService,
) -> None:
    (agents,) = report(kpi, "agents", ())
    (chats,) = report(kpi, "chats", ())
    (interactions,) = report(kpi, "interactions", ())
    (held,) = report(kpi, "assignees", ())
    backlog = report(kpi, "backlog", ("day",))

    assert agents["paused_ms"] > 0
    assert 0 < agents["occupancy"] < 1
    assert {row["origin"] for row in report(kpi, "chats", ("origin",))} == {"customer", "proactive"}
    assert 0 < chats["responded"] < chats["chats"]
    assert chats["replies"] > 0
    assert 0 < interactions["first_contact_resolution"] < 1
    assert held["held_ms"] > 0
    (tickets,) = report(kpi, "tickets", ())
    assert tickets["merged"] > 0
    (sla,) = report(kpi, "sla", ())
    assert 0 < sla["breaches"] < sla["warnings"]
    assert "" in {row["team"] for row in report(kpi, "sla", ("team",))}  # tickets without a team
    reopened = [e for e in EVENTS if isinstance(e, TicketStateChanged) and e.from_state == "closed"]
    assert reopened
    assert len(report(kpi, "assignees", ("assignee",))) > 1
    assert len({row["backlog"] for row in backlog}) > 1

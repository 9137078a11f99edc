"""kpi scaled out, killed and cut off from its database, on the real broker and PostgreSQL: two
instances in one consumer group, one of them killed with SIGKILL in the middle of the stream
and started again, give the independent reference's reports; PostgreSQL stopped in the middle
of the stream is waited out, nothing is dead-lettered and the reports stay exact."""

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from cc_runtime import ensure_topics
from cc_schemas import encode
from cc_testing import (
    RunningService,
    Servers,
    TestIssuer,
    eventually,
    free_ports,
    service_environment,
    service_process,
)
from cc_testing.processes import wait_ready
from cc_testing.servers import LocalStackPostgres
from kpi.subscribers import CONSUMED
from kpi_oracle import reference
from kpi_oracle.simulation import Message, traffic

pytestmark = pytest.mark.infra

ROME = ZoneInfo("Europe/Rome")
START, END = date(2026, 3, 1), date(2026, 5, 1)
MESSAGES = traffic(seed=11, calls=3_000, others=120)
EVENTS = [event for _, _, event in MESSAGES]
UNIQUE = len({event.event_id for event in EVENTS})
PARTITIONS = 4
CALL_GROUPINGS = [(), ("queue",), ("day", "queue", "agent"), ("hour",)]
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


async def dead_letters(bootstrap: str, namespace: str) -> int:
    """Records on every dead-letter topic of kpi's topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(f"{namespace}.{topic}.dlq", p)
            for topic in CONSUMED
            for p in range(PARTITIONS)
        ]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


def samples(kpi: RunningService, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = httpx.get(f"{kpi.url}/metrics", timeout=10).text
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def stored(kpi: RunningService) -> float:
    return sum(samples(kpi, "kpi_events_total").values())


def report(kpi: RunningService, name: str, group_by: tuple[str, ...]) -> list[dict[str, Any]]:
    params = {"from": START.isoformat(), "to": END.isoformat(), "group_by": ",".join(group_by)}
    supervisor = ISSUER.bearer(["supervisor"])
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}", params=params, headers=supervisor, timeout=30
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def picked(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service's rows with the reference's fields, to compare whole lists."""
    keys = list(expected[0]) if expected else []
    return [{k: row.get(k) for k in keys} for row in rows]


def assert_reports_equal_the_reference(kpi: RunningService) -> None:
    for group_by in CALL_GROUPINGS:
        expected = reference.call_kpis(EVENTS, ROME, START, END, group_by)
        assert picked(report(kpi, "calls", group_by), expected) == expected, group_by
    for group_by in [(), ("agent", "day")]:
        expected = reference.agent_kpis(EVENTS, ROME, START, END, group_by)
        assert picked(report(kpi, "agents", group_by), expected) == expected, group_by
    expected = reference.outbound_kpis(EVENTS, ROME, START, END, ("queue",))
    assert picked(report(kpi, "outbound", ("queue",)), expected) == expected
    expected = reference.ticket_kpis(EVENTS, ROME, START, END, ("cluster",))
    assert picked(report(kpi, "tickets", ("cluster",)), expected) == expected
    # SLA buckets are moved by atomic increments from every instance's batches.
    expected = reference.sla_kpis(EVENTS, ROME, START, END, ("target", "team", "day"))
    assert picked(report(kpi, "sla", ("target", "team", "day")), expected) == expected
    # The entities of these reports are placed by whichever instance holds their partition of
    # each topic: a ticket's opening and its close may be stored by different instances.
    omnichannel = [
        ("assignees", ("assignee",), reference.assignee_kpis),
        ("chats", ("origin",), reference.chat_kpis),
        ("interactions", ("channel",), reference.interaction_kpis),
        ("csat", ("channel",), reference.csat_kpis),
        ("contacts", ("rule",), reference.contact_kpis),
    ]
    for name, group_by, compute in omnichannel:
        expected = compute(EVENTS, ROME, START, END, group_by)
        assert picked(report(kpi, name, group_by), expected) == expected, name
    expected = reference.backlog_kpis(EVENTS, ROME, START, END, True)
    assert picked(report(kpi, "backlog", ("day", "channel")), expected) == expected


@contextlib.contextmanager
def killable_kpi(
    port: int, env: Mapping[str, str], log_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A kpi process this test may kill with SIGKILL (service_process stops it politely)."""
    full_env = {**os.environ, **env, "KPI_HTTP_HOST": "127.0.0.1", "KPI_HTTP_PORT": str(port)}
    log_path = log_dir / "killed-kpi.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("cc-kpi"))],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(RunningService("kpi", f"http://127.0.0.1:{port}", log_path), process, 60)
        yield process
    finally:
        process.kill()
        process.wait()


def test_two_instances_one_killed_mid_stream_and_restarted_give_the_reference_reports(
    servers: Servers, namespace: str, tmp_path: Path
) -> None:
    env = {
        **service_environment(servers, namespace),
        **ISSUER.env(),
        "CC_TOPIC_PARTITIONS": str(PARTITIONS),
    }
    bootstrap = servers.kafka_bootstrap_servers
    topics = [f"{namespace}.{t}" for t in CONSUMED]
    asyncio.run(ensure_topics(bootstrap, topics, PARTITIONS))
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    # Each port is taken just before its process starts: other tests' processes start too.
    with service_process("kpi", free_ports(1)[0], env, tmp_path / "b") as survivor:
        with killable_kpi(free_ports(1)[0], env, tmp_path) as doomed:
            asyncio.run(publish(bootstrap, namespace, MESSAGES))

            def a_third_stored() -> None:
                assert stored(survivor) >= UNIQUE / 3

            eventually(a_third_stored, 120, interval=0.2)
            doomed.kill()  # SIGKILL: no commit, no leave-group, a transaction cut off
            doomed.wait()
        with service_process("kpi", free_ports(1)[0], env, tmp_path / "c") as restarted:

            def all_stored() -> None:
                assert (stored(survivor), stored(restarted)) == (UNIQUE, UNIQUE)

            eventually(all_stored, 240, interval=0.5)
            assert_reports_equal_the_reference(survivor)
            assert_reports_equal_the_reference(restarted)
            consumed = samples(survivor, "kpi_call_events_total")
            assert consumed == samples(restarted, "kpi_call_events_total")
    assert asyncio.run(dead_letters(bootstrap, namespace)) == 0


@pytest.fixture
def own_postgres() -> Iterator[LocalStackPostgres]:
    """A server of this test's own, since the test stops it."""
    server = LocalStackPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def test_postgresql_stopped_mid_stream_is_waited_out_with_nothing_dead_lettered(
    servers: Servers, namespace: str, tmp_path: Path, own_postgres: LocalStackPostgres
) -> None:
    env = {
        **service_environment(servers, namespace),
        **ISSUER.env(),
        "CC_POSTGRES_URL": own_postgres.url,
        "CC_TOPIC_PARTITIONS": str(PARTITIONS),
        "CC_CONSUMER_BACKOFF_SECONDS": "0.05",
    }
    bootstrap = servers.kafka_bootstrap_servers
    half = len(MESSAGES) // 2
    (port,) = free_ports(1)
    with service_process("kpi", port, env, tmp_path) as kpi:
        asyncio.run(publish(bootstrap, namespace, MESSAGES[:half]))

        def some_stored() -> None:
            assert stored(kpi) > 0

        eventually(some_stored, 120, interval=0.2)
        own_postgres.stop()
        asyncio.run(publish(bootstrap, namespace, MESSAGES[half:]))

        def outage_seen() -> None:
            failures = samples(kpi, "cc_consumer_failures_total")
            waited = [v for labels, v in failures.items() if ("kind", "infrastructure") in labels]
            assert sum(waited) >= 1

        eventually(outage_seen, 120, interval=0.5)
        own_postgres.start()

        def all_stored() -> None:
            assert stored(kpi) == UNIQUE

        eventually(all_stored, 240, interval=0.5)
        assert_reports_equal_the_reference(kpi)
    assert asyncio.run(dead_letters(bootstrap, namespace)) == 0

"""A first event end to end, each service its own process on the real broker and database:
telephony-ingest (HTTP) -> call-events -> kpi (PostgreSQL, /metrics); malformed input refused
with a reason; an unparseable Kafka message dead-lettered while kpi keeps consuming."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest

from cc_testing import (
    RunningService,
    Servers,
    free_ports,
    headers_of,
    produce,
    read_records,
    service_process,
)

pytestmark = pytest.mark.infra

WEBHOOK_SECRET = "e2e-webhook-secret"


def post_signed(url: str, payload: dict[str, object]) -> httpx.Response:
    """POST as the PBX middleware does: HMAC-SHA256 over `<timestamp>.<body>`."""
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    headers = {
        "content-type": "application/json",
        "x-timestamp": timestamp,
        "x-signature": f"sha256={digest.hexdigest()}",
    }
    return httpx.post(url, content=body, headers=headers)


async def stored_events(servers: Servers, namespace: str) -> list[str]:
    """The ids of the events kpi stored, from its schema."""
    connection = await asyncpg.connect(servers.postgres_url)
    try:
        schema = f"{namespace}_kpi"  # a test's own namespace
        rows = await connection.fetch(f'SELECT event_id FROM "{schema}".events')  # noqa: S608
    finally:
        await connection.close()
    return sorted(r["event_id"] for r in rows)


def call_offered(call_id: str) -> dict[str, object]:
    return {
        "event_id": f"e2e-{call_id}-offered",
        "event_type": "call.offered",
        "occurred_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC).isoformat(),
        "source": "pbx-webhook",
        "call_id": call_id,
        "queue": "sales",
        "caller": {"number_raw": "+39 02 1234 5678", "e164": "+390212345678"},
        "position": 1,
    }


@pytest.fixture
def platform(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[RunningService, RunningService]]:
    ingest_port, kpi_port = free_ports(2)
    with (
        service_process("kpi", kpi_port, service_env, tmp_path) as kpi,
        service_process(
            "telephony-ingest",
            ingest_port,
            {**service_env, "TELEPHONY_INGEST_WEBHOOK_SECRET": WEBHOOK_SECRET},
            tmp_path,
        ) as ingest,
    ):
        yield ingest, kpi


def counted(kpi: RunningService, event_type: str) -> float:
    metrics = httpx.get(f"{kpi.url}/metrics").text
    prefix = f'kpi_call_events_total{{event_type="{event_type}"}} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


def wait_until_counted(kpi: RunningService, event_type: str, expected: float) -> None:
    deadline = time.monotonic() + 30
    while counted(kpi, event_type) < expected:
        assert time.monotonic() < deadline, f"kpi never counted {expected} {event_type}"
        time.sleep(0.2)
    assert counted(kpi, event_type) == expected


def test_a_call_event_posted_to_ingest_is_published_stored_and_counted(
    platform: tuple[RunningService, RunningService], servers: Servers, namespace: str
) -> None:
    ingest, kpi = platform

    response = post_signed(f"{ingest.url}/v1/call-events", call_offered("1700000000.1"))

    assert response.status_code == 202, response.text
    records = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers, f"{namespace}.call-events", until=lambda r: len(r) >= 1
        )
    )
    assert [r.key for r in records] == [b"1700000000.1"]
    wait_until_counted(kpi, "call.offered", 1)
    assert asyncio.run(stored_events(servers, namespace)) == ["e2e-1700000000.1-offered"]


def test_a_malformed_event_is_refused_with_its_reason_and_nothing_is_published(
    platform: tuple[RunningService, RunningService], servers: Servers, namespace: str
) -> None:
    ingest, _ = platform
    malformed = call_offered("1700000000.2")
    malformed["occurred_at"] = "yesterday"

    response = post_signed(f"{ingest.url}/v1/call-events", malformed)

    assert response.status_code == 422
    assert "occurred_at" in response.text
    # A valid event after the malformed one: once it is on the topic, it must be alone there.
    sentinel = post_signed(f"{ingest.url}/v1/call-events", call_offered("1700000000.3"))
    assert sentinel.status_code == 202
    records = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers, f"{namespace}.call-events", until=lambda r: len(r) >= 1
        )
    )
    assert [r.key for r in records] == [b"1700000000.3"]


def test_an_unparseable_message_goes_to_the_dead_letter_topic_and_kpi_keeps_consuming(
    platform: tuple[RunningService, RunningService], servers: Servers, namespace: str
) -> None:
    ingest, kpi = platform
    topic = f"{namespace}.call-events"

    asyncio.run(produce(servers.kafka_bootstrap_servers, topic, [(b"broken-call", b"{not json")]))

    dead = asyncio.run(
        read_records(servers.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 1)
    )
    assert [(r.key, r.value) for r in dead] == [(b"broken-call", b"{not json")]
    source = asyncio.run(
        read_records(servers.kafka_bootstrap_servers, topic, until=lambda r: len(r) >= 1)
    )
    headers = headers_of(dead[0])
    assert headers["x-dlq-source-topic"] == topic
    assert headers["x-dlq-source-partition"] == str(source[0].partition)
    assert headers["x-dlq-source-offset"] == str(source[0].offset)
    assert headers["x-dlq-service"] == "kpi"
    assert headers["x-dlq-error"]
    response = post_signed(f"{ingest.url}/v1/call-events", call_offered("1700000000.4"))
    assert response.status_code == 202
    wait_until_counted(kpi, "call.offered", 1)

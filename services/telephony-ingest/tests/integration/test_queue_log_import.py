"""Bulk import of queue_log files on the real broker and database: events keyed by call and
agent, bad lines dead-lettered with their position, each line published or dead-lettered once
whatever file it comes in, every line read accounted for."""

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_schemas import Event
from cc_testing import Servers, TestIssuer, headers_of, read_records
from telephony_ingest.app import create_app, line_context
from telephony_ingest.bulk import import_queue_log_files, open_database
from telephony_ingest.handlers import QueueLogLines, import_queue_log
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import PostgresRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink

pytestmark = pytest.mark.infra

QUEUE_LOG = """\
1710400000|NONE|NONE|NONE|QUEUESTART|
1710400001|MANAGER|sales|PJSIP/1001|ADDMEMBER|
1710408413|1710408413.1|sales|NONE|ENTERQUEUE||0212345678|1
1710408428|1710408413.1|sales|PJSIP/1001|RINGNOANSWER|15000
this line is not queue_log at all
1710408440|1710408413.1|sales|PJSIP/1001|CONNECT|27|1710408435.9|5
1710408450|NONE|sales|NONE|ENTERQUEUE||0212345678|1
1710408560|1710408413.1|sales|PJSIP/1001|COMPLETECALLER|27|120|1
1710408600|1710408600.2|sales|NONE|ENTERQUEUE||anonymous|1
1710408645|1710408600.2|sales|NONE|ABANDON|1|1|45
1710408700|1710408700.3|sales|NONE|CALLERONHOLD|
1710410000|NONE|sales|PJSIP/1001|PAUSE|lunch
"""
CALLS = 6
AGENTS = 2
BAD_LINES = {5: "malformed_line", 7: "missing_call_id"}
SAMPLES = {11: "unknown_verb"}  # the first CALLERONHOLD, as a sample
ISSUER = TestIssuer()


def admin() -> dict[str, str]:
    """An administrator's bearer token, minted when it is used (a token lasts 5 minutes)."""
    return ISSUER.bearer(["admin"])


@pytest.fixture
def settings(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    for name, value in ISSUER.env().items():
        monkeypatch.setenv(name, value)
    return Settings()


def count_at_least(n: int) -> Callable[[Sequence[object]], bool]:
    return lambda records: len(records) >= n


async def messages_in(settings: Settings, topic: str) -> int:
    """Messages on the topic, from its end offsets: exact once the producer was acknowledged."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        name = settings.topic(topic)  # created with settings.topic_partitions partitions
        partitions = [TopicPartition(name, n) for n in range(settings.topic_partitions)]
        ends = await consumer.end_offsets(partitions)
        return sum(ends.values())
    finally:
        await consumer.stop()


def pause_lines(first: int, count: int, agent: str = "PJSIP/1001") -> str:
    """`count` valid lines, each its own agent event."""
    return "".join(
        f"{1710410000 + n}|NONE|sales|{agent}|PAUSE|reason-{n}\n"
        for n in range(first, first + count)
    )


def summary(report: Any) -> tuple[int, int, int, int]:
    return report.lines, report.published, report.duplicates, report.ignored


async def test_a_file_is_published_keyed_by_call_and_agent_with_bad_lines_dead_lettered(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)

    [report] = await import_queue_log_files([path], settings)

    assert summary(report) == (12, CALLS + AGENTS, 0, 1)
    assert report.rejected == {"malformed_line": 1, "missing_call_id": 1}
    assert report.unknown_verbs == {"CALLERONHOLD": 1}
    bootstrap = servers.kafka_bootstrap_servers
    calls = await read_records(bootstrap, settings.topic("call-events"), until=count_at_least(6))
    agents = await read_records(bootstrap, settings.topic("agent-events"), until=count_at_least(2))
    dead = await read_records(bootstrap, settings.topic("call-events.dlq"), until=count_at_least(3))
    assert sorted(r.key for r in calls) == [b"1710408413.1"] * 4 + [b"1710408600.2"] * 2
    first_call = [json.loads(r.value)["event_type"] for r in calls if r.key == b"1710408413.1"]
    assert first_call == ["call.offered", "call.ring_no_answer", "call.answered", "call.ended"]
    assert sorted(r.key for r in agents) == [b"1001"] * 2
    assert {json.loads(r.value)["interface"] for r in agents} == {"PJSIP/1001"}
    positions = {
        int(headers_of(r)["x-dlq-line-number"]): headers_of(r)["x-dlq-error-type"] for r in dead
    }
    assert positions == BAD_LINES | SAMPLES
    assert all(headers_of(r)["x-dlq-error"] for r in dead)
    assert all(headers_of(r)["x-dlq-file"] == str(path) for r in dead)
    assert dead[0].value in QUEUE_LOG.encode()


async def test_a_reimport_reports_duplicates_publishes_only_new_lines_and_dead_letters_once(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    await import_queue_log_files([path], settings)

    [again] = await import_queue_log_files([path], settings)
    rotated = path.rename(tmp_path / "queue_log.1")  # the same file under another name
    [renamed] = await import_queue_log_files([rotated], settings)
    with rotated.open("a") as grown:
        grown.write("1710410100|NONE|sales|PJSIP/1001|UNPAUSE|\n")
    [grown_report] = await import_queue_log_files([rotated], settings)

    handled = CALLS + AGENTS + len(BAD_LINES)  # published or dead-lettered the first time
    assert summary(again) == (12, 0, handled, 1)
    assert again.unknown_verbs == {"CALLERONHOLD": 1}
    assert summary(renamed) == (12, 0, handled, 1)
    assert summary(grown_report) == (13, 1, handled, 1)
    assert await messages_in(settings, "call-events.dlq") == len(BAD_LINES) + len(SAMPLES)
    assert await messages_in(settings, "call-events") == CALLS
    assert await messages_in(settings, "agent-events") == AGENTS + 1


async def test_a_grown_file_in_small_batches_publishes_exactly_the_lines_added(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    small = settings.model_copy(update={"import_checkpoint_lines": 4})
    path = tmp_path / "queue_log"
    path.write_text(pause_lines(0, 10))
    [first] = await import_queue_log_files([path], small)
    path.write_text("\n" + pause_lines(0, 10) + pause_lines(10, 7))  # a blank line shifts it

    [grown] = await import_queue_log_files([path], small)

    assert summary(first) == (10, 10, 0, 0)
    assert summary(grown) == (18, 7, 10, 1)
    assert await messages_in(settings, "agent-events") == 17


async def test_a_file_starting_with_a_blank_line_after_another_such_file_is_published_whole(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text("\n" + pause_lines(0, 5))
    second.write_text("\n" + pause_lines(100, 60))

    [one, two] = await import_queue_log_files([first, second], settings)

    assert summary(one) == (6, 5, 0, 1)
    assert summary(two) == (61, 60, 0, 1)
    assert await messages_in(settings, "agent-events") == 65


async def test_two_files_with_the_same_first_line_lose_no_line_of_the_second(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    header = "1710400000|NONE|NONE|NONE|QUEUESTART|\n"
    first.write_text(header + pause_lines(0, 60))
    second.write_text(header + pause_lines(1000, 60))

    [one, two] = await import_queue_log_files([first, second], settings)

    assert summary(one) == (61, 60, 0, 1)
    assert summary(two) == (61, 60, 0, 1)
    assert await messages_in(settings, "agent-events") == 120


async def test_a_line_over_a_megabyte_is_dead_lettered_truncated_and_the_rest_published(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    huge = "1710409999|1710409999.1|sales|NONE|ENTERQUEUE||" + "9" * 1_200_000 + "|1\n"
    path.write_text(pause_lines(0, 10) + huge + pause_lines(10, 10))

    [report] = await import_queue_log_files([path], settings)
    [again] = await import_queue_log_files([path], settings)

    assert summary(report) == (21, 20, 0, 0)
    assert report.rejected == {"line_too_long": 1}
    assert summary(again) == (21, 0, 21, 0)
    [dead] = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events.dlq"), until=count_at_least(1)
    )
    assert headers_of(dead)["x-dlq-error-type"] == "line_too_long"
    assert headers_of(dead)["x-dlq-line-number"] == "11"
    assert headers_of(dead)["x-dlq-truncated"] == f"16384 of {len(huge) - 1} bytes"
    assert dead.value == huge[:16384].encode()
    assert await messages_in(settings, "agent-events") == 20
    assert await messages_in(settings, "call-events.dlq") == 1


def test_an_upload_with_a_line_over_a_megabyte_publishes_the_rest_and_dead_letters_it_once(
    settings: Settings, servers: Servers
) -> None:
    """Through the HTTP import route, not only the bulk importer: every try of such a file was
    a 500, and each republished the file's other lines."""
    huge = "1710409999|1710409999.1|sales|NONE|ENTERQUEUE||" + "9" * 1_200_000 + "|1\n"
    upload = {"file": ("queue_log", pause_lines(0, 10) + huge + pause_lines(10, 10))}

    with TestClient(create_app(settings)) as client:
        first = client.post("/v1/queue-log/imports", files=upload, headers=admin())
        again = client.post("/v1/queue-log/imports", files=upload, headers=admin())

    assert first.status_code == 200, first.text
    assert (first.json()["published"], first.json()["rejected"]) == (20, {"line_too_long": 1})
    assert again.status_code == 200, again.text
    assert (again.json()["published"], again.json()["duplicates"]) == (0, 21)
    [dead] = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers,
            settings.topic("call-events.dlq"),
            until=count_at_least(1),
        )
    )
    assert headers_of(dead)["x-dlq-error-type"] == "line_too_long"
    assert dead.value == huge[:16384].encode()
    assert asyncio.run(messages_in(settings, "agent-events")) == 20
    assert asyncio.run(messages_in(settings, "call-events.dlq")) == 1


# A file cut by a full disk: its last lines stop mid-field (the caller `021234`, the bridged
# uniqueid `1710408`), and a line naming its queue with a NUL (it reached kpi's metric labels).
TRUNCATED = """\
1710408413|1710408413.1|sales|NONE|ENTERQUEUE||0212345678|1
1710408420|1710408420.2|s\x00les|NONE|ENTERQUEUE||0212345678|1
1710408430|1710408430.3|sales|NONE|ENTERQUEUE||021234
1710408440|1710408413.1|sales|PJSIP/1001|CONNECT|27|1710408"""


async def test_cut_lines_and_a_control_character_are_dead_lettered_with_their_reason_not_published(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(TRUNCATED)

    [report] = await import_queue_log_files([path], settings)

    assert summary(report) == (4, 1, 0, 0)
    assert report.rejected == {"bad_field": 2, "control_character": 1}
    dead = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events.dlq"), until=count_at_least(3)
    )
    positions = {
        int(headers_of(r)["x-dlq-line-number"]): headers_of(r)["x-dlq-error-type"] for r in dead
    }
    assert positions == {2: "control_character", 3: "bad_field", 4: "bad_field"}
    [published] = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events"), until=count_at_least(1)
    )
    assert json.loads(published.value)["caller"]["e164"] == "+390212345678"
    assert await messages_in(settings, "call-events") == 1


OUTBOUND = """\
1710420000|MANAGER|callback|Local/1127@callback-agent|ADDMEMBER|
1710420001|NONE|NONE|Agent/1127|AGENTCALLBACKLOGIN|1127@agents
1710420010|1710420010.1|callback|Agent/1127|OUTDIAL|0212345678|spring
1710420022|1710420010.1|callback|Agent/1127|OUTANSWER|0212345678|12
1710420200|1710420010.1|callback|Agent/1127|OUTTRANSFER|0212345678|2001|178
1710420300|1710420300.2|callback|Agent/1127|OUTDIAL|0298765432|spring
1710420330|1710420300.2|callback|Agent/1127|OUTCHANUNAVAIL|0298765432|30
1710420400|1710420400.3|callback|NONE|CALLERONHOLD|
1710420401|1710420400.3|callback|NONE|CALLEROFFHOLD|
1710420402|1710420400.3|callback|NONE|CALLERONHOLD|
1710420403|1710420400.3|callback|NONE|CALLEROFFHOLD|
1710420404|1710420400.3|callback|NONE|CALLERONHOLD|
"""


async def test_outbound_lines_become_outbound_events_and_unknown_verbs_are_counted_by_verb(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(OUTBOUND)

    [report] = await import_queue_log_files([path], settings)
    [again] = await import_queue_log_files([path], settings)

    assert summary(report) == (12, 7, 0, 0)
    assert report.unknown_verbs == {"CALLERONHOLD": 3, "CALLEROFFHOLD": 2}
    assert report.rejected == {}
    assert again.unknown_verbs == report.unknown_verbs
    bootstrap = servers.kafka_bootstrap_servers
    calls = await read_records(bootstrap, settings.topic("call-events"), until=count_at_least(5))
    by_call = {
        key: [json.loads(r.value) for r in calls if r.key == key]
        for key in (b"1710420010.1", b"1710420300.2")
    }
    assert [e["event_type"] for e in by_call[b"1710420010.1"]] == [
        "call.outbound_dialled",
        "call.outbound_answered",
        "call.outbound_ended",
    ]
    ended = by_call[b"1710420010.1"][2]
    assert (ended["outcome"], ended["connected"], ended["talk_seconds"]) == (
        "transferred",
        True,
        178,
    )
    assert (ended["agent"], ended["interface"]) == ("1127", "Agent/1127")
    assert by_call[b"1710420010.1"][0]["dialled"]["e164"] == "+390212345678"
    assert by_call[b"1710420300.2"][1]["outcome"] == "unavailable"
    agents = await read_records(bootstrap, settings.topic("agent-events"), until=count_at_least(2))
    assert [r.key for r in agents] == [b"1127", b"1127"]  # one person, two interfaces
    dead = await read_records(bootstrap, settings.topic("call-events.dlq"), until=count_at_least(2))
    assert sorted(headers_of(r)["x-dlq-line-number"] for r in dead) == ["8", "9"]
    assert all(headers_of(r)["x-dlq-sample"] for r in dead)
    assert await messages_in(settings, "call-events.dlq") == 2


class FailingFlush:
    """A sink whose broker goes away at the first flush: the importer dies mid-batch."""

    def __init__(self, sink: KafkaEventSink) -> None:
        self.sink = sink

    async def publish(self, event: Event, source: str) -> None:
        await self.sink.publish(event, source)

    async def dead_letter(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self.sink.dead_letter(value, key, headers)

    async def flush(self) -> None:
        raise ConnectionError("broker gone")


async def test_a_batch_left_open_by_a_crash_is_published_by_the_next_import(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    topics = [settings.topic(t) for t in ("call-events", "agent-events", "call-events.dlq")]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    path = tmp_path / "queue_log"
    path.write_text(pause_lines(0, 30))
    metrics = IngestMetrics(CollectorRegistry())
    context = replace(line_context(settings), lease=timedelta(0))
    database = await open_database(settings)
    ledger = PostgresRepository(database)
    crashed_sink, sink = KafkaEventSink(settings, metrics), KafkaEventSink(settings, metrics)
    await sink.start()
    try:
        await crashed_sink.start()
        crashed = QueueLogLines(FailingFlush(crashed_sink), metrics, context)
        with path.open("rb") as source, pytest.raises(ConnectionError):
            await import_queue_log(source, str(path), crashed, ledger)
        crashed_sink.open.clear()  # the dead process's unsent batches die with it
        with path.open("rb") as source:
            report = await import_queue_log(
                source, str(path), QueueLogLines(sink, metrics, context), ledger
            )
    finally:
        await sink.stop()
        await crashed_sink.stop()
        await database.close()

    assert summary(report) == (30, 0, 30, 0)
    reasons = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("agent-events"), until=count_at_least(30)
    )
    assert sorted(json.loads(r.value)["reason"] for r in reasons) == sorted(
        f"reason-{n}" for n in range(30)
    )


def test_a_file_uploaded_to_the_import_endpoint_is_published_once(
    settings: Settings, servers: Servers
) -> None:
    # From 127.0.0.1, where /metrics is open (as to the Prometheus beside the service).
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        upload = {"file": ("queue_log", QUEUE_LOG)}
        first = client.post("/v1/queue-log/imports", files=upload, headers=admin())
        second = client.post("/v1/queue-log/imports", files=upload, headers=admin())
        metrics = client.get("/metrics").text

    assert first.status_code == 200, first.text
    assert first.json()["published"] == CALLS + AGENTS
    assert first.json()["rejected"] == {"malformed_line": 1, "missing_call_id": 1}
    assert first.json()["unknown_verbs"] == {"CALLERONHOLD": 1}
    assert second.status_code == 200, second.text
    assert (second.json()["lines"], second.json()["published"]) == (12, 0)
    assert second.json()["duplicates"] == CALLS + AGENTS + len(BAD_LINES)
    assert (
        'telephony_ingest_events_total{event_type="call.offered",source="queue_log"} 2.0' in metrics
    )
    assert (
        'telephony_ingest_unknown_verbs_total{source="queue_log",verb="CALLERONHOLD"} 2.0'
        in metrics
    )
    assert [m for m in metrics.splitlines() if "duplicates_total{" in m] == [
        'telephony_ingest_duplicates_total{source="queue_log"} 10.0'
    ]
    assert "telephony_ingest_publish_seconds_count" in metrics


def test_a_server_side_path_outside_the_import_roots_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    allowed = settings.model_copy(update={"import_roots": [tmp_path / "allowed"]})

    with TestClient(create_app(allowed)) as client:
        refused = client.post(
            "/v1/queue-log/imports:server-path", json={"path": str(path)}, headers=admin()
        )

    assert refused.status_code == 403
    assert "IMPORT_ROOTS" in refused.json()["detail"]

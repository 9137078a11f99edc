"""Live follow of a queue_log on the real broker and database: appended lines published,
rotation (rename and copy-truncate) and restarts survived without duplicates or gaps."""

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_testing import Servers, read_records
from telephony_ingest.app import line_context
from telephony_ingest.bulk import open_database
from telephony_ingest.follower import QueueLogFollower
from telephony_ingest.handlers import QueueLogLines, import_queue_log
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import PostgresRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink

pytestmark = pytest.mark.infra


def pause_line(n: int) -> str:
    """One agent event per line, each with its own id: agent-events counts lines exactly."""
    return f"{1710410000 + n}|NONE|sales|PJSIP/1001|PAUSE|reason-{n}\n"


def append(path: Path, numbers: range) -> None:
    with path.open("a") as log:
        log.writelines(pause_line(n) for n in numbers)


@pytest.fixture
def settings(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
async def parts(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """Sink, lines and repository shared by the followers of a test (one per 'process')."""
    topics = [settings.topic(t) for t in ("call-events", "agent-events", "call-events.dlq")]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    metrics = IngestMetrics(CollectorRegistry())
    sink = KafkaEventSink(settings, metrics)
    database = await open_database(settings)
    await sink.start()
    repository = PostgresRepository(database)
    yield {"lines": QueueLogLines(sink, metrics, line_context(settings)), "repo": repository}
    await sink.stop()
    await database.close()


def follower(path: Path, parts: dict[str, Any]) -> QueueLogFollower:
    return QueueLogFollower(path, parts["lines"], parts["repo"], 0.05)


async def published_reasons(settings: Settings, servers: Servers, expected: int) -> list[str]:
    """Every reason on agent-events up to the last expected one, in order: one agent, one
    partition, so a duplicate or a gap before it shows in the list."""
    last = f"reason-{expected - 1}"
    records = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("agent-events"),
        until=lambda rs: any(json.loads(r.value)["reason"] == last for r in rs),
    )
    return [json.loads(r.value)["reason"] for r in records]


def reasons(numbers: range) -> list[str]:
    return [f"reason-{n}" for n in numbers]


async def test_a_running_follower_publishes_lines_as_asterisk_appends_them(
    settings: Settings, servers: Servers, tmp_path: Path, parts: dict[str, Any]
) -> None:
    path = tmp_path / "queue_log"
    append(path, range(3))
    task = asyncio.create_task(follower(path, parts).run())
    try:
        assert await published_reasons(settings, servers, 3) == reasons(range(3))
        with path.open("a") as log:
            log.write(pause_line(3) + pause_line(4)[:10])  # Asterisk is mid-way through line 4
        assert await published_reasons(settings, servers, 4) == reasons(range(4))
        with path.open("a") as log:
            log.write(pause_line(4)[10:])
        assert await published_reasons(settings, servers, 5) == reasons(range(5))
    finally:
        task.cancel()


async def test_a_rename_rotation_loses_no_line_and_repeats_none(
    settings: Settings, servers: Servers, tmp_path: Path, parts: dict[str, Any]
) -> None:
    path = tmp_path / "queue_log"
    live = follower(path, parts)
    append(path, range(3))
    await live.poll_once()
    append(path, range(3, 5))  # written before the rotation, not yet read

    path.rename(tmp_path / "queue_log.1")
    append(path, range(5, 8))
    read = await live.poll_once()

    assert read == 5
    assert await published_reasons(settings, servers, 8) == reasons(range(8))


async def test_a_copy_truncate_rotation_loses_no_line_and_repeats_none(
    settings: Settings, servers: Servers, tmp_path: Path, parts: dict[str, Any]
) -> None:
    path = tmp_path / "queue_log"
    live = follower(path, parts)
    append(path, range(3))
    await live.poll_once()
    append(path, range(3, 5))

    shutil.copyfile(path, tmp_path / "queue_log.1")
    path.write_text("")
    await live.poll_once()  # the new file has no line yet
    append(path, range(5, 7))
    await live.poll_once()

    assert await published_reasons(settings, servers, 7) == reasons(range(7))


async def test_a_restarted_follower_resumes_after_a_rotation_it_did_not_see(
    settings: Settings, servers: Servers, tmp_path: Path, parts: dict[str, Any]
) -> None:
    path = tmp_path / "queue_log"
    append(path, range(4))
    await follower(path, parts).poll_once()
    # The service stops; Asterisk goes on writing and the log is rotated meanwhile.
    append(path, range(4, 6))
    path.rename(tmp_path / "queue_log.1")
    append(path, range(6, 9))

    restarted = follower(path, parts)  # a new process: only PostgreSQL remembers
    first_pass = await restarted.poll_once()
    second_pass = await restarted.poll_once()

    assert (first_pass, second_pass) == (5, 0)
    assert await published_reasons(settings, servers, 9) == reasons(range(9))


async def test_lines_the_follower_published_are_duplicates_for_an_import_of_the_rotated_file(
    settings: Settings, servers: Servers, tmp_path: Path, parts: dict[str, Any]
) -> None:
    path = tmp_path / "queue_log"
    append(path, range(5))
    await follower(path, parts).poll_once()
    rotated = path.rename(tmp_path / "queue_log.1")
    append(rotated, range(5, 7))  # written before the rotation, never followed

    with rotated.open("rb") as source:
        report = await import_queue_log(source, str(rotated), parts["lines"], parts["repo"])

    assert (report.lines, report.published, report.duplicates) == (7, 2, 5)
    assert await published_reasons(settings, servers, 7) == reasons(range(7))

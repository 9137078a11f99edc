"""Bulk import of queue_log files on the real broker and database: events keyed by call and
agent, bad lines dead-lettered with their position, nothing published twice."""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cc_testing import Servers, headers_of, read_records
from telephony_ingest.app import create_app
from telephony_ingest.bulk import import_queue_log_files
from telephony_ingest.settings import Settings

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
BAD_LINES = {5: "malformed_line", 7: "missing_call_id", 11: "unknown_verb"}
TOKEN = "import-test-token-of-at-least-32-bytes"
BEARER = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEPHONY_INGEST_IMPORT_TOKEN", TOKEN)
    return Settings()


def count_at_least(n: int) -> Callable[[Sequence[object]], bool]:
    return lambda records: len(records) >= n


async def test_a_file_is_published_keyed_by_call_and_agent_with_bad_lines_dead_lettered(
    settings: Settings, servers: Servers, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)

    [report] = await import_queue_log_files([path], settings)

    assert report is not None
    assert (report.lines, report.published, report.ignored) == (12, CALLS + AGENTS, 1)
    bootstrap = servers.kafka_bootstrap_servers
    calls = await read_records(bootstrap, settings.topic("call-events"), until=count_at_least(6))
    agents = await read_records(bootstrap, settings.topic("agent-events"), until=count_at_least(2))
    dead = await read_records(bootstrap, settings.topic("call-events.dlq"), until=count_at_least(3))
    assert sorted(r.key for r in calls) == [b"1710408413.1"] * 4 + [b"1710408600.2"] * 2
    first_call = [json.loads(r.value)["event_type"] for r in calls if r.key == b"1710408413.1"]
    assert first_call == ["call.offered", "call.ring_no_answer", "call.answered", "call.ended"]
    assert sorted(r.key for r in agents) == [b"PJSIP/1001"] * 2
    positions = {
        int(headers_of(r)["x-dlq-line-number"]): headers_of(r)["x-dlq-error-type"] for r in dead
    }
    assert positions == BAD_LINES
    assert all(headers_of(r)["x-dlq-error"] for r in dead)
    assert all(headers_of(r)["x-dlq-file"] == str(path) for r in dead)
    assert dead[0].value in QUEUE_LOG.encode()


async def test_importing_the_same_file_again_publishes_only_lines_added_since(
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

    assert again is not None
    assert renamed is not None
    assert grown_report is not None
    assert (again.lines, again.published) == (0, 0)
    assert (renamed.lines, renamed.published) == (0, 0)
    assert (grown_report.lines, grown_report.published) == (1, 1)
    assert grown_report.progress.line == 13
    agents = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("agent-events"),
        until=lambda rs: any(json.loads(r.value)["event_type"] == "agent.unpaused" for r in rs),
    )
    calls = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events"), until=count_at_least(6)
    )
    assert len(agents) == AGENTS + 1
    assert len(calls) == CALLS


def test_a_file_uploaded_to_the_import_endpoint_is_published_once(
    settings: Settings, servers: Servers
) -> None:
    with TestClient(create_app(settings)) as client:
        upload = {"file": ("queue_log", QUEUE_LOG)}
        first = client.post("/v1/queue-log/imports", files=upload, headers=BEARER)
        second = client.post("/v1/queue-log/imports", files=upload, headers=BEARER)
        metrics = client.get("/metrics").text

    assert first.status_code == 200, first.text
    assert first.json()["published"] == CALLS + AGENTS
    assert first.json()["rejected"] == {
        "malformed_line": 1,
        "missing_call_id": 1,
        "unknown_verb": 1,
    }
    assert (second.json()["lines"], second.json()["already_imported_lines"]) == (0, 12)
    assert (
        'telephony_ingest_events_total{event_type="call.offered",source="queue_log"} 2.0' in metrics
    )
    assert (
        'telephony_ingest_rejected_total{reason="unknown_verb",source="queue_log"} 1.0' in metrics
    )
    assert "telephony_ingest_publish_seconds_count" in metrics


def test_a_server_side_path_outside_the_import_roots_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    allowed = settings.model_copy(update={"import_roots": [tmp_path / "allowed"]})

    with TestClient(create_app(allowed)) as client:
        refused = client.post(
            "/v1/queue-log/imports:server-path", json={"path": str(path)}, headers=BEARER
        )

    assert refused.status_code == 403
    assert "IMPORT_ROOTS" in refused.json()["detail"]

"""One identity per person on the real broker and database, with the static directory: a
queue_log call answered on extension 1127 and the agent's login are published naming the person
whose identity holds 1127 by their sign-in subject (the PBX identity in `pbx_agent`; agent
events keyed by the subject); an agent nobody holds keeps the PBX identity. The webhook's
answer names the person its event will."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cc_testing import Servers, TestIssuer, read_records
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings
from telephony_ingest.signing import sign

pytestmark = pytest.mark.infra

SECRET = "people-test-webhook-secret"
ISSUER = TestIssuer()
GIULIA = "5f0c6a51-giulia-sub"
PEOPLE = [
    {"subject": GIULIA, "username": "giulia", "extension": "1127", "pbx_agent_ids": ["Agent/1127"]}
]
QUEUE_LOG = """\
1710408400|NONE|NONE|Agent/1127|AGENTLOGIN|Local/1127@agents
1710408413|1710408413.1|sales|NONE|ENTERQUEUE||0212345678|1
1710408440|1710408413.1|sales|Local/1127@agents/n|CONNECT|27|1710408435.9|5
1710408560|1710408413.1|sales|Local/1127@agents/n|COMPLETECALLER|27|120|1
1710408600|1710408600.2|sales|NONE|ENTERQUEUE||0212345679|1
1710408610|1710408600.2|sales|PJSIP/2001|CONNECT|10|1710408605.3|2
"""


@pytest.fixture
def settings(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    people = tmp_path / "people.json"
    people.write_text(json.dumps(PEOPLE))
    for name, value in {**service_env, **ISSUER.env()}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEPHONY_INGEST_PEOPLE_FILE", str(people))
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def agents(records: list[Any]) -> list[tuple[str, str | None, str | None, str]]:
    """(event_type, agent, pbx_agent, key) of each record naming an agent."""
    named = []
    for record in records:
        event = json.loads(record.value)
        agent = event.get("agent") or event.get("agent_id")
        if agent is not None:
            named.append((event["event_type"], agent, event.get("pbx_agent"), record.key.decode()))
    return named


async def test_a_call_and_a_login_on_1127_name_the_person_holding_1127(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    imported = client.post(
        "/v1/queue-log/imports",
        files={"file": ("queue_log", QUEUE_LOG)},
        headers=ISSUER.bearer(["admin"]),
    )

    assert imported.status_code == 200, imported.text
    calls = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("call-events"),
        until=lambda r: len(r) >= 5,
    )
    logins = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("agent-events"), until=lambda r: len(r) >= 1
    )
    assert agents(calls) == [
        ("call.answered", GIULIA, "1127", "1710408413.1"),
        ("call.ended", GIULIA, "1127", "1710408413.1"),
        ("call.answered", "2001", None, "1710408600.2"),  # nobody holds 2001
    ]
    assert agents(logins) == [("agent.logged_in", GIULIA, "1127", GIULIA)]
    scraped = client.get("/metrics", headers=ISSUER.bearer(["metrics"])).text
    assert "telephony_ingest_people_agents 1.0" in scraped


async def test_the_webhooks_answer_and_event_name_the_person(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    body = json.dumps(
        {
            "event_id": "people-webhook-1",
            "event_type": "agent.paused",
            "occurred_at": "2026-11-23T09:30:00Z",
            "source": "pbx-webhook",
            "agent_id": "PJSIP/1127",
            "reason": "lunch",
        }
    ).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-timestamp": str(timestamp),
        "x-signature": sign(SECRET, timestamp, body),
    }

    answer = client.post("/v1/agent-events", content=body, headers=headers)

    assert answer.status_code == 202, answer.text
    assert answer.json()["agent_id"] == GIULIA
    records = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("agent-events"), until=lambda r: len(r) >= 1
    )
    assert agents(records) == [("agent.paused", GIULIA, "1127", GIULIA)]

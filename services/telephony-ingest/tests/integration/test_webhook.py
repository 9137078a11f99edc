"""The signed PBX webhook on the real broker and database: single events and batches
published keyed by their aggregate, unsigned, stale, replayed and malformed requests refused."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cc_testing import Servers, read_records
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings
from telephony_ingest.signing import sign

pytestmark = pytest.mark.infra

SECRET = "webhook-test-secret"


def offered(call_id: str) -> dict[str, Any]:
    return {
        "event_id": f"pbx-{call_id}-offered",
        "event_type": "call.offered",
        "occurred_at": "2026-11-23T09:30:00Z",
        "source": "pbx-webhook",
        "call_id": call_id,
        "queue": "sales",
        "caller": {"number_raw": "+39 02 1234 5678", "e164": "+390212345678"},
    }


def paused(agent_id: str) -> dict[str, Any]:
    return {
        "event_id": f"pbx-{agent_id}-paused",
        "event_type": "agent.paused",
        "occurred_at": "2026-11-23T09:31:00Z",
        "source": "pbx-webhook",
        "agent_id": agent_id,
        "reason": "lunch",
    }


def signed(payload: object, *, at: int | None = None, secret: str = SECRET) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if at is None else at
    headers = {
        "content-type": "application/json",
        "x-timestamp": str(timestamp),
        "x-signature": sign(secret, timestamp, body),
    }
    return {"content": body, "headers": headers}


@pytest.fixture
def settings(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", SECRET)
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


async def test_a_signed_call_event_is_published_keyed_by_its_call(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    response = client.post("/v1/call-events", **signed(offered("1700000000.1")))

    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": "pbx-1700000000.1-offered", "call_id": "1700000000.1"}
    records = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events"), until=lambda r: len(r) >= 1
    )
    assert [r.key for r in records] == [b"1700000000.1"]
    assert json.loads(records[0].value)["caller"]["e164"] == "+390212345678"


async def test_a_signed_batch_is_published_to_call_and_agent_events(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    batch = {"events": [offered("1700000000.2"), paused("PJSIP/1001"), offered("1700000000.3")]}

    response = client.post("/v1/events:batch", **signed(batch))

    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 3
    bootstrap = servers.kafka_bootstrap_servers
    calls = await read_records(
        bootstrap, settings.topic("call-events"), until=lambda r: len(r) >= 2
    )
    agents = await read_records(
        bootstrap, settings.topic("agent-events"), until=lambda r: len(r) >= 1
    )
    assert sorted(r.key for r in calls) == [b"1700000000.2", b"1700000000.3"]
    assert [r.key for r in agents] == [b"PJSIP/1001"]


def test_a_replayed_request_is_refused_and_a_re_signed_retry_accepted(client: TestClient) -> None:
    request = signed(offered("1700000000.4"))

    first = client.post("/v1/call-events", **request)
    replay = client.post("/v1/call-events", **request)
    retry = client.post(
        "/v1/call-events", **signed(offered("1700000000.4"), at=int(time.time()) + 1)
    )

    assert first.status_code == 202
    assert (replay.status_code, replay.json()["detail"]) == (409, "request_replayed")
    assert retry.status_code == 202


@pytest.mark.parametrize(
    ("make_request", "status", "detail", "counted_as"),
    [
        (lambda: {"json": offered("1.1")}, 401, "signature_missing", "signature_missing"),
        (
            lambda: signed(offered("1.1"), at=int(time.time()) - 600),
            401,
            "timestamp_stale",
            "timestamp_stale",
        ),
        (
            lambda: signed(offered("1.1"), secret="guessed"),
            401,
            "signature_mismatch",
            "signature_mismatch",
        ),
        (
            lambda: signed({**offered("1.1"), "occurred_at": "yesterday"}),
            422,
            "occurred_at",
            "invalid_body",
        ),
        (
            lambda: signed({**offered("1.1"), "event_type": "call.teleported"}),
            422,
            "event_type",
            "invalid_body",
        ),
    ],
)
def test_unsigned_stale_forged_or_malformed_requests_are_refused_with_the_reason(
    client: TestClient, make_request: Any, status: int, detail: str, counted_as: str
) -> None:
    response = client.post("/v1/call-events", **make_request())

    assert response.status_code == status
    assert detail in response.text
    metrics = client.get("/metrics").text
    assert (
        f'telephony_ingest_rejected_total{{reason="{counted_as}",source="webhook"}} 1.0' in metrics
    )


def test_the_openapi_page_documents_the_signature_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    operation = spec["paths"]["/v1/events:batch"]["post"]
    assert "X-Signature" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"x-signature", "x-timestamp"}
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert examples["a call"]["value"]["events"][0]["event_type"] == "call.offered"

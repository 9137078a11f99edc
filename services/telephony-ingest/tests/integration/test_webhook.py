"""The signed PBX webhook on the real broker and database: single events and batches
published keyed by their aggregate, unsigned, stale, replayed and malformed requests refused."""

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cc_testing import Servers, read_records
from telephony_ingest.app import create_app
from telephony_ingest.bulk import open_database
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


def answered(call_id: str, agent: str) -> dict[str, Any]:
    return {
        "event_id": f"pbx-{call_id}-answered",
        "event_type": "call.answered",
        "occurred_at": "2026-11-23T09:30:27Z",
        "source": "pbx-webhook",
        "call_id": call_id,
        "queue": "sales",
        "agent": agent,
        "wait_seconds": 27,
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


LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    # From 127.0.0.1, where /metrics is open (as to the Prometheus beside the service).
    with TestClient(create_app(settings), client=LOOPBACK) as client:
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
    assert [r.key for r in agents] == [b"1001"]  # the agent's identity, as queue_log keys it


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


def rewritten_signatures(signature: str) -> list[str]:
    digest = signature.removeprefix("sha256=")
    return [digest, "SHA256=" + digest.upper(), f"{signature} ", "sha256=" + digest.upper()]


async def test_a_replay_is_refused_however_its_signature_header_is_written(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    request = signed(offered("1700000000.5"))
    first = client.post("/v1/call-events", **request)

    replays = [
        client.post(
            "/v1/call-events", content=request["content"], headers={**request["headers"], **h}
        )
        for h in (
            {"x-signature": s} for s in rewritten_signatures(request["headers"]["x-signature"])
        )
    ]

    assert first.status_code == 202, first.text
    assert [(r.status_code, r.json()["detail"]) for r in replays] == [(409, "request_replayed")] * 4
    records = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events"), until=lambda r: len(r) >= 1
    )
    assert len(records) == 1


def with_number(event: dict[str, Any], field: str, value: str) -> bytes:
    """The event's JSON with `field` (a number field) set to a bare token such as NaN."""
    text = json.dumps({**event, field: 1})
    return text.replace(f'"{field}": 1', f'"{field}": {value}').encode()


def signed_bytes(body: bytes) -> dict[str, Any]:
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-timestamp": str(timestamp),
        "x-signature": sign(SECRET, timestamp, body),
    }
    return {"content": body, "headers": headers}


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("field", ["position", "schema_version", "queue", "unknown_field"])
def test_a_signed_body_with_a_non_finite_number_is_refused_with_422_and_the_reason(
    client: TestClient, token: str, field: str
) -> None:
    body = with_number(offered("1700000000.6"), field, token)

    response = client.post("/v1/call-events", **signed_bytes(body))

    assert response.status_code == 422, response.text
    assert "is not a JSON number" in response.text or "out of range" in response.text


def test_a_signed_batch_with_nan_in_a_duration_is_refused_with_422(client: TestClient) -> None:
    body = with_number(answered("1700000000.7", "1001"), "wait_seconds", "NaN")
    batch = b'{"events": [' + body + b"]}"

    response = client.post("/v1/events:batch", **signed_bytes(batch))

    assert response.status_code == 422, response.text
    assert "NaN is not a JSON number" in response.text


def padded_to(event: dict[str, Any], size: int) -> bytes:
    """The event's JSON padded to exactly `size` bytes in its caller's name, which is published."""
    caller = event["caller"]
    bare = json.dumps({**event, "caller": {**caller, "name": ""}}).encode()
    name = "x" * (size - len(bare))
    return json.dumps({**event, "caller": {**caller, "name": name}}).encode()


async def test_a_body_at_the_limit_is_published_and_one_byte_more_is_refused_with_413(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    limit = settings.webhook_max_body_bytes
    at_limit = padded_to(offered("1700000000.8"), limit)
    over = padded_to(offered("1700000000.9"), limit + 1)

    accepted = client.post("/v1/call-events", **signed_bytes(at_limit))
    refused = client.post("/v1/call-events", **signed_bytes(over))

    assert (accepted.status_code, refused.status_code) == (202, 413), accepted.text[:300]
    records = await read_records(
        servers.kafka_bootstrap_servers, settings.topic("call-events"), until=lambda r: len(r) >= 1
    )
    assert [r.key for r in records] == [b"1700000000.8"]
    assert len(records[0].value) > limit - 1024


def test_a_ten_megabyte_body_is_refused_with_413_before_it_is_read(client: TestClient) -> None:
    body = padded_to(offered("1700000000.10"), 10 * 1024 * 1024)

    response = client.post("/v1/call-events", **signed_bytes(body))

    assert response.status_code == 413, response.text[:300]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from([math.nan, math.inf, -math.inf, 1e308])
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["event_id", "occurred_at", "schema_version", "call_id", "queue", "caller", "position"]


@st.composite
def odd_bodies(draw: st.DrawFn) -> bytes:
    """An offered call with one field set to any JSON value (NaN and Infinity included), or
    bytes that are no JSON at all."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=200))
    event = {**offered("1700000001.1"), draw(st.sampled_from(FIELDS)): draw(JSON_VALUES)}
    return json.dumps(event, allow_nan=True).encode()


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(odd_bodies())
def test_no_signed_body_makes_the_webhook_answer_5xx(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/call-events", **signed_bytes(body))

    assert response.status_code in (202, 400, 409, 422), response.text[:300]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"queue": "s\x00les"}, "queue"),
        ({"call_id": "1700000002.1\x1b[2J"}, "call_id"),
        ({"event_id": "pbx-\x85-offered"}, "event_id"),
    ],
)
def test_a_control_character_in_an_identifier_is_refused_with_422_naming_the_field(
    client: TestClient, change: dict[str, str], field: str
) -> None:
    response = client.post("/v1/call-events", **signed({**offered("1700000002.1"), **change}))

    assert response.status_code == 422, response.text
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]


def caller_offered(call_id: str, caller: dict[str, Any]) -> dict[str, Any]:
    return {**offered(call_id), "event_id": f"pbx-{call_id}-offered", "caller": caller}


async def test_webhook_numbers_and_agents_are_published_as_queue_log_and_ami_would_publish_them(
    client: TestClient, settings: Settings, servers: Servers
) -> None:
    batch = {
        "events": [
            caller_offered("1700000003.1", {"number_raw": "+39 02 1234 5678"}),
            caller_offered("1700000003.2", {"number_raw": "anonymous", "e164": "+390212345678"}),
            caller_offered("1700000003.3", {"number_raw": "0212345678", "e164": "+4930123456"}),
            answered("1700000003.1", "Local/1127@callback-agent"),
            paused("Agent/1127"),
        ]
    }

    response = client.post("/v1/events:batch", **signed(batch))

    assert response.status_code == 202, response.text
    bootstrap = servers.kafka_bootstrap_servers
    calls = await read_records(
        bootstrap, settings.topic("call-events"), until=lambda r: len(r) >= 4
    )
    agents = await read_records(
        bootstrap, settings.topic("agent-events"), until=lambda r: len(r) >= 1
    )
    published = {json.loads(r.value)["event_id"]: json.loads(r.value) for r in calls}
    callers = {
        event_id: (e["caller"]["e164"], e["caller"]["withheld"], e["caller"]["invalid"])
        for event_id, e in published.items()
        if "caller" in e
    }
    assert callers == {
        "pbx-1700000003.1-offered": ("+390212345678", False, False),
        "pbx-1700000003.2-offered": (None, True, False),
        "pbx-1700000003.3-offered": ("+390212345678", False, False),
    }
    agent_call = published["pbx-1700000003.1-answered"]
    assert (agent_call["agent"], agent_call["interface"]) == ("1127", "Local/1127@callback-agent")
    [agent_event] = [json.loads(r.value) for r in agents]
    assert ([r.key for r in agents], agent_event["agent_id"], agent_event["interface"]) == (
        [b"1127"],
        "1127",
        "Agent/1127",
    )


def test_an_agent_event_answers_with_the_identity_it_was_published_under(
    client: TestClient,
) -> None:
    response = client.post("/v1/agent-events", **signed(paused("PJSIP/1002-0000002a")))

    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": "pbx-PJSIP/1002-0000002a-paused", "agent_id": "1002"}


def test_an_agent_name_that_maps_to_no_identity_is_refused_with_422(client: TestClient) -> None:
    response = client.post("/v1/agent-events", **signed(paused("  ")))

    assert response.status_code == 422, response.text
    assert "agent_id" in response.text


def test_a_body_streamed_without_content_length_is_cut_off_at_the_limit_with_413(
    client: TestClient, settings: Settings
) -> None:
    body = padded_to(offered("1700000004.1"), settings.webhook_max_body_bytes + 1)
    headers = signed_bytes(body)["headers"]

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = client.post("/v1/call-events", content=chunks(), headers=headers)

    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text[:300]


async def test_each_signed_request_is_audited_once_as_the_pbxs_when_its_signature_is_accepted(
    client: TestClient, settings: Settings
) -> None:
    accepted = signed(offered("1700000000.9"))
    invalid = signed({"event_type": "call.offered"})

    statuses = [
        client.post("/v1/call-events", **accepted).status_code,
        client.post("/v1/call-events", **accepted).status_code,  # a replay
        client.post("/v1/agent-events", **invalid).status_code,
        client.post(
            "/v1/call-events", **signed(offered("1700000000.8"), secret="guessed")
        ).status_code,
    ]

    assert statuses == [202, 409, 422, 401]
    database = await open_database(settings)
    try:
        async with database.connection() as connection:
            rows = await connection.fetch(
                "SELECT subject, roles, client_id, credential, action FROM audit ORDER BY id"
            )
    finally:
        await database.close()
    assert [tuple(r) for r in rows] == [
        ("pbx", [], None, "pbx-hmac", "POST /v1/call-events"),
        ("pbx", [], None, "pbx-hmac", "POST /v1/agent-events"),  # refused after: 422
    ]

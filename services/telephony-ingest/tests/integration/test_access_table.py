"""Every route of telephony-ingest answers as its access table says (the route walk, on the
real servers): the imports take an administrator's token, the webhook the PBX's signature."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, Kind, RouteKey, operations_access
from cc_testing import TestIssuer, walk_routes
from telephony_ingest.access import ACCESS
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings
from telephony_ingest.signing import sign

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SECRET = "route-walk-webhook-secret"
OFFERED = {
    "event_id": "walk-offered-1",
    "event_type": "call.offered",
    "occurred_at": "2024-03-14T09:26:53Z",
    "source": "pbx-webhook",
    "call_id": "1710408413.1",
    "queue": "sales",
    "caller": {"number_raw": "0212345678"},
}
PAUSED = {
    "event_id": "walk-paused-1",
    "event_type": "agent.paused",
    "occurred_at": "2024-03-14T09:53:20Z",
    "source": "pbx-webhook",
    "agent_id": "PJSIP/1002",
    "reason": "lunch",
}
BODIES: dict[str, Any] = {
    "/v1/call-events": OFFERED,
    "/v1/agent-events": PAUSED,
    "/v1/events:batch": {"events": [OFFERED, PAUSED]},
}


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env(), webhook_secret=SECRET)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def pbx_signed(key: RouteKey, path: str) -> dict[str, Any]:
    """The webhook request the PBX middleware sends: its body signed with the shared secret."""
    body = json.dumps(BODIES[path]).encode()
    timestamp = int(time.time())
    return {
        "content": body,
        "headers": {
            "content-type": "application/json",
            "x-timestamp": str(timestamp),
            "x-signature": sign(SECRET, timestamp, body),
        },
    }


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    calls = walk_routes(client, table, ISSUER, {Kind.PBX_HMAC: pbx_signed})

    assert {str(c.key) for c in calls} >= {*ACCESS, "GET /healthz", "GET /metrics"}
    assert [(str(c.key), c.status) for c in calls if c.credentials == "pbx-hmac"] == [
        ("POST /v1/call-events", 202),
        ("POST /v1/agent-events", 202),
        ("POST /v1/events:batch", 202),
    ]

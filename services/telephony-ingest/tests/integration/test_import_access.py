"""The queue_log import endpoints on the real broker and database: nothing is imported without
the import token or a webhook-style signature of the raw body, nor from a web page (a form post
needs no CORS preflight), and a signed import cannot be replayed."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cc_testing import Servers, read_records
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings
from telephony_ingest.signing import sign

pytestmark = pytest.mark.infra

SECRET = "import-test-webhook-secret"
TOKEN = "import-test-token-of-at-least-32-bytes"
UPLOAD = "/v1/queue-log/imports"
SERVER_PATH = "/v1/queue-log/imports:server-path"
QUEUE_LOG = """\
1710408413|1710408413.1|sales|NONE|ENTERQUEUE||0212345678|1
1710408440|1710408413.1|sales|PJSIP/1001|CONNECT|27|1710408435.9|5
1710408560|1710408413.1|sales|PJSIP/1001|COMPLETECALLER|27|120|1
"""
EVENTS = 3


@pytest.fixture
def settings(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEPHONY_INGEST_IMPORT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEPHONY_INGEST_IMPORT_ROOTS", json.dumps([str(tmp_path)]))
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    return path


def upload(client: TestClient, headers: dict[str, str], text: str = QUEUE_LOG) -> httpx.Response:
    return client.post(UPLOAD, files={"file": ("queue_log", text)}, headers=headers)


def signed_send(client: TestClient, request: httpx.Request, secret: str = SECRET) -> httpx.Response:
    """Send the request signed as the webhook's are: HMAC of `<timestamp>.<raw body>`."""
    timestamp = int(time.time())
    request.headers["x-timestamp"] = str(timestamp)
    request.headers["x-signature"] = sign(secret, timestamp, request.read())
    return client.send(request)


BEARER = {"authorization": f"Bearer {TOKEN}"}


async def test_an_upload_with_the_import_token_is_published_and_without_it_refused_with_401(
    client: TestClient, settings: Settings, servers: Servers, path: Path
) -> None:
    refusals = [
        upload(client, {}),
        upload(client, {"authorization": "Bearer wrong-token-of-the-same-sort-of-length!"}),
        upload(client, {"authorization": f"Basic {TOKEN}"}),
        upload(client, {"authorization": "Bearer "}),
        client.post(SERVER_PATH, json={"path": str(path)}),
    ]
    accepted = upload(client, BEARER)

    assert [r.status_code for r in refusals] == [401] * 5
    assert [r.json()["detail"] for r in refusals] == [
        "signature_missing",
        "token_invalid",
        "token_invalid",
        "token_invalid",
        "signature_missing",
    ]
    assert refusals[0].headers["www-authenticate"] == "Bearer"
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"] == EVENTS
    records = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("call-events"),
        until=lambda r: len(r) >= EVENTS,
    )
    assert len(records) == EVENTS  # the refused uploads published nothing
    metrics = client.get("/metrics").text
    assert (
        'telephony_ingest_rejected_total{reason="token_invalid",source="queue_log"} 3.0' in metrics
    )


def test_a_server_path_import_with_the_token_is_accepted(client: TestClient, path: Path) -> None:
    response = client.post(SERVER_PATH, json={"path": str(path)}, headers=BEARER)

    assert response.status_code == 200, response.text
    assert response.json()["published"] == EVENTS


def test_an_upload_signed_like_the_webhook_is_accepted_once_and_its_replay_refused(
    client: TestClient,
) -> None:
    request = client.build_request("POST", UPLOAD, files={"file": ("queue_log", QUEUE_LOG)})

    first = signed_send(client, request)
    replay = client.send(request)
    forged = signed_send(
        client,
        client.build_request("POST", UPLOAD, files={"file": ("queue_log", QUEUE_LOG)}),
        secret="guessed",
    )

    assert first.status_code == 200, first.text
    assert first.json()["published"] == EVENTS
    assert (replay.status_code, replay.json()["detail"]) == (409, "request_replayed")
    assert (forged.status_code, forged.json()["detail"]) == (401, "signature_mismatch")


def test_a_server_path_import_signed_like_the_webhook_is_accepted(
    client: TestClient, path: Path
) -> None:
    request = client.build_request("POST", SERVER_PATH, json={"path": str(path)})

    response = signed_send(client, request)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "browser",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_a_request_from_a_web_page_is_refused_with_403_even_with_the_token(
    client: TestClient, path: Path, browser: dict[str, str]
) -> None:
    responses = [
        upload(client, {**BEARER, **browser}),
        upload(client, browser),
        client.post(SERVER_PATH, json={"path": str(path)}, headers={**BEARER, **browser}),
    ]

    assert [r.status_code for r in responses] == [403] * 3
    assert all(r.json()["detail"].startswith("browser_request_refused: ") for r in responses)


@pytest.mark.parametrize("site", ["none", "same-origin"])
def test_a_request_a_person_typed_or_of_our_own_origin_is_not_taken_for_a_web_page(
    client: TestClient, site: str
) -> None:
    response = upload(client, {**BEARER, "sec-fetch-site": site})

    assert response.status_code == 200, response.text


def test_without_a_configured_token_a_bearer_is_refused_and_a_signature_accepted(
    settings: Settings, path: Path
) -> None:
    development = settings.model_copy(update={"import_token": None})

    with TestClient(create_app(development)) as client:
        bearer = client.post(SERVER_PATH, json={"path": str(path)}, headers=BEARER)
        request = client.build_request("POST", SERVER_PATH, json={"path": str(path)})
        signed = signed_send(client, request)

    assert (bearer.status_code, bearer.json()["detail"]) == (
        401,
        "token_invalid: no TELEPHONY_INGEST_IMPORT_TOKEN is set",
    )
    assert signed.status_code == 200, signed.text


def test_the_openapi_page_says_who_may_import(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][UPLOAD]["post"]

    assert "TELEPHONY_INGEST_IMPORT_TOKEN" in operation["description"]
    assert "`admin` role" in operation["description"]
    assert {"401", "403", "409"} <= set(operation["responses"])
    assert operation["security"] == [{"HTTPBearer": []}]


AUTHORIZATIONS = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s: f"Bearer {s}", st.text(max_size=60)),
    # HTTP trims blanks around a header's value; anything else after the token is another token.
    st.builds(lambda s: f"bearer {TOKEN}{s}", st.text(min_size=1, max_size=5).filter(str.strip)),
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(authorization=AUTHORIZATIONS)
def test_no_authorization_header_but_the_token_opens_the_door(
    client: TestClient, path: Path, authorization: str
) -> None:
    headers: dict[str, Any] = {"authorization": authorization.encode("utf-8")}

    response = client.post(SERVER_PATH, json={"path": str(path)}, headers=headers)

    assert response.status_code == 401, response.text

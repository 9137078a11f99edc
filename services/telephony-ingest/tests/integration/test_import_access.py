"""The queue_log import endpoints on the real broker and database: an administrator's bearer
token imports (checked before the body is read), nothing else does: no token, another role, or
the webhook's signature; each import is audited with who asked, and its events name them as
their actor."""

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

from cc_testing import Servers, TestIssuer, read_records
from telephony_ingest.app import create_app
from telephony_ingest.bulk import open_database
from telephony_ingest.settings import Settings
from telephony_ingest.signing import sign

pytestmark = pytest.mark.infra

SECRET = "import-test-webhook-secret"
UPLOAD = "/v1/queue-log/imports"
SERVER_PATH = "/v1/queue-log/imports:server-path"
QUEUE_LOG = """\
1710408413|1710408413.1|sales|NONE|ENTERQUEUE||0212345678|1
1710408440|1710408413.1|sales|PJSIP/1001|CONNECT|27|1710408435.9|5
1710408560|1710408413.1|sales|PJSIP/1001|COMPLETECALLER|27|120|1
"""
EVENTS = 3
ISSUER = TestIssuer()
ADMIN_SUBJECT = "a1f3c2d4-admin-of-the-test"


@pytest.fixture
def settings(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    for name, value in {**service_env, **ISSUER.env()}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", SECRET)
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


def admin() -> dict[str, str]:
    return ISSUER.bearer(["admin"], subject=ADMIN_SUBJECT, azp="cc-dev-client")


def upload(client: TestClient, headers: dict[str, str], text: str = QUEUE_LOG) -> httpx.Response:
    return client.post(UPLOAD, files={"file": ("queue_log", text)}, headers=headers)


def signed_send(client: TestClient, request: httpx.Request) -> httpx.Response:
    """The request signed as the webhook's are: HMAC of `<timestamp>.<raw body>`."""
    timestamp = int(time.time())
    request.headers["x-timestamp"] = str(timestamp)
    request.headers["x-signature"] = sign(SECRET, timestamp, request.read())
    return client.send(request)


async def test_an_administrators_upload_is_published_and_anyone_elses_refused(
    client: TestClient, settings: Settings, servers: Servers, path: Path
) -> None:
    refusals = [
        upload(client, {}),
        upload(client, ISSUER.bearer(["supervisor"])),
        upload(client, {"authorization": "Bearer not-a-token"}),
        signed_send(client, client.build_request("POST", UPLOAD, files={"file": ("q", QUEUE_LOG)})),
        client.post(SERVER_PATH, json={"path": str(path)}, headers=ISSUER.bearer(["operator"])),
    ]
    accepted = upload(client, admin())

    assert [(r.status_code, r.json()["reason"]) for r in refusals] == [
        (401, "missing_token"),
        (403, "insufficient_role"),
        (401, "malformed_token"),
        (401, "missing_token"),  # the webhook's signature is not the imports' credential
        (403, "insufficient_role"),
    ]
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"] == EVENTS
    records = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("call-events"),
        until=lambda r: len(r) >= EVENTS,
    )
    assert len(records) == EVENTS  # the refused uploads published nothing


async def test_a_page_of_another_origin_can_neither_post_a_form_nor_script_an_import(
    settings: Settings, servers: Servers
) -> None:
    """A multipart form needs no CORS preflight, so it is refused for what it cannot carry
    (an Authorization header); a script that would set one is granted no preflight: only the
    configured origin (the console's) is."""
    console = settings.model_copy(update={"cors_origins": "http://127.0.0.1:8010"})
    page = {"origin": "https://shop.example.net", "sec-fetch-site": "cross-site"}
    asks = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
    }
    with TestClient(create_app(console)) as client:
        form = upload(client, page)
        preflight = client.options(UPLOAD, headers={**page, **asks})
        own = client.options(UPLOAD, headers={"origin": "http://127.0.0.1:8010", **asks})
        accepted = upload(client, admin())

    assert (form.status_code, form.json()["reason"]) == (401, "missing_token")
    assert "access-control-allow-origin" not in preflight.headers
    assert own.headers["access-control-allow-origin"] == "http://127.0.0.1:8010"
    assert accepted.status_code == 200, accepted.text
    records = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("call-events"),
        until=lambda r: len(r) >= EVENTS,
    )
    assert len(records) == EVENTS  # the administrator's upload alone


async def test_an_import_is_audited_with_who_asked_and_its_events_name_them_as_actor(
    client: TestClient, settings: Settings, servers: Servers, path: Path
) -> None:
    before = time.time()
    uploaded = upload(client, admin())
    from_path = client.post(SERVER_PATH, json={"path": str(path)}, headers=admin())

    assert (uploaded.status_code, from_path.status_code) == (200, 200), uploaded.text
    database = await open_database(settings)
    try:
        async with database.connection() as connection:
            rows = await connection.fetch(
                "SELECT at, subject, roles, client_id, credential, action, target FROM audit"
                " ORDER BY id"
            )
    finally:
        await database.close()
    assert [tuple(r)[1:] for r in rows] == [
        (ADMIN_SUBJECT, ["admin"], "cc-dev-client", "bearer", f"POST {UPLOAD}", "queue_log"),
        (ADMIN_SUBJECT, ["admin"], "cc-dev-client", "bearer", f"POST {SERVER_PATH}", str(path)),
    ]
    assert all(before - 1 <= r["at"].timestamp() <= time.time() for r in rows)
    records = await read_records(
        servers.kafka_bootstrap_servers,
        settings.topic("call-events"),
        until=lambda r: len(r) >= EVENTS,
    )
    actors = [json.loads(r.value)["actor"] for r in records]
    assert actors == [{"subject": ADMIN_SUBJECT, "role": "admin"}] * EVENTS


def test_a_server_path_import_by_an_administrator_is_accepted(
    client: TestClient, path: Path
) -> None:
    response = client.post(SERVER_PATH, json={"path": str(path)}, headers=admin())

    assert response.status_code == 200, response.text
    assert response.json()["published"] == EVENTS


def test_the_openapi_page_says_only_administrators_may_import(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for route in (UPLOAD, SERVER_PATH):
        operation = paths[route]["post"]
        assert operation["x-access"] == {"kind": "bearer", "roles": ["admin"]}
        assert operation["security"] == [{"oidc": ["admin"]}, {"bearer": ["admin"]}]
        assert "`admin` role" in operation["description"]
        assert {"401", "403"} <= set(operation["responses"])


AUTHORIZATIONS = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s: f"Bearer {s}", st.text(max_size=60)),
    st.builds(lambda s: f"Basic {s}", st.text(max_size=60)),
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(authorization=AUTHORIZATIONS)
def test_no_authorization_header_but_an_administrators_token_opens_the_import(
    client: TestClient, path: Path, authorization: str
) -> None:
    headers: dict[str, Any] = {"authorization": authorization.encode("utf-8")}

    response = client.post(SERVER_PATH, json={"path": str(path)}, headers=headers)

    assert response.status_code == 401, response.text

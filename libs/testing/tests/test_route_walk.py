"""The route walk passes on a service whose routes answer as its access table says, and fails
on a guard that lets anyone in, on a route without a decision and on a stale decision. The app
runs on the real servers (its /readyz must answer 200)."""

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi import APIRouter, Header, HTTPException, WebSocket
from pydantic_settings import SettingsConfigDict
from starlette.testclient import TestClient

from cc_runtime import PBX_HMAC, PUBLIC, CurrentPrincipal, ServiceSettings, ServiceSpec, requires
from cc_runtime.access import Access, AccessTable, Kind, RouteKey, operations_access
from cc_runtime.service import connect, create_http_app
from cc_testing import TestIssuer, walk_routes

ISSUER = TestIssuer()
ACCESS = {
    "GET /v1/reports/calls": requires("supervisor"),
    "GET /v1/me": requires(),
    "POST /v1/pbx-events": PBX_HMAC,
    "GET /v1/faq": PUBLIC,
    "WEBSOCKET /v1/chats/{chat_id}/socket": requires("operator"),
}
SIGNED = {Kind.PBX_HMAC: lambda key, path: {"headers": {"X-Signature": "signed"}}}


class DeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")
    service_name: ClassVar[str] = "desk"


def desk_router(guarded: bool) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/reports/calls")
    async def calls(caller: CurrentPrincipal) -> dict[str, str]:
        return {"subject": caller.subject}

    @router.get("/me")
    async def me(caller: CurrentPrincipal) -> dict[str, str]:
        return {"subject": caller.subject}

    @router.post("/pbx-events")
    async def pbx(x_signature: str | None = Header(None)) -> dict[str, str]:
        if guarded and x_signature != "signed":  # the route's own guard, as a Door
            raise HTTPException(401, "signature_mismatch")
        return {"status": "accepted"}

    @router.get("/faq")
    async def faq() -> list[str]:
        return []

    @router.websocket("/chats/{chat_id}/socket")
    async def socket(websocket: WebSocket, chat_id: str) -> None:
        await websocket.accept()
        await websocket.close()

    return router


def running_desk(
    env: dict[str, str], guarded: bool = True, access: dict[str, Access] = ACCESS
) -> Iterator[TestClient]:
    settings = DeskSettings(**{**env, **ISSUER.env()})
    spec = ServiceSpec("Desk", "a service of the tests", routers=[desk_router(guarded)])
    spec.access = access
    with TestClient(create_http_app(connect(settings), spec)) as client:
        yield client


@pytest.fixture
def desk(service_env: dict[str, str]) -> Iterator[TestClient]:
    yield from running_desk(service_env)


def table(rules: dict[str, Access]) -> AccessTable:
    return operations_access("loopback") | AccessTable(rules)


def test_the_walk_passes_on_a_service_that_keeps_its_table(desk: TestClient) -> None:
    calls = walk_routes(desk, table(ACCESS), ISSUER, SIGNED)

    walked = {str(call.key) for call in calls}
    answers = {(str(c.key), c.credentials, c.status) for c in calls}
    assert walked >= {*ACCESS, "GET /metrics", "GET /healthz", "GET /readyz", "GET /docs"}
    assert ("GET /v1/reports/calls", "role operator", 403) in answers
    assert ("GET /v1/reports/calls", "role supervisor", 200) in answers
    assert ("POST /v1/pbx-events", "role admin", 401) in answers
    assert ("GET /readyz", "none", 200) in answers
    assert any(c.status == "closed 1008 401 missing_token" for c in calls)


def test_the_walk_fails_on_a_guard_that_lets_anyone_in(service_env: dict[str, str]) -> None:
    for client in running_desk(service_env, guarded=False):
        with pytest.raises(AssertionError, match="POST /v1/pbx-events: expected 401"):
            walk_routes(client, table(ACCESS), ISSUER, SIGNED)


def test_the_walk_fails_on_a_route_missing_from_the_table(desk: TestClient) -> None:
    smaller = {k: v for k, v in ACCESS.items() if k != "GET /v1/me"}

    with pytest.raises(AssertionError, match="without an access decision"):
        walk_routes(desk, table(smaller), ISSUER, SIGNED)


def test_the_walk_fails_on_a_decision_about_a_route_the_app_lacks(desk: TestClient) -> None:
    larger: dict[str, Any] = {**ACCESS, "DELETE /v1/faq": requires("admin")}

    with pytest.raises(AssertionError, match="routes the app lacks"):
        walk_routes(desk, table(larger), ISSUER, SIGNED)


def test_the_walk_fails_when_a_role_is_let_in_that_the_table_refuses(
    service_env: dict[str, str],
) -> None:
    looser = {**ACCESS, "GET /v1/reports/calls": requires("operator")}
    for client in running_desk(service_env, access=looser):
        with pytest.raises(AssertionError, match="expected 403"):
            walk_routes(client, table(ACCESS), ISSUER, SIGNED)


def test_a_route_key_reads_as_the_table_writes_it() -> None:
    assert str(RouteKey("WEBSOCKET", "/v1/chats/{chat_id}/socket")) == (
        "WEBSOCKET /v1/chats/{chat_id}/socket"
    )

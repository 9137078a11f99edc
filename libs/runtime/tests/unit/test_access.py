"""The access table guards every HTTP route and socket of a service: 401 without a token that
proves who calls, 403 without the role, the caller handed to the route, the decisions shown in
the OpenAPI document; a route without a decision is refused, and so is a test key in production."""

from typing import Any, ClassVar

import pytest
from fastapi import APIRouter, FastAPI, Header, HTTPException, WebSocket
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cc_runtime import (
    PBX_HMAC,
    PUBLIC,
    CurrentPrincipal,
    ServiceSettings,
    ServiceSpec,
    connect,
    create_http_app,
    requires,
)
from cc_testing import TestIssuer

ISSUER = TestIssuer()
ACCESS = {
    "GET /v1/reports/calls": requires("supervisor"),
    "GET /v1/me": requires(),
    "POST /v1/pbx-events": PBX_HMAC,
    "GET /v1/faq": PUBLIC,
    "WEBSOCKET /v1/chats/{chat_id}/socket": requires("operator"),
}


class DeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")
    service_name: ClassVar[str] = "desk"


def desk_router(accepted_signature: str = "signed") -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/reports/calls")
    async def calls(caller: CurrentPrincipal) -> dict[str, Any]:
        return {"subject": caller.subject, "roles": sorted(caller.roles)}

    @router.get("/me")
    async def me(caller: CurrentPrincipal) -> dict[str, Any]:
        return {"subject": caller.subject}

    @router.post("/pbx-events")
    async def pbx(x_signature: str | None = Header(None)) -> dict[str, str]:
        if x_signature != accepted_signature:  # the route's own guard, as telephony-ingest's Door
            raise HTTPException(401, "signature_mismatch")
        return {"status": "accepted"}

    @router.get("/faq")
    async def faq() -> list[str]:
        return []

    @router.websocket("/chats/{chat_id}/socket")
    async def socket(websocket: WebSocket, chat_id: str) -> None:
        await websocket.accept()
        await websocket.send_json({"chat": chat_id, "operator": websocket.state.principal.subject})
        await websocket.close()

    return router


def desk_app(
    access: dict[str, Any] | None = None, router: APIRouter | None = None, **settings: Any
) -> FastAPI:
    values = {**ISSUER.env(), **settings}
    spec = ServiceSpec(
        title="Desk",
        description="A service of the tests",
        routers=[router or desk_router()],
        access=ACCESS if access is None else access,
    )
    return create_http_app(connect(DeskSettings(**values)), spec)


@pytest.fixture
def client() -> TestClient:
    return TestClient(desk_app(), raise_server_exceptions=False)


def test_without_a_token_a_guarded_route_answers_401_with_a_bearer_challenge(
    client: TestClient,
) -> None:
    response = client.get("/v1/reports/calls")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="contact-centre"'
    assert response.json()["reason"] == "missing_token"


def test_a_token_that_proves_nothing_answers_401_saying_why(client: TestClient) -> None:
    expired = ISSUER.sign({**ISSUER.claims(["supervisor"]), "exp": 1_000_000_000})

    response = client.get("/v1/reports/calls", headers={"Authorization": f"Bearer {expired}"})

    assert response.status_code == 401
    assert response.json()["reason"] == "token_expired"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_role_that_may_not_use_the_route_answers_403_naming_the_roles(
    client: TestClient,
) -> None:
    response = client.get("/v1/reports/calls", headers=ISSUER.bearer(["operator"]))

    assert response.status_code == 403
    assert response.json()["reason"] == "insufficient_role"
    assert "['supervisor']" in response.json()["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_the_route_gets_the_caller_with_the_roles_its_role_implies(client: TestClient) -> None:
    response = client.get(
        "/v1/reports/calls", headers=ISSUER.bearer(["supervisor"], subject="marta")
    )

    assert response.status_code == 200
    assert response.json() == {"subject": "marta", "roles": ["operator", "supervisor"]}


def test_metrics_are_open_on_loopback_and_need_the_metrics_role_from_elsewhere() -> None:
    app = desk_app()
    local = TestClient(app, client=("127.0.0.1", 40000))
    remote = TestClient(app, client=("10.1.2.3", 40000))

    assert local.get("/metrics").status_code == 200
    assert remote.get("/metrics").status_code == 401
    assert remote.get("/metrics", headers=ISSUER.bearer(["operator"])).status_code == 403
    assert remote.get("/metrics", headers=ISSUER.bearer(["metrics"])).status_code == 200


def test_metrics_may_require_a_token_everywhere_or_be_open() -> None:
    token_app = desk_app(CC_METRICS_ACCESS="token")
    open_app = desk_app(CC_METRICS_ACCESS="open")

    local = TestClient(token_app, client=("127.0.0.1", 40000))
    anyone = TestClient(open_app, client=("10.1.2.3", 40000))

    assert local.get("/metrics").status_code == 401
    assert anyone.get("/metrics").status_code == 200


def test_health_and_readiness_stay_open(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)  # no servers here; never 401


def test_a_socket_is_refused_before_it_is_accepted_and_takes_a_token(client: TestClient) -> None:
    socket_path = "/v1/chats/c1/socket"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(socket_path):
        pass
    with client.websocket_connect(
        f"{socket_path}?access_token={ISSUER.token(['operator'], subject='giulia')}"
    ) as socket:
        greeting = socket.receive_json()

    assert (refused.value.code, refused.value.reason) == (1008, "401 missing_token")
    assert greeting == {"chat": "c1", "operator": "giulia"}


def test_an_app_with_a_route_missing_from_its_table_is_not_built() -> None:
    partial = {k: v for k, v in ACCESS.items() if k != "GET /v1/faq"}

    with pytest.raises(ValueError, match="GET /v1/faq"):
        desk_app(partial)


def test_a_route_added_after_the_app_was_built_is_refused(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/v1/late")
    async def late() -> str:
        return "should not answer"

    response = client.get("/v1/late", headers=ISSUER.bearer(["admin"]))

    assert response.status_code == 403
    assert response.json()["reason"] == "no_access_rule"


def test_the_openapi_document_shows_what_each_operation_needs(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    reports = paths["/v1/reports/calls"]["get"]
    assert reports["security"] == [{"oidc": ["supervisor"]}, {"bearer": ["supervisor"]}]
    assert reports["x-access"] == {"kind": "bearer", "roles": ["supervisor"]}
    assert set(reports["responses"]) >= {"401", "403"}
    assert paths["/v1/pbx-events"]["post"]["security"] == [{"pbxSignature": []}]
    assert paths["/v1/faq"]["get"]["security"] == []
    assert paths["/healthz"]["get"]["x-access"]["kind"] == "public"
    assert paths["/metrics"]["get"]["security"][-1] == {}  # open on loopback
    again = client.get("/openapi.json").json()["paths"]["/v1/reports/calls"]["get"]
    assert again["description"].count("**Access:**") == 1


def test_a_test_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="CC_OIDC_TRUSTED_JWKS"):
        DeskSettings(**{**ISSUER.env(), "CC_ENVIRONMENT": "production"})

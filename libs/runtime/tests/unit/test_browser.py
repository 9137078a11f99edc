"""Browsers: CORS only for the configured origins (and on refusals too, so the console sees its
401), security headers on every response and no framing of HTML."""

from typing import Any, ClassVar

from pydantic_settings import SettingsConfigDict
from starlette.testclient import TestClient

from cc_runtime import ServiceSettings, ServiceSpec, connect, create_http_app
from cc_testing import TestIssuer

ISSUER = TestIssuer()
CONSOLE = "http://127.0.0.1:5173"


class DeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")
    service_name: ClassVar[str] = "desk"


def desk(**settings: Any) -> TestClient:
    spec = ServiceSpec("Desk", "a service of the tests", access={})
    app = create_http_app(connect(DeskSettings(**{**ISSUER.env(), **settings})), spec)
    return TestClient(app)


def test_a_configured_origin_may_call_with_a_bearer_token() -> None:
    client = desk(CC_CORS_ORIGINS=f"{CONSOLE}, http://console.example")
    preflight = client.options(
        "/metrics",
        headers={
            "Origin": CONSOLE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    refused = client.get("/metrics", headers={"Origin": CONSOLE})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == CONSOLE
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == CONSOLE


def test_another_origin_gets_no_cors_answer() -> None:
    configured = desk(CC_CORS_ORIGINS=CONSOLE).get(
        "/healthz", headers={"Origin": "http://evil.test"}
    )
    unconfigured = desk().get("/healthz", headers={"Origin": CONSOLE})

    assert "access-control-allow-origin" not in configured.headers
    assert "access-control-allow-origin" not in unconfigured.headers


def test_every_response_has_security_headers_and_html_is_never_framed() -> None:
    client = desk()

    docs = client.get("/docs")
    health = client.get("/healthz")

    assert docs.headers["x-frame-options"] == "DENY"
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["referrer-policy"] == "no-referrer"
    assert "x-frame-options" not in health.headers

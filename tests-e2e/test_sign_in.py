"""Signing in through the real identity provider (Keycloak, deploy/keycloak's realm): a demo
operator's token, from the provider's direct grant, is accepted by a real service process, which
knows the person and the attributes of the identity; Prometheus' client-credentials token reads
/metrics where it needs a token; a person without the role is refused with 403. A demo
supervisor reads kpi's call report, which an operator may not. The provider starts once for the
session (the `identity_provider` fixture), whichever service a test signs in to."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from cc_testing import IdentityProvider, RunningService, Servers, free_ports, service_process

pytestmark = pytest.mark.infra


@pytest.fixture
def chat(
    servers: Servers,
    identity_provider: IdentityProvider,
    service_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[RunningService]:
    env = {
        **service_env,
        "CC_OIDC_ISSUER": identity_provider.issuer,
        "CC_METRICS_ACCESS": "token",
        "CC_ENVIRONMENT": "production",
    }
    with service_process("chat", free_ports(1)[0], env, tmp_path) as running:
        yield running


@pytest.fixture
def kpi(
    servers: Servers,
    identity_provider: IdentityProvider,
    service_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[RunningService]:
    env = {
        **service_env,
        "CC_OIDC_ISSUER": identity_provider.issuer,
        "CC_ENVIRONMENT": "production",
    }
    with service_process("kpi", free_ports(1)[0], env, tmp_path) as running:
        yield running


def test_an_operator_signed_in_at_the_provider_is_known_to_the_service(
    chat: RunningService, identity_provider: IdentityProvider
) -> None:
    token = identity_provider.password_token("giulia")

    me = httpx.get(f"{chat.url}/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200, me.text
    body = me.json()
    assert body["subject"] == jwt.decode(token, options={"verify_signature": False})["sub"]
    assert (body["username"], body["roles"], body["team"]) == (
        "giulia",
        ["operator"],
        "customer-care",
    )
    assert (body["extension"], body["pbx_agent_ids"], body["seat_limit"]) == (
        "1127",
        ["PJSIP/1127", "Agent/1127"],
        3,
    )
    assert body["languages"] == ["it", "en"]


def test_without_a_token_the_service_asks_for_one(chat: RunningService) -> None:
    response = httpx.get(f"{chat.url}/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_prometheus_reads_metrics_with_its_client_token_and_a_person_may_not(
    chat: RunningService, identity_provider: IdentityProvider
) -> None:
    prometheus = identity_provider.client_token("prometheus", "prometheus-dev-secret")
    operator = identity_provider.password_token("giulia")

    scraped = httpx.get(f"{chat.url}/metrics", headers={"Authorization": f"Bearer {prometheus}"})
    refused = httpx.get(f"{chat.url}/metrics", headers={"Authorization": f"Bearer {operator}"})
    anonymous = httpx.get(f"{chat.url}/metrics")

    assert scraped.status_code == 200
    assert "http_requests_total" in scraped.text
    assert (refused.status_code, refused.json()["reason"]) == (403, "insufficient_role")
    assert anonymous.status_code == 401


def test_a_supervisor_signed_in_at_the_provider_reads_kpis_report_and_an_operator_may_not(
    kpi: RunningService, identity_provider: IdentityProvider
) -> None:
    supervisor = identity_provider.password_token("marta")
    operator = identity_provider.password_token("giulia")

    report = httpx.get(
        f"{kpi.url}/v1/reports/calls", headers={"Authorization": f"Bearer {supervisor}"}
    )
    refused = httpx.get(
        f"{kpi.url}/v1/reports/calls", headers={"Authorization": f"Bearer {operator}"}
    )

    assert report.status_code == 200, report.text
    assert [row["offered"] for row in report.json()] == [0]  # today's total, in a new namespace
    assert (refused.status_code, refused.json()["reason"]) == (403, "insufficient_role")

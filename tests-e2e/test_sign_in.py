"""Signing in through the real identity provider (Keycloak, deploy/keycloak's realm): a demo
operator's token, from the provider's direct grant, is accepted by a real service process, which
knows the person and the attributes of the identity; Prometheus' client-credentials token reads
/metrics where it needs a token; a person without the role is refused with 403. A demo
supervisor reads kpi's call report, which an operator may not. cc-dev, as the realm's `services`
client (client credentials, its service account holding `admin`), imports a queue_log into
telephony-ingest, whose events name that account as their actor. The provider starts once for
the session (the `identity_provider` fixture), whichever service a test signs in to."""

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from cc_dev.cli import app as cc_dev
from cc_testing import (
    IdentityProvider,
    RunningService,
    Servers,
    free_ports,
    read_records,
    service_process,
)

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
        # Production refuses placeholder secrets: the chat widget's token signer needs its own,
        # and so does the shop's session signer.
        "CHAT_CHAT_TOKEN_SECRET": secrets.token_hex(32),
        "CHAT_SHOP_SESSION_SECRET": secrets.token_hex(32),
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


@pytest.fixture
def telephony_ingest(
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
    with service_process("telephony-ingest", free_ports(1)[0], env, tmp_path) as running:
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
    assert (body["extension"], body["pbx_agent_ids"], body["chat_seat_limit"]) == (
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


QUEUE_LOG = """\
1772445600|1772445600.1|sales|NONE|ENTERQUEUE||+390212345678|1
1772445612|1772445600.1|sales|PJSIP/1001|CONNECT|12|1772445612.2|3
1772445790|1772445600.1|sales|PJSIP/1001|COMPLETECALLER|12|178|1
"""


def test_cc_dev_imports_a_queue_log_with_a_token_of_the_services_client(
    telephony_ingest: RunningService,
    identity_provider: IdentityProvider,
    servers: Servers,
    namespace: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    credentials = ["--client-id", "services", "--client-secret", "services-dev-secret"]
    issuer = ["--issuer", identity_provider.issuer]
    url = ["--url", telephony_ingest.url]

    imported = CliRunner().invoke(
        cc_dev, ["import-queue-log", str(path), *url, *credentials, *issuer]
    )
    refused = httpx.post(
        f"{telephony_ingest.url}/v1/queue-log/imports",
        files={"file": ("queue_log", QUEUE_LOG)},
        headers={"Authorization": f"Bearer {identity_provider.password_token('marta')}"},
    )

    assert imported.exit_code == 0, imported.output
    assert (refused.status_code, refused.json()["reason"]) == (403, "insufficient_role")
    token = identity_provider.client_token("services", "services-dev-secret")
    account = jwt.decode(token, options={"verify_signature": False})["sub"]
    records = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers,
            f"{namespace}.call-events",
            until=lambda r: len(r) >= 3,
        )
    )
    assert [json.loads(r.value)["actor"] for r in records] == [
        {"subject": account, "role": "admin"}
    ] * 3

"""One identity per person, end to end through the real identity provider (Keycloak with
deploy/keycloak's realm), the real broker and database, each service its own process: a call
answered on extension 1127 (a queue_log imported into telephony-ingest, which reads whose 1127
is from Keycloak's users with its view-users client) and a chat worked by giulia, whose identity
holds extension 1127 and who signs in at Keycloak, are one agent in kpi's per-agent reports:
her sign-in subject, in the call report and in the chat report alike."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from cc_testing import (
    IdentityProvider,
    RunningService,
    Servers,
    eventually,
    free_ports,
    service_process,
)

pytestmark = pytest.mark.infra

TODAY = datetime.now(UTC).date()
PERIOD = {"from": str(TODAY - timedelta(days=1)), "to": str(TODAY + timedelta(days=2))}


@pytest.fixture
def platform(
    servers: Servers,
    identity_provider: IdentityProvider,
    service_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[dict[str, RunningService]]:
    env = {
        **service_env,
        "CC_OIDC_ISSUER": identity_provider.issuer,
        "TELEPHONY_INGEST_PEOPLE_KEYCLOAK_CLIENT_ID": "telephony-ingest",
        "TELEPHONY_INGEST_PEOPLE_KEYCLOAK_CLIENT_SECRET": "telephony-ingest-dev-secret",
    }
    ingest_port, chat_port, kpi_port = free_ports(3)
    with (
        service_process("kpi", kpi_port, env, tmp_path) as kpi,
        service_process("chat", chat_port, env, tmp_path) as chat,
        service_process("telephony-ingest", ingest_port, env, tmp_path) as ingest,
    ):
        yield {"telephony-ingest": ingest, "chat": chat, "kpi": kpi}


def queue_log(now: int) -> str:
    """A call answered by the agent of extension 1127, as app_queue logs a Local member."""
    call = f"{now}.1127"
    return (
        f"{now}|{call}|sales|NONE|ENTERQUEUE||0212345678|1\n"
        f"{now + 8}|{call}|sales|Local/1127@agents/n|CONNECT|8|{now + 3}.9|5\n"
        f"{now + 98}|{call}|sales|Local/1127@agents/n|COMPLETECALLER|8|90|1\n"
    )


def work_a_chat(chat: RunningService, operator: dict[str, str]) -> None:
    started = httpx.post(f"{chat.url}/v1/widget/chats", json={"session_id": "S-1127"})
    assert started.status_code == 201, started.text
    ticket = started.json()
    customer = {"Authorization": f"Chat {ticket['token']}"}
    chat_url = f"{chat.url}/v1/chats/{ticket['chat_id']}"
    steps = [
        httpx.post(f"{chat_url}/join", headers=operator),
        httpx.post(f"{chat.url}/v1/widget/messages", json={"text": "Hi"}, headers=customer),
        httpx.post(f"{chat_url}/messages", json={"text": "Hello, Giulia here"}, headers=operator),
        httpx.post(f"{chat_url}/end", headers=operator),
    ]
    assert [r.status_code for r in steps] == [200, 201, 201, 200], [r.text for r in steps]


def per_agent(kpi: RunningService, name: str, supervisor: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}",
        params={**PERIOD, "group_by": "agent"},
        headers={"Authorization": f"Bearer {supervisor}"},
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_a_call_on_1127_and_a_chat_by_its_holder_are_one_agent_in_kpis_reports(
    platform: dict[str, RunningService], identity_provider: IdentityProvider
) -> None:
    giulia = identity_provider.password_token("giulia")
    subject = jwt.decode(giulia, options={"verify_signature": False})["sub"]
    importer = identity_provider.client_token("services", "services-dev-secret")

    imported = httpx.post(
        f"{platform['telephony-ingest'].url}/v1/queue-log/imports",
        files={"file": ("queue_log", queue_log(int(time.time()) - 300))},
        headers={"Authorization": f"Bearer {importer}"},
        timeout=30,
    )
    assert (imported.status_code, imported.json().get("published")) == (200, 3), imported.text
    work_a_chat(platform["chat"], {"Authorization": f"Bearer {giulia}"})

    kpi, supervisor = platform["kpi"], identity_provider.password_token("marta")

    def one_agent() -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
        calls = [
            (r["agent"], r["answered"], r["talk_ms"]) for r in per_agent(kpi, "calls", supervisor)
        ]
        chats = [
            (r["agent"], r["chats"], r["responded"]) for r in per_agent(kpi, "chats", supervisor)
        ]
        assert (calls, chats) == ([(subject, 1, 90_000)], [(subject, 1, 1)])
        return calls, chats

    eventually(one_agent, seconds=45)

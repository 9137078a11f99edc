"""The simulator's chat customers against chat as a process on the real broker and database:
an operator accepts a chat request, and the customer of that shop session (cc-dev's
ChatCustomers, signing the session as the shop does) takes the invitation, answers the
operator's message with a canned line and rates the chat when the operator ends it; another
customer starts a chat of their own with an opening line."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_dev.chat_customers import ChatCustomers, LiveChats
from cc_dev.settings import DevSettings
from cc_dev.simulation.chat_customer import LINES, OPENERS
from cc_schemas import (
    CONTACT_REQUESTS,
    ContactChannel,
    ContactRequested,
    CustomerContext,
    encode,
    make_event_id,
)
from cc_testing import RunningService, Servers, TestIssuer, free_ports, produce, service_process

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


@pytest.fixture
def chat(service_env: dict[str, str], tmp_path: Path) -> Iterator[RunningService]:
    env = {**service_env, **ISSUER.env(), "CHAT_ATTACHMENTS_DIR": str(tmp_path / "files")}
    with service_process("chat", free_ports(1)[0], env, tmp_path) as running:
        yield running


async def until(check: Any, seconds: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_simulated_customers_take_answer_and_rate_live_chats(
    chat: RunningService, servers: Servers, namespace: str
) -> None:
    settings = DevSettings(
        CC_KAFKA_BOOTSTRAP_SERVERS=servers.kafka_bootstrap_servers,  # type: ignore[call-arg]
        CC_NAMESPACE=namespace,
    )
    now = datetime.now(UTC)
    request = ContactRequested(
        event_id=make_event_id("test", "R-sim"),
        occurred_at=now,
        source="proactive-engine",
        request_id="R-sim",
        session_id="sess-1-000042",
        customer=CustomerContext(customer_id="C-42", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart left for 30 minutes",
        channel=ContactChannel.CHAT,
        expires_at=now + timedelta(minutes=10),
    )
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-sim", encode(request))],
    )
    live = LiveChats(chat.url, poll_seconds=0.2, start_every_seconds=3600)
    async with httpx.AsyncClient(base_url=chat.url, timeout=10) as client:
        customers = asyncio.create_task(ChatCustomers(settings, live, client).run())
        try:

            async def accepted() -> dict[str, Any]:
                answer = await client.post("/v1/contact-requests/R-sim/accept", headers=anna())
                assert answer.status_code == 200, answer.text
                listed = (await client.get("/v1/chats", headers=anna())).json()["chats"]
                return next(c for c in listed if c["request_id"] == "R-sim")

            proactive = await until(accepted)
            url = f"/v1/chats/{proactive['chat_id']}"
            sent = await client.post(
                f"{url}/messages", json={"text": "Hello, can I help?"}, headers=anna()
            )
            assert sent.status_code == 201, sent.text

            async def answered() -> list[tuple[str, str]]:
                page = (await client.get(f"{url}/messages", headers=anna())).json()
                said = [(m["sender"], m["text"]) for m in page["messages"]]
                assert len(said) >= 2
                return said

            assert await until(answered) == [
                ("agent", "Hello, can I help?"),
                ("customer", LINES[0]),
            ]
            assert (await client.post(f"{url}/end", headers=anna())).status_code == 200

            async def rated() -> None:
                page = (await client.get(f"{url}/messages", headers=anna())).json()
                assert page["chat"]["rated"] is True

            await until(rated)

            async def own_chat_waiting() -> None:
                listed = (await client.get("/v1/chats", headers=anna())).json()["chats"]
                [waiting] = [c for c in listed if c["origin"] == "customer"]
                joined = await client.post(f"/v1/chats/{waiting['chat_id']}/join", headers=anna())
                assert joined.status_code == 200, joined.text
                page = await client.get(f"/v1/chats/{waiting['chat_id']}/messages", headers=anna())
                assert page.json()["messages"][0]["text"] in OPENERS

            await until(own_chat_waiting)
        finally:
            customers.cancel()
            await asyncio.gather(customers, return_exceptions=True)

"""Personal data on the real broker and PostgreSQL: customer.erased (from crm, on
customer-events) pseudonymises that customer's chats and contact requests, erases their
messages' text and deletes their files with the content, and a redelivery changes nothing;
the retention round deletes messages (and files) older than the retention period and leaves
newer ones; chat-events carries the same period as its retention.ms on the broker."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from cc_schemas import (
    CHAT_EVENTS,
    CONTACT_REQUESTS,
    ContactChannel,
    ContactContext,
    ContactRequested,
    CustomerContext,
    CustomerErased,
    encode,
    make_event_id,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 40


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


def supervisor() -> dict[str, str]:
    return ISSUER.bearer(["supervisor"], subject="sara")


@pytest.fixture
async def client(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        attachments_dir=tmp_path / "files",
        message_retention_days=1,
        retention_check_seconds=0.2,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


def blobs(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "files").rglob("*") if p.is_file())


async def proactive_chat(
    client: httpx.AsyncClient, servers: Servers, namespace: str, request_id: str, customer: str
) -> str:
    now = datetime.now(UTC)
    request = ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=now,
        source="proactive-engine",
        request_id=request_id,
        session_id=f"S-{request_id}",
        customer=CustomerContext(customer_id=customer, contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart left for 30 minutes",
        channel=ContactChannel.CHAT,
        context=ContactContext(product_ids=("P-1",), search_queries=("train for my son",)),
        expires_at=now + timedelta(minutes=10),
    )
    topic = f"{namespace}.{CONTACT_REQUESTS}"
    await produce(servers.kafka_bootstrap_servers, topic, [(request_id.encode(), encode(request))])

    async def accepted() -> str:
        answer = await client.post(f"/v1/contact-requests/{request_id}/accept", headers=anna())
        assert answer.status_code == 200, answer.text
        [chat] = [
            c
            for c in (await client.get("/v1/chats", headers=anna())).json()["chats"]
            if c["request_id"] == request_id
        ]
        return str(chat["chat_id"])

    return await eventually_async(accepted)


async def transcript(client: httpx.AsyncClient, chat_id: str) -> dict[str, Any]:
    answer = await client.get(f"/v1/chats/{chat_id}/messages", headers=supervisor())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_an_erased_customers_chats_are_pseudonymised_their_text_and_files_erased(
    client: httpx.AsyncClient, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    chat_id = await proactive_chat(client, servers, namespace, "R-erase", "C-9")
    kept_id = await proactive_chat(client, servers, namespace, "R-keep", "C-10")
    url = f"/v1/chats/{chat_id}/messages"
    await client.post(url, json={"text": "Hello Maria, your order 4711?"}, headers=anna())
    photo = await client.post(
        f"/v1/chats/{chat_id}/attachments", files={"file": ("me.png", PNG)}, headers=anna()
    )
    await client.post(f"/v1/chats/{kept_id}/messages", json={"text": "Hi!"}, headers=anna())
    assert photo.status_code == 201, photo.text
    assert blobs(tmp_path) == [hashlib.sha256(PNG).hexdigest()]
    erased = CustomerErased(
        event_id="erase-C-9", occurred_at=datetime.now(UTC), source="crm", customer_id="C-9"
    )
    topic = f"{namespace}.{topic_of(erased)}"
    await produce(servers.kafka_bootstrap_servers, topic, [(b"C-9", encode(erased))])

    async def forgotten() -> dict[str, Any]:
        seen = await transcript(client, chat_id)
        assert seen["chat"]["customer_id"].startswith("erased-")
        return seen

    seen = await eventually_async(forgotten)
    assert [(m["text"], m["attachment"]) for m in seen["messages"]] == [
        ("[erased]", None),
        ("[erased]", None),
    ]
    assert seen["chat"]["session_id"] is None
    request = (await client.get("/v1/contact-requests/R-erase", headers=anna())).json()
    assert (request["customer_id"], request["session_id"]) == (seen["chat"]["customer_id"],) * 2
    assert request["context"]["search_queries"] == []
    download = f"/v1/chats/{chat_id}/attachments/{photo.json()['attachment']['attachment_id']}"
    assert (await client.get(download, headers=anna())).status_code == 404
    assert blobs(tmp_path) == []
    kept = await transcript(client, kept_id)
    assert (kept["chat"]["customer_id"], [m["text"] for m in kept["messages"]]) == ("C-10", ["Hi!"])

    again = erased.model_copy(update={"event_id": "erase-C-9-again"})  # crm sends it twice
    # Then C-10's erasure on the same key, so the same partition: once it shows, the repeat
    # before it has been handled.
    marker = erased.model_copy(update={"event_id": "erase-C-10", "customer_id": "C-10"})
    await produce(
        servers.kafka_bootstrap_servers,
        topic,
        [(b"C-9", encode(again)), (b"C-9", encode(marker))],
    )

    async def marker_handled() -> None:
        customer = (await transcript(client, kept_id))["chat"]["customer_id"]
        assert customer.startswith("erased-")

    await eventually_async(marker_handled)
    assert await transcript(client, chat_id) == seen  # the repeat changed nothing


async def test_messages_past_the_retention_period_are_deleted_and_newer_ones_kept(
    client: httpx.AsyncClient, service_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    old = (await client.post("/v1/widget/chats")).json()
    new = (await client.post("/v1/widget/chats")).json()
    for ticket in (old, new):
        assert (await client.post(f"/v1/chats/{ticket['chat_id']}/join", headers=anna())).is_success
        sent = await client.post(
            "/v1/widget/messages",
            json={"text": "my phone is 333"},
            headers={"Authorization": f"Chat {ticket['token']}"},
        )
        assert sent.status_code == 201
    sent_file = await client.post(
        f"/v1/chats/{old['chat_id']}/attachments", files={"file": ("a.png", PNG)}, headers=anna()
    )
    assert sent_file.status_code == 201
    connection = await asyncpg.connect(service_env["CC_POSTGRES_URL"])
    try:  # two days old: past the one-day retention of this test
        await connection.execute(
            f"UPDATE {namespace}_chat.chat_messages SET sent_at = sent_at - interval '2 days' "  # noqa: S608 (the test's own namespace)
            "WHERE chat_id = $1",
            old["chat_id"],
        )
    finally:
        await connection.close()

    async def purged() -> None:
        assert (await transcript(client, old["chat_id"]))["messages"] == []

    await eventually_async(purged)
    assert [m["text"] for m in (await transcript(client, new["chat_id"]))["messages"]] == [
        "my phone is 333"
    ]
    assert blobs(tmp_path) == []


async def test_chat_events_is_kept_on_the_broker_for_the_retention_period(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    """Asked until it shows: the controller applies a config change, and each broker learns
    it from the metadata log a moment later (under load, after the first describe)."""
    topic = f"{namespace}.{CHAT_EVENTS}"

    async def retention_ms() -> list[tuple[str, str]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
        await admin.start()
        try:
            [response] = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})]
            )
        finally:
            await admin.close()
        [(_, _, _, _, entries)] = response.resources
        return [(name, value) for name, value, *_ in entries]

    async def one_day() -> None:
        assert await retention_ms() == [("retention.ms", "86400000")]

    await eventually_async(one_day)

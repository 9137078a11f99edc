"""The screen pop's store on the real broker and PostgreSQL: crm's identification arriving
before the call's events still pops on the operator who answers, the pop leaves when the call
ends and the answer delivered again does not bring it back; a call event that does not parse goes to
call-events.dlq with the reason, and the service goes on."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import (
    CALL_EVENTS,
    CONTACT_IDENTIFICATIONS,
    CallAnswered,
    CallEnded,
    ContactIdentified,
    CustomerSummary,
    IdentificationLevel,
    InteractionChannel,
    encode,
)
from cc_testing import Servers, TestIssuer, eventually_async, headers_of, produce, read_records
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC)


def giulia() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="giulia-sub")


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def pop_text(client: httpx.AsyncClient) -> str:
    answer = await client.get("/console/pop?lang=en", headers=giulia())
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_the_pop_joins_crm_and_the_call_in_either_order_and_leaves_at_the_end(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    identified = ContactIdentified(
        event_id="id-K-7",
        occurred_at=NOW,
        source="crm",
        contact_id="K-7",
        channel=InteractionChannel.PHONE,
        level=IdentificationLevel.AMBIGUOUS,
        presented="+390212345678",
        candidates=(
            CustomerSummary(customer_id="C-1", name="Anna Rossi", orders_in_progress=2),
            CustomerSummary(customer_id="C-2", name="Anna Rossi Bianchi"),
        ),
    )
    answered = CallAnswered(
        event_id="answer-K-7",
        occurred_at=NOW + timedelta(seconds=2),
        source="telephony-ingest",
        call_id="K-7",
        queue="sales",
        agent="giulia-sub",
        wait_seconds=2,
    )
    bootstrap = servers.kafka_bootstrap_servers
    await produce(
        bootstrap, f"{namespace}.{CONTACT_IDENTIFICATIONS}", [(b"K-7", encode(identified))]
    )
    await produce(
        bootstrap,
        f"{namespace}.{CALL_EVENTS}",
        [(b"K-7", encode(answered)), (b"bad", b"{not json")],
    )

    async def popped() -> None:
        text = await pop_text(client)
        assert "On the phone: call K-7" in text
        assert "2 customers share +390212345678: which one is calling?" in text
        assert "orders in progress: 2" in text

    await eventually_async(popped, seconds=15)
    dead = await read_records(
        bootstrap, f"{namespace}.{CALL_EVENTS}.dlq", until=lambda got: len(got) >= 1
    )
    assert [r.key for r in dead] == [b"bad"]
    assert "Invalid JSON" in headers_of(dead[0])["x-dlq-error"]

    ended = CallEnded(
        event_id="end-K-7",
        occurred_at=NOW + timedelta(minutes=3),
        source="telephony-ingest",
        call_id="K-7",
        queue="sales",
        agent="giulia-sub",
        wait_seconds=2,
        talk_seconds=178,
        ended_by="caller",
    )
    await produce(bootstrap, f"{namespace}.{CALL_EVENTS}", [(b"K-7", encode(ended))])

    async def gone() -> None:
        assert "No call on your phone." in await pop_text(client)

    await eventually_async(gone, seconds=15)
    # The answer delivered again after the end (a redelivery): the pop does not come back.
    await produce(bootstrap, f"{namespace}.{CALL_EVENTS}", [(b"K-7", encode(answered))])
    await asyncio.sleep(2)
    await gone()

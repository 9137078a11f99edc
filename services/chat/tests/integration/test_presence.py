"""Operator presence and auto-assignment on the real broker and PostgreSQL: operators say online
or away (the heartbeat), waiting chats go to the online operator with the fewest open chats
below their seat limit (the token's, else the setting's), an operator whose console stops
answering goes offline by itself, and assigners running at once give each chat exactly once
without filling a seat twice."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_schemas import CHAT_EVENTS, ChatParty, parse
from cc_testing import Servers, TestIssuer, eventually_async, read_records
from chat import assignment, chats
from chat.app import create_app
from chat.assignment import Seats
from chat.chats import Conversations
from chat.presence import Presence
from chat.repository import PostgresChats, PostgresOperators
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def operator(subject: str, **attributes: Any) -> dict[str, str]:
    """A fresh token (one minted at import expires in a long run)."""
    return ISSUER.bearer(["operator"], subject=subject, **attributes)


@pytest.fixture
def settings(service_env: dict[str, str]) -> Settings:
    return Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        seat_limit=1,
        presence_timeout_seconds=2,
        presence_check_seconds=0.3,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as client:
        yield client


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def say(client: httpx.AsyncClient, headers: dict[str, str], status: str) -> dict[str, Any]:
    answer = await client.put("/v1/presence", json={"status": status}, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def presence_of(client: httpx.AsyncClient) -> dict[str, tuple[str, int, int]]:
    answer = await client.get("/v1/presence", headers=operator("lead-sub"))
    assert answer.status_code == 200, answer.text
    return {
        o["operator_id"]: (o["status"], o["open_chats"], o["seat_limit"])
        for o in answer.json()["operators"]
    }


async def start_chat(client: httpx.AsyncClient) -> str:
    started = await client.post("/v1/widget/chats", json={})
    assert started.status_code == 201, started.text
    return str(started.json()["chat_id"])


async def test_waiting_chats_go_to_online_operators_with_free_seats_fewest_chats_first(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    anna = operator("anna-sub")  # no chat_seat_limit in her token: the setting's 1
    marco = operator("marco-sub", chat_seat_limit=2)
    away = operator("away-sub", chat_seat_limit=5)
    assert (await say(client, anna, "online"))["seat_limit"] == 1
    assert (await say(client, marco, "online"))["seat_limit"] == 2
    await say(client, away, "away")

    chat_ids = [await start_chat(client) for _ in range(4)]

    async def three_assigned() -> None:
        assert await presence_of(client) == {
            "anna-sub": ("online", 1, 1),
            "marco-sub": ("online", 2, 2),
            "away-sub": ("away", 0, 5),
        }

    await eventually_async(three_assigned, seconds=10)
    listed = (await client.get("/v1/chats", headers=away)).json()["chats"]
    waiting = [c["chat_id"] for c in listed if c["operator_id"] is None]
    assert waiting == [chat_ids[3]]  # the newest waits: the oldest are given first

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: len(got) >= 7,
    )
    joins = [parse(CHAT_EVENTS, r.value) for r in records]
    auto = [(e.chat_id, e.agent) for e in joins if e.event_type == "chat.agent_joined"]
    assert sorted(c for c, _ in auto) == sorted(chat_ids[:3])
    assert Counter(a for _, a in auto) == Counter({"marco-sub": 2, "anna-sub": 1})
    assert {e.via for e in joins if e.event_type == "chat.agent_joined"} == {"auto"}
    assert all(e.actor is None for e in joins if e.event_type == "chat.agent_joined")

    await client.post(f"/v1/chats/{auto[0][0]}/end", headers=operator(auto[0][1]))

    async def the_fourth_given_to_the_freed_seat() -> None:
        listed = (await client.get("/v1/chats", headers=away)).json()["chats"]
        assert [c["chat_id"] for c in listed if c["operator_id"] is None] == []

    await eventually_async(the_fourth_given_to_the_freed_seat, seconds=10)


async def test_an_operator_whose_console_vanished_goes_offline_by_itself(
    client: httpx.AsyncClient,
) -> None:
    giulia = operator("giulia-sub")
    said = await say(client, giulia, "online")
    assert said["status"] == "online"

    async def offline() -> None:
        assert (await presence_of(client))["giulia-sub"][0] == "offline"

    await eventually_async(offline, seconds=10)  # the timeout here is 2 s
    await start_chat(client)
    await asyncio.sleep(1)  # two watcher rounds: nobody online, so the chat waits
    listed = (await client.get("/v1/chats", headers=giulia)).json()["chats"]
    assert [c["operator_id"] for c in listed] == [None]

    assert (await say(client, giulia, "online"))["status"] == "online"  # back: heartbeat

    async def given_to_her() -> None:
        listed = (await client.get("/v1/chats", headers=giulia)).json()["chats"]
        assert [c["operator_id"] for c in listed] == ["giulia-sub"]

    await eventually_async(given_to_her, seconds=10)


async def test_a_bad_presence_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    answer = await client.put(
        "/v1/presence", json={"status": "asleep"}, headers=operator("anna-sub")
    )
    assert answer.status_code == 422
    assert "online" in answer.text
    assert (await client.put("/v1/presence", json={"status": "online"})).status_code == 401


async def test_assigners_running_at_once_give_each_chat_once_and_fill_no_seat_twice(
    settings: Settings,
) -> None:
    # The chats are started through the service, which is then stopped: its watcher's first
    # round comes at its start and must not race the assigners below.
    async with serving(settings) as client:
        chat_ids = [await start_chat(client) for _ in range(12)]
    database = Database(settings.postgres_url, settings.postgres_schema)
    await database.open()
    try:
        seats = Seats(
            operators=PostgresOperators(database),
            timeout=timedelta(minutes=5),
            default_seat_limit=3,
            written=lambda: None,
        )
        now = datetime.now(UTC)
        for name in ("op-a", "op-b", "op-c"):
            await assignment.heartbeat(seats, name, Presence.ONLINE, None, None, now)
        rounds = await asyncio.gather(
            *(assignment.assign_waiting(seats, datetime.now(UTC)) for _ in range(6))
        )
    finally:
        await database.close()

    given = [chat.chat_id for assigned in rounds for chat in assigned]
    holders = Counter(chat.operator_id for assigned in rounds for chat in assigned)
    assert len(given) == len(set(given)) == 9  # three operators, three seats each
    assert set(given) <= set(chat_ids)
    assert holders == Counter({"op-a": 3, "op-b": 3, "op-c": 3})


async def test_a_waiting_customer_is_told_the_wait_from_the_queue_or_to_leave_a_message(
    client: httpx.AsyncClient,
) -> None:
    nobody = await client.get("/v1/widget/wait")
    assert nobody.json() == {"answered": False, "nobody_online": True, "minutes": None}

    await say(client, operator("anna-sub"), "online")  # one seat (the setting)
    tickets = []
    for _ in range(3):
        started = await client.post("/v1/widget/chats", json={})
        tickets.append({"Authorization": f"Chat {started.json()['token']}"})

    async def first_taken() -> None:
        assert (await presence_of(client))["anna-sub"] == ("online", 1, 1)

    await eventually_async(first_taken, seconds=10)
    # One seat, taken; no chat ended lately, so a chat is taken to last 5 minutes.
    told = [(await client.get("/v1/widget/wait", headers=h)).json() for h in tickets]
    assert [(t["answered"], t["minutes"]) for t in told] == [(True, None), (False, 5), (False, 10)]
    newcomer = (await client.get("/v1/widget/wait")).json()
    assert (newcomer["nobody_online"], newcomer["minutes"]) == (False, 15)
    forged = await client.get("/v1/widget/wait", headers={"Authorization": "Chat forged"})
    assert forged.status_code == 401


async def test_a_message_left_while_nobody_is_online_waits_for_an_operator_to_answer_it(
    client: httpx.AsyncClient,
) -> None:
    body = {"contact": "anna@example.com", "text": "Do you ship to Malta?", "name": "Anna"}
    left = await client.post("/v1/widget/left-messages", json=body)
    refused = await client.post(
        "/v1/widget/left-messages", json={"contact": "soon", "text": "hello"}
    )
    assert left.status_code == 201, left.text
    assert (refused.status_code, refused.json()["detail"]) == (
        422,
        "that is neither an e-mail address nor a phone number",
    )

    marco = operator("marco-sub")
    listed = (await client.get("/v1/left-messages", headers=marco)).json()["messages"]
    assert [(m["name"], m["contact"], m["text"]) for m in listed] == [
        ("Anna", "anna@example.com", "Do you ship to Malta?")
    ]
    message_id = listed[0]["message_id"]
    answered = await client.post(f"/v1/left-messages/{message_id}/answered", headers=marco)
    assert (answered.status_code, answered.json()["handled_by"]) == (200, "marco-sub")
    assert (await client.get("/v1/left-messages", headers=marco)).json()["messages"] == []
    unknown = await client.post("/v1/left-messages/nope/answered", headers=marco)
    assert unknown.status_code == 404


async def holder(client: httpx.AsyncClient, chat_id: str) -> str | None:
    """Who holds the chat now, as a supervisor reads it."""
    supervisor = ISSUER.bearer(["supervisor"], subject="sara-sub")
    answer = await client.get(f"/v1/chats/{chat_id}/messages", headers=supervisor)
    assert answer.status_code == 200, answer.text
    return answer.json()["chat"]["operator_id"]  # type: ignore[no-any-return]


async def test_an_operator_gone_offline_gives_back_the_chats_whose_customer_awaits_a_reply(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    anna = operator("anna-sub", chat_seat_limit=2)
    marco = operator("marco-sub")  # one seat (the setting)
    await say(client, anna, "online")
    started = [(await client.post("/v1/widget/chats", json={})).json() for _ in range(2)]
    waiting, answered = (s["chat_id"] for s in started)
    customer = [{"Authorization": f"Chat {s['token']}"} for s in started]

    async def both_hers() -> None:
        assert (await presence_of(client))["anna-sub"] == ("online", 2, 2)

    await eventually_async(both_hers, seconds=10)
    for who, text in ((customer[0], "Is anyone there?"), (customer[1], "Where is my order?")):
        sent = await client.post("/v1/widget/messages", json={"text": text}, headers=who)
        assert sent.status_code == 201, sent.text
    reply = await client.post(
        f"/v1/chats/{answered}/messages", json={"text": "Checking it now"}, headers=anna
    )
    assert reply.status_code == 201, reply.text

    async def keep_marco_online() -> None:  # his console's heartbeat; anna's has stopped
        while True:
            await say(client, marco, "online")
            await asyncio.sleep(0.4)

    heartbeats = asyncio.create_task(keep_marco_online())
    try:

        async def the_waiting_one_to_marco() -> None:
            assert (await presence_of(client))["anna-sub"][0] == "offline"
            assert await holder(client, waiting) == "marco-sub"

        await eventually_async(the_waiting_one_to_marco, seconds=10)  # timeout 2 s
        await asyncio.sleep(1)  # three more rounds: the answered chat stays anna's
        assert await holder(client, answered) == "anna-sub"
        # The customer writes again: it awaits a reply now, but marco's one seat is taken...
        again = await client.post(
            "/v1/widget/messages", json={"text": "Hello?"}, headers=customer[1]
        )
        assert again.status_code == 201
        await asyncio.sleep(1)
        assert await holder(client, answered) == "anna-sub"
        # ...until he ends his chat: then it is his.
        ended = await client.post(f"/v1/chats/{waiting}/end", headers=marco)
        assert ended.status_code == 200, ended.text

        async def the_second_to_marco() -> None:
            assert await holder(client, answered) == "marco-sub"

        await eventually_async(the_second_to_marco, seconds=10)
    finally:
        heartbeats.cancel()

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: sum(b"chat.transferred" in r.value for r in got) >= 2,
    )
    events = [parse(CHAT_EVENTS, r.value) for r in records]
    moves = [
        (e.chat_id, e.from_agent, e.to_agent, e.actor)
        for e in events
        if e.event_type == "chat.transferred"
    ]
    assert sorted(moves) == sorted(  # one partition a chat: no order between the two
        [(waiting, "anna-sub", "marco-sub", None), (answered, "anna-sub", "marco-sub", None)]
    )
    joins = [(e.chat_id, e.agent, e.via) for e in events if e.event_type == "chat.agent_joined"]
    assert (waiting, "marco-sub", "auto") in joins
    assert (answered, "marco-sub", "auto") in joins


async def test_watchers_giving_back_at_once_give_each_chat_once_and_fill_no_seat_twice(
    settings: Settings,
) -> None:
    async with serving(settings):  # runs the migrations; stopped before any chat exists
        pass
    database = Database(settings.postgres_url, settings.postgres_schema)
    await database.open()
    try:
        seats = Seats(
            operators=PostgresOperators(database),
            timeout=timedelta(minutes=5),
            default_seat_limit=2,
            written=lambda: None,
        )
        conversations = Conversations(
            chats=PostgresChats(database), max_chars=2000, written=lambda: None
        )
        now = datetime.now(UTC)
        await assignment.heartbeat(seats, "gone", Presence.ONLINE, 10, None, now)
        chat_ids = []
        for _ in range(8):
            started = await chats.start(conversations, None, now)
            await chats.send(
                conversations, started.chat_id, ChatParty.CUSTOMER, "hi", None, None, now
            )
            chat_ids.append(started.chat_id)
        assert len(await assignment.assign_waiting(seats, now)) == 8  # all eight: gone's
        await assignment.heartbeat(seats, "gone", Presence.OFFLINE, 10, None, now)
        for name in ("op-a", "op-b"):  # two seats each: four of the eight can move
            await assignment.heartbeat(seats, name, Presence.ONLINE, None, None, now)
        rounds = await asyncio.gather(
            *(assignment.give_back(seats, datetime.now(UTC)) for _ in range(6))
        )
    finally:
        await database.close()

    given = [chat.chat_id for made in rounds for chat in made]
    assert len(given) == len(set(given)) == 4
    assert set(given) <= set(chat_ids)
    assert Counter(chat.operator_id for made in rounds for chat in made) == Counter(
        {"op-a": 2, "op-b": 2}
    )

"""The simulator's customers in live chats, through chat's widget API as a shop page's widget
would (HTTP adapter, httpx): they take the chats operators open for their shop sessions
(chat.started, proactive, on chat-events: the invitation asked with the session the shop
signed), start chats of their own now and then, answer operators with canned lines and rate
the chat once it ends (`simulation.chat_customer` decides what they say).

The shop signs its session ids with the secret it shares with chat (itsdangerous, HMAC-SHA256,
salt `shop-session`: chat's `ShopSessions`); the demo uses chat's development placeholder."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError

from cc_dev import kafka_io
from cc_dev.settings import DevSettings
from cc_dev.simulation.chat_customer import Customer, End, Move, Rate, Say, next_moves, opener
from cc_schemas import CHAT_EVENTS, ChatOrigin, ChatStarted, parse

log = logging.getLogger(__name__)
DEVELOPMENT_SHOP_SECRET = "development-only-shop-session-secret"  # noqa: S105 (chat's placeholder)
SHOP_SESSION_SALT = "shop-session"


@dataclass(frozen=True)
class LiveChats:
    chat_url: str
    shop_secret: str = DEVELOPMENT_SHOP_SECRET
    poll_seconds: float = 2.0
    start_every_seconds: float | None = 120.0  # a customer starts a chat this often; None: never
    give_up_seconds: float = 1800.0  # a chat nobody answers or ends is left after this


def sign_session(secret: str, session_id: str) -> str:
    """The session id as the shop signs it for the widget's invitation."""
    serializer = URLSafeTimedSerializer(
        secret, salt=SHOP_SESSION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )
    return serializer.dumps(session_id)


class Widget:
    """chat's widget routes, as the customer's browser calls them."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client, self.base = client, base_url.rstrip("/")

    async def invitation(self, session_token: str) -> dict[str, Any] | None:
        answer = await self.client.get(
            f"{self.base}/v1/widget/invitation", params={"session_token": session_token}
        )
        if answer.status_code == 204:
            return None
        return _json(answer)

    async def start(self, session_id: str) -> dict[str, Any]:
        return _json(
            await self.client.post(f"{self.base}/v1/widget/chats", json={"session_id": session_id})
        )

    async def messages(self, token: str, after: int) -> dict[str, Any]:
        return _json(
            await self.client.get(
                f"{self.base}/v1/widget/messages", params={"after": after}, headers=_auth(token)
            )
        )

    async def perform(self, token: str, move: Move) -> None:
        if isinstance(move, Say):
            body = {"text": move.text, "message_id": uuid.uuid4().hex}
            await self._post(token, "messages", body)
        elif isinstance(move, End):
            await self._post(token, "end", None)
        elif isinstance(move, Rate):
            await self._post(token, "csat", {"score": move.score, "comment": move.comment})

    async def _post(self, token: str, route: str, body: dict[str, Any] | None) -> None:
        answer = await self.client.post(
            f"{self.base}/v1/widget/{route}", json=body, headers=_auth(token)
        )
        if answer.status_code == 409:  # the chat ended meanwhile: the next read says so
            return
        _json(answer)


async def follow(widget: Widget, ticket: dict[str, Any], live: LiveChats) -> Customer:
    """Read the chat until it has ended and been rated (or nobody answered in time), answering
    the operator as the customer would."""
    token, customer, after, agent_messages = ticket["token"], Customer(ticket["chat_id"]), 0, 0
    deadline = time.monotonic() + live.give_up_seconds
    while not customer.done and time.monotonic() < deadline:
        page = await widget.messages(token, after)
        for message in page["messages"]:
            after = message["seq"]
            agent_messages += message["sender"] == "agent"
        customer, moves = next_moves(customer, agent_messages, page["chat"]["state"] == "ended")
        for move in moves:
            await widget.perform(token, move)
        if not customer.done:
            await asyncio.sleep(live.poll_seconds)
    return customer


class ChatCustomers:
    """Every simulated customer in a live chat: one task per chat, and the chats they start."""

    def __init__(self, settings: DevSettings, live: LiveChats, client: httpx.AsyncClient) -> None:
        self.settings, self.live = settings, live
        self.widget = Widget(client, live.chat_url)
        self.tasks: set[asyncio.Task[Any]] = set()

    async def run(self) -> None:
        starting = asyncio.create_task(self._start_now_and_then())
        try:
            await self._take_invitations()
        finally:
            starting.cancel()
            for task in [starting, *self.tasks]:
                task.cancel()
            await asyncio.gather(starting, *self.tasks, return_exceptions=True)

    async def _take_invitations(self) -> None:
        consumer = AIOKafkaConsumer(
            self.settings.topic(CHAT_EVENTS),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.settings.topic("cc-dev-chat-customers"),
            auto_offset_reset="earliest",  # then from where the last run stopped
        )
        async with kafka_io.kafka_errors(self.settings.kafka_bootstrap_servers):
            try:
                await consumer.start()
                async for record in consumer:
                    session_id = _proactive_session(record.value)
                    if session_id is not None:
                        self._spawn(self._invited(session_id))
            finally:
                await consumer.stop()

    async def _invited(self, session_id: str) -> None:
        token = sign_session(self.live.shop_secret, session_id)
        for _ in range(10):  # the chat is committed before its event: there at once, normally
            ticket = await self.widget.invitation(token)
            if ticket is not None:
                await follow(self.widget, ticket, self.live)
                return
            await asyncio.sleep(self.live.poll_seconds)

    async def _start_now_and_then(self) -> None:
        if self.live.start_every_seconds is None:
            return
        while True:
            session_id = f"sess-live-{uuid.uuid4().hex[:8]}"
            self._spawn(self._own_chat(session_id))
            await asyncio.sleep(self.live.start_every_seconds)

    async def _own_chat(self, session_id: str) -> None:
        ticket = await self.widget.start(session_id)
        await self.widget.perform(ticket["token"], Say(opener(ticket["chat_id"])))
        await follow(self.widget, ticket, self.live)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(_logged(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _logged(work: Any) -> None:
    """A customer whose chat fails (chat away, a refusal) is given up; the others go on."""
    try:
        await work
    except (httpx.HTTPError, ChatRefused) as error:
        log.warning("a simulated chat customer gave up: %s", error)


class ChatRefused(Exception):
    """chat answered a customer's call with an error."""


def _proactive_session(raw: bytes | None) -> str | None:
    with contextlib.suppress(ValidationError):
        event = parse(CHAT_EVENTS, raw or b"")
        if isinstance(event, ChatStarted) and event.origin is ChatOrigin.PROACTIVE:
            return event.session_id
    return None


def _json(answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code >= 400:
        raise ChatRefused(
            f"{answer.request.url} answered {answer.status_code}: {answer.text[:300]}"
        )
    body: dict[str, Any] = answer.json()
    return body


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Chat {token}"}

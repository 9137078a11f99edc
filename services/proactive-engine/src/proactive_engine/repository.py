"""Where the engine keeps sessions, pending deadlines, orders, chats and the request ledger.
Every MongoDB call of the service lives here; only features FerretDB 1.x supports are used
(no transactions, no change streams): conditional updates, upserts and unique `_id`s.

Collections: `sessions` (state, `due_at`, lease, fired episodes), `orders` (late / held),
`chats` (open chats), `requests` (the ledger, `_id` = request id), `throttles`
(`_id` = subject and rule: who may be asked again when).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_schemas import (
    AnyChatEvent,
    AnyOrderEvent,
    ChatEnded,
    ChatStarted,
    ContactRequested,
    OrderDelayed,
    OrderHeldAtCarrier,
)
from proactive_engine.session import SessionState

CONCURRENCY = 4  # FerretDB 1.x (SQLite) answers $in on _id by scanning, and fails busy
# (SQLITE_BUSY) under many concurrent writers: a few parallel single-document calls


class SessionConflict(Exception):
    """Another writer changed a session between our read and write; retry the batch."""


@dataclass(frozen=True)
class StoredSession:
    state: SessionState
    version: int  # 0: not stored yet


@dataclass(frozen=True)
class Claimed:
    """A session whose deadline is due, leased to one engine instance."""

    state: SessionState
    version: int
    due_at: datetime


def _gather_limited(coros: list[Any]) -> Any:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def limited(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return asyncio.gather(*(limited(c) for c in coros))


def _state_of(doc: dict[str, Any]) -> SessionState:
    state = SessionState.model_validate(doc["state"])
    return state.model_copy(update={"fired": frozenset(doc.get("fired", ()))})


def order_problem(event: AnyOrderEvent) -> str | None:
    """What is wrong with an order after this event, None when nothing (any longer) is."""
    match event:
        case OrderDelayed():
            return f"delayed until {event.expected_delivery.isoformat()}"
        case OrderHeldAtCarrier():
            return f"held at {event.carrier}: {event.reason}"
    return None


class MongoRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.sessions = db["sessions"]
        self.orders = db["orders"]
        self.chats = db["chats"]
        self.requests = db["requests"]
        self.throttles = db["throttles"]

    async def ensure_indexes(self) -> None:
        await self.sessions.create_index([("due_at", ASCENDING)])
        await self.sessions.create_index([("checked_orders", ASCENDING)])
        await self.chats.create_index([("session_id", ASCENDING)])
        await self.chats.create_index([("customer_id", ASCENDING)])

    # --- sessions, from the shop's events ---

    async def load_sessions(self, session_ids: list[str]) -> dict[str, StoredSession]:
        docs = await _gather_limited([self.sessions.find_one({"_id": s}) for s in session_ids])
        loaded = {}
        for session_id, doc in zip(session_ids, docs, strict=True):
            if doc is None:
                loaded[session_id] = StoredSession(SessionState(session_id=session_id), 0)
            else:
                loaded[session_id] = StoredSession(_state_of(doc), doc["version"])
        return loaded

    async def save_session(
        self, state: SessionState, version: int, due_at: datetime | None
    ) -> None:
        """Store a folded state if nobody else changed it since `version`; else SessionConflict."""
        fields = {
            "state": state.model_dump(mode="python"),
            "due_at": due_at,
            "checked_orders": sorted({s.detail for s in state.status_checks}),
        }
        if version == 0:
            try:
                await self.sessions.insert_one({"_id": state.session_id, "version": 1, **fields})
            except DuplicateKeyError:
                raise SessionConflict(state.session_id) from None
            return
        done = await self.sessions.update_one(
            {"_id": state.session_id, "version": version},
            {"$set": fields, "$inc": {"version": 1}},
        )
        if done.matched_count == 0:
            raise SessionConflict(state.session_id)

    async def save_sessions(self, saves: list[tuple[SessionState, int, datetime | None]]) -> None:
        results = await _gather_limited([self.save_session(*s) for s in saves])
        del results

    # --- orders and chats, from order-events and chat-events ---

    async def record_order(self, event: AnyOrderEvent) -> bool:
        """Keep the order's latest problem (by event time); True when this event is the latest."""
        fields = {"problem": order_problem(event), "at": event.occurred_at, "event": event.event_id}
        newer = {"$or": [{"at": {"$lt": event.occurred_at}}, {"at": event.occurred_at}]}
        try:
            await self.orders.update_one(
                {"_id": event.order_id, **newer}, {"$set": fields}, upsert=True
            )
        except DuplicateKeyError:
            return False  # a later event of the order is already stored
        return True

    async def sessions_checking(self, order_id: str) -> list[str]:
        """Sessions that checked this order: they must be evaluated again when it changes."""
        return [
            d["_id"] async for d in self.sessions.find({"checked_orders": order_id}, {"_id": 1})
        ]

    async def wake(self, session_id: str, now: datetime) -> None:
        await self.sessions.update_one(
            {"_id": session_id}, {"$set": {"due_at": now}, "$inc": {"version": 1}}
        )

    async def reload(self, claimed: Claimed) -> Claimed:
        """The claimed session as stored now (an event may have changed it since the claim)."""
        doc = await self.sessions.find_one({"_id": claimed.state.session_id})
        if doc is None:
            return claimed
        return Claimed(_state_of(doc), doc["version"], doc["due_at"] or claimed.due_at)

    async def order_problems(self, order_ids: list[str]) -> dict[str, str]:
        docs = await _gather_limited([self.orders.find_one({"_id": o}) for o in order_ids])
        return {d["_id"]: d["problem"] for d in docs if d is not None and d.get("problem")}

    async def record_chat(self, event: AnyChatEvent) -> None:
        if isinstance(event, ChatStarted):
            fields: dict[str, Any] = {
                "session_id": event.session_id,
                "customer_id": event.customer_id,
                "started_at": event.occurred_at,
            }
        elif isinstance(event, ChatEnded):
            fields = {"ended_at": event.occurred_at}
        else:
            return
        await self.chats.update_one({"_id": event.chat_id}, {"$set": fields}, upsert=True)

    async def in_chat(self, session_id: str, customer_id: str | None) -> bool:
        parties: list[dict[str, Any]] = [{"session_id": session_id}]
        if customer_id:
            parties.append({"customer_id": customer_id})
        open_chat = {
            "$or": parties,
            "started_at": {"$exists": True},
            "ended_at": {"$exists": False},
        }
        return await self.chats.find_one(open_chat) is not None

    # --- the timer: due sessions, leases, throttles and the ledger ---

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Claimed]:
        """Lease up to `limit` due sessions to `owner`; each is leased to one owner only."""
        free = {"$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}]}
        due = {"due_at": {"$lte": now}, **free}
        cursor = self.sessions.find(due, {"_id": 1}).sort("due_at", ASCENDING).limit(limit)
        ids = [doc["_id"] async for doc in cursor]
        docs = await _gather_limited(
            [
                self.sessions.find_one_and_update(
                    {"_id": session_id, **due},
                    {"$set": {"lease_owner": owner, "lease_until": now + lease}},
                    return_document=ReturnDocument.AFTER,
                )
                for session_id in ids
            ]
        )
        return [Claimed(_state_of(d), d["version"], d["due_at"]) for d in docs if d is not None]

    async def release(
        self,
        claimed: Claimed,
        owner: str,
        fired: list[str],
        due_at: datetime | None,
    ) -> None:
        """Record the fired episodes, set the next deadline and give the lease back. When the
        session changed meanwhile, its writer already set a deadline: keep that one."""
        session_id = claimed.state.session_id
        add_fired = {"$addToSet": {"fired": {"$each": fired}}} if fired else {}
        unchanged = await self.sessions.update_one(
            {"_id": session_id, "lease_owner": owner, "version": claimed.version},
            {"$set": {"due_at": due_at, "lease_until": None}, **add_fired},
        )
        if unchanged.matched_count == 0:
            await self.sessions.update_one(
                {"_id": session_id, "lease_owner": owner},
                {"$set": {"lease_until": None}, **add_fired},
            )

    async def claim_throttle(
        self, subject: str, rule: str, request_id: str, now: datetime, period: timedelta
    ) -> bool:
        """Take the subject's slot for this rule in the current period, unless another request
        holds it (or held the previous slot less than a period ago). A unique `_id` per slot
        makes this atomic even where updates are not; the holder itself (a retry) keeps it."""
        slot = int(now.timestamp() // period.total_seconds())
        key = f"{subject}|{rule}|"
        try:
            await self.throttles.insert_one(
                {"_id": f"{key}{slot}", "request_id": request_id, "at": now}
            )
        except DuplicateKeyError:
            holder = await self.throttles.find_one({"_id": f"{key}{slot}"})
            return holder is not None and holder["request_id"] == request_id
        previous = await self.throttles.find_one({"_id": f"{key}{slot - 1}"})
        if previous is not None and previous["at"] > now - period:
            await self.throttles.delete_one({"_id": f"{key}{slot}", "request_id": request_id})
            return False
        return True

    async def begin_request(
        self, request: ContactRequested, subject: str, owner: str, now: datetime, lease: timedelta
    ) -> dict[str, Any] | None:
        """Enter the request into the ledger; the unique `_id` lets exactly one instance do so.
        Returns the entry whose stored event to publish (a retry publishes the same bytes), or
        None when it is published already or another instance is publishing it right now."""
        entry = {
            "_id": request.request_id,
            "status": "publishing",
            "owner": owner,
            "since": now,
            "session_id": request.session_id,
            "rule": request.rule,
            "subject": subject,
            "event": request.model_dump(mode="json"),
        }
        try:
            await self.requests.insert_one(entry)
        except DuplicateKeyError:
            stored = await self.requests.find_one({"_id": request.request_id})
            if stored is None or stored["status"] == "published":
                return None
            if stored["owner"] != owner and stored["since"] > now - lease:
                return None
            return stored
        return entry

    async def finish_request(self, request_id: str, now: datetime) -> None:
        await self.requests.update_one(
            {"_id": request_id}, {"$set": {"status": "published", "published_at": now}}
        )

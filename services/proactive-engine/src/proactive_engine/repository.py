"""What the engine keeps in MongoDB besides session snapshots (`store.py`): orders that are late
or held, open chats, the once-per-period throttle and the ledger of requests. Only features
FerretDB 1.x supports; the hot path (one timer round) is inserts with unique `_id`s, which stay
fast there and make "exactly one" atomic without transactions.

Collections: `orders` (`_id` = order id: its latest problem), `chats` (`_id` = chat id),
`throttles` (`_id` = subject|rule|slot), `requests` (the ledger, `_id` = request id) and
`published` (`_id` = request id, inserted once Kafka acknowledged the request).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_runtime.mongo import insert_new
from cc_schemas import (
    AnyChatEvent,
    AnyOrderEvent,
    ChatEnded,
    ChatStarted,
    ContactRequested,
    OrderDelayed,
    OrderHeldAtCarrier,
)

CONCURRENCY = 8  # parallel point reads; FerretDB 1.x (SQLite) answers `$in` on _id by scanning
THROTTLE_SLOTS = 4  # slots per throttle period: a request blocks its subject for 1 to 1.25 periods


def _gather_limited(coros: list[Any]) -> Any:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def limited(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return asyncio.gather(*(limited(c) for c in coros))


def order_problem(event: AnyOrderEvent) -> str | None:
    """What is wrong with an order after this event, None when nothing (any longer) is."""
    match event:
        case OrderDelayed():
            return f"delayed until {event.expected_delivery.isoformat()}"
        case OrderHeldAtCarrier():
            return f"held at {event.carrier}: {event.reason}"
    return None


@dataclass(frozen=True)
class ThrottleClaim:
    subject: str
    rule: str
    request_id: str


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger says of a request the engine wants to publish."""

    request: ContactRequested  # the stored event: a retry publishes the same bytes
    publish: bool  # False: published already, or another instance is publishing it
    busy_until: datetime | None = None  # when another instance's attempt may be taken over
    unconfirmed_since: datetime | None = None  # entered then, maybe published, never confirmed


def throttle_slots(claim: ThrottleClaim, now: datetime, period: timedelta) -> list[str]:
    """The slot ids a request at `now` holds: every slot that overlaps [now, now + period].
    Another request for the same subject and rule within a period shares one of them."""
    width = period.total_seconds() / THROTTLE_SLOTS
    first = math.floor(now.timestamp() / width)
    return [f"{claim.subject}|{claim.rule}|{first + i}" for i in range(THROTTLE_SLOTS + 1)]


class MongoRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.orders = db["orders"]
        self.chats = db["chats"]
        self.requests = db["requests"]
        self.published = db["published"]
        self.throttles = db["throttles"]

    async def ensure_indexes(self) -> None:
        await self.chats.create_index([("session_id", ASCENDING)])
        await self.chats.create_index([("customer_id", ASCENDING)])

    # --- orders and chats, from order-events and chat-events ---

    async def record_order(self, event: AnyOrderEvent) -> None:
        """Keep the order's latest problem (by event time); an older event changes nothing."""
        fields = {"problem": order_problem(event), "at": event.occurred_at, "event": event.event_id}
        newer = {"$or": [{"at": {"$lt": event.occurred_at}}, {"at": event.occurred_at}]}
        with contextlib.suppress(DuplicateKeyError):  # a later event of it is stored already
            await self.orders.update_one(
                {"_id": event.order_id, **newer}, {"$set": fields}, upsert=True
            )

    async def order_problems(self, order_ids: Sequence[str]) -> dict[str, str]:
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

    async def chatting(self, session_ids: Sequence[str], customer_ids: Sequence[str]) -> set[str]:
        """Which of these sessions and customers are in an open chat (one query per round)."""
        if not session_ids and not customer_ids:
            return set()
        parties: list[dict[str, Any]] = [{"session_id": {"$in": list(session_ids)}}]
        if customer_ids:
            parties.append({"customer_id": {"$in": list(customer_ids)}})
        open_chats = {
            "$or": parties,
            "started_at": {"$exists": True},
            "ended_at": {"$exists": False},
        }
        found: set[str] = set()
        async for chat in self.chats.find(open_chats, {"session_id": 1, "customer_id": 1}):
            found.update(p for p in (chat.get("session_id"), chat.get("customer_id")) if p)
        return found

    # --- the timer round: throttles and the ledger ---

    async def claim_throttles(
        self, claims: Sequence[ThrottleClaim], now: datetime, period: timedelta
    ) -> set[str]:
        """The request ids that may go out: no other request of the same subject and rule
        within a period. Inserts only: each claim inserts its slots, and a slot already held by
        another request refuses it (the holder itself, a retry, keeps its claim)."""
        docs = [
            {"_id": slot, "request_id": c.request_id, "at": now}
            for c in claims
            for slot in throttle_slots(c, now, period)
        ]
        first_claims = _unique(docs)  # two claims of one round may want the same slot
        inserted = await insert_new(self.throttles, first_claims)
        ours = {d["_id"]: d["request_id"] for d in first_claims if d["_id"] in inserted}
        allowed, refused_slots = set(), []
        for claim in claims:
            slots = throttle_slots(claim, now, period)
            taken = [s for s in slots if ours.get(s) != claim.request_id]
            if not taken or await self._all_held_by(taken, claim.request_id):
                allowed.add(claim.request_id)
            else:
                refused_slots += [s for s in slots if ours.get(s) == claim.request_id]
        if refused_slots:  # rare (one customer, two sessions): give back what it took
            await self.throttles.delete_many({"_id": {"$in": refused_slots}})
        return allowed

    async def _all_held_by(self, slots: list[str], request_id: str) -> bool:
        holders = await _gather_limited([self.throttles.find_one({"_id": s}) for s in slots])
        return all(h is not None and h["request_id"] == request_id for h in holders)

    async def begin_requests(
        self,
        requests: Sequence[ContactRequested],
        owner: str,
        now: datetime,
        lease: timedelta,
    ) -> list[LedgerEntry]:
        """Enter the requests into the ledger; a unique `_id` lets one instance publish each.
        A request already in the ledger is published again only when its publication was
        never confirmed and its owner's lease ran out (a crash between publish and confirm)."""
        entries = {
            r.request_id: {
                "_id": r.request_id,
                "owner": owner,
                "since": now,
                "session_id": r.session_id,
                "rule": r.rule,
                "event": r.model_dump(mode="json"),
            }
            for r in requests
        }
        new = await insert_new(self.requests, list(entries.values()))
        outcomes = []
        for request in requests:
            if request.request_id in new:
                outcomes.append(LedgerEntry(request, publish=True))
            else:
                outcomes.append(await self._known_request(request, owner, now, lease))
        return outcomes

    async def _known_request(
        self, request: ContactRequested, owner: str, now: datetime, lease: timedelta
    ) -> LedgerEntry:
        if await self.published.find_one({"_id": request.request_id}) is not None:
            return LedgerEntry(request, publish=False)
        stored = await self.requests.find_one({"_id": request.request_id})
        if stored is None:  # cannot be: inserts are never undone
            return LedgerEntry(request, publish=False)
        event = ContactRequested.model_validate(stored["event"])
        if stored["owner"] != owner and stored["since"] > now - lease:
            return LedgerEntry(event, publish=False, busy_until=stored["since"] + lease)
        return LedgerEntry(event, publish=True, unconfirmed_since=stored["since"])

    async def confirm_published(self, request_ids: Sequence[str], now: datetime) -> None:
        await insert_new(self.published, [{"_id": r, "at": now} for r in request_ids])

    async def purge(self, before: datetime) -> None:
        """Forget throttles and ledger entries older than any session the engine still keeps
        (FerretDB has no TTL index); each delete is one scan, so it runs rarely."""
        await self.throttles.delete_many({"at": {"$lt": before}})
        await self.requests.delete_many({"since": {"$lt": before}})
        await self.published.delete_many({"at": {"$lt": before}})


def _unique(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First document of each `_id` (two claims of one round may share a slot)."""
    seen: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        seen.setdefault(doc["_id"], doc)
    return list(seen.values())

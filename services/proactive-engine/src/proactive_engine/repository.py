"""What the engine keeps in PostgreSQL besides the session store's rows: orders that are late or
held (from order-events), open chats (from chat-events) and the ledger of contact requests,
which is also the throttle (`ledger.py` holds its rules). Every query of these tables is here.

A timer round makes two transactions. `enter` takes the round's requests into the ledger:
under an advisory lock per (subject, rule), so that two instances never both let one customer
through, it reads the ledger's rows of these requests and of their subjects, lets `ledger.answer`
decide, and inserts the new entries. After Kafka acknowledged the requests, `record_round`
marks them published and stores the sessions whose episodes the round settled, together: a
crash leaves either both or neither, and an entry never marked published is looked for on the
topic before it is published again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from cc_runtime.postgres import Database
from cc_schemas import (
    AnyChatEvent,
    AnyOrderEvent,
    ChatEnded,
    ChatStarted,
    ContactRequested,
    OrderDelayed,
    OrderHeldAtCarrier,
)
from proactive_engine.codec import SessionRow
from proactive_engine.ledger import Answer, Claim, Entry, answer
from proactive_engine.store import upsert_sessions

RECORD_ORDER = """
    INSERT INTO orders (order_id, problem, at, event_id) VALUES ($1, $2, $3, $4)
    ON CONFLICT (order_id) DO UPDATE
        SET problem = excluded.problem, at = excluded.at, event_id = excluded.event_id
        WHERE orders.at <= excluded.at
"""
ORDER_PROBLEMS = """
    SELECT order_id, problem FROM orders
    WHERE order_id = ANY($1::text[]) AND problem IS NOT NULL
"""
CHAT_STARTED = """
    INSERT INTO chats (chat_id, session_id, customer_id, started_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (chat_id) DO UPDATE SET
        session_id = excluded.session_id,
        customer_id = excluded.customer_id,
        started_at = excluded.started_at
"""
CHAT_ENDED = """
    INSERT INTO chats (chat_id, ended_at) VALUES ($1, $2)
    ON CONFLICT (chat_id) DO UPDATE SET ended_at = excluded.ended_at
"""
# Two branches, one per partial index: an OR across both columns lets the planner scan a
# whole index for `ended_at IS NULL` instead.
OPEN_CHATS = """
    SELECT session_id, customer_id FROM chats
    WHERE session_id = ANY($1::text[]) AND ended_at IS NULL AND started_at IS NOT NULL
    UNION ALL
    SELECT session_id, customer_id FROM chats
    WHERE customer_id = ANY($2::text[]) AND ended_at IS NULL AND started_at IS NOT NULL
"""
LOCK_SUBJECTS = """
    SELECT pg_advisory_xact_lock(hashtextextended('proactive-engine throttle ' || key, 0))
    FROM unnest($1::text[]) WITH ORDINALITY AS keys (key, n) ORDER BY n
"""
ENTRIES = """
    SELECT request_id, owner, leased_at, published_at, event FROM requests
    WHERE request_id = ANY($1::text[])
"""
# A claim's time is its request's event time (the deadline it fired at), so that the throttle
# decides the same on a replay; within a period either side, whichever instance came first.
THROTTLE_HOLDERS = """
    SELECT requests.subject, requests.rule, requests.request_id, requests.claimed_at
    FROM unnest($1::text[], $2::text[]) AS wanted (subject, rule)
    JOIN requests ON requests.subject = wanted.subject AND requests.rule = wanted.rule
        AND requests.claimed_at > $3 AND requests.claimed_at < $4
"""
INSERT_ENTRIES = """
    INSERT INTO requests
        (request_id, session_id, subject, rule, owner, claimed_at, leased_at, event)
    SELECT id, session, subject, rule, $5, claimed_at, $6, event::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::text[], $8::timestamptz[])
        AS new (id, session, subject, rule, event, claimed_at)
"""
TAKE_OVER = "UPDATE requests SET owner = $2, leased_at = $3 WHERE request_id = ANY($1::text[])"
MARK_PUBLISHED = """
    UPDATE requests SET published_at = $2
    WHERE request_id = ANY($1::text[]) AND published_at IS NULL
"""
PURGE_REQUESTS = "DELETE FROM requests WHERE claimed_at < $1"


def order_problem(event: AnyOrderEvent) -> str | None:
    """What is wrong with an order after this event, None when nothing (any longer) is."""
    match event:
        case OrderDelayed():
            return f"delayed until {event.expected_delivery.isoformat()}"
        case OrderHeldAtCarrier():
            return f"held at {event.carrier}: {event.reason}"
    return None


class Surroundings(Protocol):
    """What the engine learns from order-events and chat-events."""

    async def record_order(self, event: AnyOrderEvent) -> None:
        """Keep the order's latest problem (by event time); an older event changes nothing."""
        ...

    async def order_problems(self, order_ids: Sequence[str]) -> dict[str, str]: ...

    async def record_chat(self, event: AnyChatEvent) -> None: ...

    async def chatting(self, session_ids: Sequence[str], customer_ids: Sequence[str]) -> set[str]:
        """Which of these sessions and customers are in an open chat."""
        ...


class Ledger(Protocol):
    """The requests a timer round publishes, and the sessions it settles."""

    async def enter(
        self,
        claims: Sequence[Claim],
        owner: str,
        now: datetime,
        lease: timedelta,
        period: timedelta,
    ) -> list[Answer]:
        """Each claim's verdict (`ledger.answer`), the new ones entered, those taken over
        from an instance whose lease ran out marked ours, in one transaction."""
        ...

    async def record_round(
        self, published: Sequence[str], at: datetime, sessions: Sequence[SessionRow]
    ) -> None:
        """Mark these requests published and store these sessions, in one transaction."""
        ...

    async def purge(self, before: datetime) -> None:
        """Forget ledger entries claimed before `before`."""
        ...


class Repository(Surroundings, Ledger, Protocol):
    """Everything but the session store."""


class PostgresRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- orders and chats ---

    async def record_order(self, event: AnyOrderEvent) -> None:
        async with self.database.connection() as connection:
            await connection.execute(
                RECORD_ORDER,
                event.order_id,
                order_problem(event),
                event.occurred_at,
                event.event_id,
            )

    async def order_problems(self, order_ids: Sequence[str]) -> dict[str, str]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(ORDER_PROBLEMS, list(order_ids))
        return {row["order_id"]: row["problem"] for row in rows}

    async def record_chat(self, event: AnyChatEvent) -> None:
        async with self.database.connection() as connection:
            if isinstance(event, ChatStarted):
                await connection.execute(
                    CHAT_STARTED,
                    event.chat_id,
                    event.session_id,
                    event.customer_id,
                    event.occurred_at,
                )
            elif isinstance(event, ChatEnded):
                await connection.execute(CHAT_ENDED, event.chat_id, event.occurred_at)

    async def chatting(self, session_ids: Sequence[str], customer_ids: Sequence[str]) -> set[str]:
        if not session_ids and not customer_ids:
            return set()
        async with self.database.connection() as connection:
            rows = await connection.fetch(OPEN_CHATS, list(session_ids), list(customer_ids))
        return {party for row in rows for party in row.values() if party}

    # --- the ledger ---

    async def enter(
        self,
        claims: Sequence[Claim],
        owner: str,
        now: datetime,
        lease: timedelta,
        period: timedelta,
    ) -> list[Answer]:
        if not claims:
            return []
        ids = [c.request_id for c in claims]
        async with self.database.transaction() as connection:
            keys = sorted(
                {f"{subject}|{rule}" for subject, rule in (c.throttle_key for c in claims)}
            )
            await connection.execute(LOCK_SUBJECTS, keys)
            entries = {r["request_id"]: _entry(r) for r in await connection.fetch(ENTRIES, ids)}
            holders = await self._throttle_holders(connection, claims, period)
            answers = answer(claims, entries, holders, owner, now, lease)
            await _insert_entries(connection, [a for a in answers if a.new], owner, now)
            taken_over = [a.claim.request_id for a in answers if a.unconfirmed_since is not None]
            if taken_over:
                await connection.execute(TAKE_OVER, taken_over, owner, now)
        return answers

    async def _throttle_holders(
        self, connection: Any, claims: Sequence[Claim], period: timedelta
    ) -> dict[tuple[str, str], set[str]]:
        """Per (subject, rule), the requests claimed within a period of one of its claims."""
        subjects = [c.subject for c in claims]
        rules = [c.request.rule for c in claims]
        times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for claim in claims:
            times[claim.throttle_key].append(claim.request.occurred_at)
        since = min(t for ts in times.values() for t in ts) - period
        until = max(t for ts in times.values() for t in ts) + period
        holders: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in await connection.fetch(THROTTLE_HOLDERS, subjects, rules, since, until):
            key = (row["subject"], row["rule"])
            if any(abs(row["claimed_at"] - t) < period for t in times[key]):
                holders[key].add(row["request_id"])
        return holders

    async def record_round(
        self, published: Sequence[str], at: datetime, sessions: Sequence[SessionRow]
    ) -> None:
        if not published and not sessions:
            return
        async with self.database.transaction() as connection:
            if published:
                await connection.execute(MARK_PUBLISHED, list(published), at)
            await upsert_sessions(connection, sessions)

    async def purge(self, before: datetime) -> None:
        async with self.database.connection() as connection:
            await connection.execute(PURGE_REQUESTS, before)


def _entry(row: Any) -> Entry:
    return Entry(
        request=ContactRequested.model_validate_json(row["event"]),
        owner=row["owner"],
        leased_at=row["leased_at"],
        published_at=row["published_at"],
    )


async def _insert_entries(
    connection: Any, new: Sequence[Answer], owner: str, now: datetime
) -> None:
    if not new:
        return
    await connection.execute(
        INSERT_ENTRIES,
        [a.claim.request_id for a in new],
        [a.request.session_id for a in new],
        [a.claim.subject for a in new],
        [a.request.rule for a in new],
        owner,
        now,
        [a.request.model_dump_json() for a in new],
        [a.request.occurred_at for a in new],
    )

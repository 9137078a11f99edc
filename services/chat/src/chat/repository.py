"""Every SQL query of chat: the contact-request queue, each move written with its outcome event
in the outbox (and its audit entry) in one transaction, under the request's row lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from cc_runtime import outbox
from cc_runtime.audit import AuditEntry, record_on
from cc_runtime.postgres import Database
from cc_schemas import (
    CONTACT_OUTCOMES,
    ContactChannel,
    ContactContext,
    ContactPriority,
    Event,
    StrategicLevel,
)
from chat.queue import STRATEGIC_RANK, ContactRequest, State

# A move: the request as stored -> the request after it and the event it publishes. It runs
# under the row lock and may raise `queue.Refused`, which leaves everything as it was.
Move = Callable[[ContactRequest], tuple[ContactRequest, Event]]


class ContactRequests(Protocol):
    async def add(self, request: ContactRequest, event_id: str) -> bool: ...

    async def get(self, request_id: str) -> ContactRequest | None: ...

    async def live(self, now: datetime, limit: int) -> list[ContactRequest]: ...

    async def move(
        self, request_id: str, move: Move, audit: AuditEntry | None = None
    ) -> ContactRequest | None: ...

    async def due_to_expire(self, now: datetime, limit: int) -> list[str]: ...

    async def accepted_before(
        self, customer_id: str, ordered_at: datetime, window: timedelta
    ) -> list[str]: ...


class PostgresContactRequests:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, request: ContactRequest, event_id: str) -> bool:
        """Queue a new request; False when its event or request id is already stored."""
        async with self._database.connection() as connection:
            added = await connection.fetchval(
                "INSERT INTO contact_requests (request_id, event_id, session_id, customer_id, "
                "rule, reason, priority, priority_rank, strategic_level, strategic_rank, "
                "channel, context, requested_at, expires_at, state) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                request.request_id,
                event_id,
                request.session_id,
                request.customer_id,
                request.rule,
                request.reason,
                request.priority.value,
                request.priority.rank,
                request.strategic_level.value if request.strategic_level else None,
                STRATEGIC_RANK[request.strategic_level] if request.strategic_level else None,
                request.channel.value,
                request.context.model_dump_json(),
                request.requested_at,
                request.expires_at,
                request.state.value,
            )
        return bool(added)

    async def get(self, request_id: str) -> ContactRequest | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM contact_requests WHERE request_id = $1", request_id
            )
        return _request(row) if row else None

    async def live(self, now: datetime, limit: int) -> list[ContactRequest]:
        """The waiting requests not yet expired, in the order operators take them."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT * FROM contact_requests WHERE state = 'waiting' AND expires_at > $1 "
                "ORDER BY priority_rank DESC, strategic_rank DESC NULLS LAST, requested_at, "
                "request_id LIMIT $2",
                now,
                limit,
            )
        return [_request(r) for r in rows]

    async def move(
        self, request_id: str, move: Move, audit: AuditEntry | None = None
    ) -> ContactRequest | None:
        """Apply `move` under the request's row lock: of two operators moving one request at
        once, the second sees what the first did. None when there is no such request."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM contact_requests WHERE request_id = $1 FOR UPDATE", request_id
            )
            if row is None:
                return None
            after, event = move(_request(row))
            await connection.execute(
                "UPDATE contact_requests SET state = $2, operator_id = $3, decided_at = $4, "
                "decline_reason = $5, converted_by_order = $6, converted_at = $7 "
                "WHERE request_id = $1",
                request_id,
                after.state.value,
                after.operator_id,
                after.decided_at,
                after.decline_reason,
                after.converted_by_order,
                after.converted_at,
            )
            await outbox.add(connection, [(CONTACT_OUTCOMES, event)])
            if audit is not None:
                await record_on(connection, audit.on(request_id))
        return after

    async def due_to_expire(self, now: datetime, limit: int) -> list[str]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT request_id FROM contact_requests "
                "WHERE state = 'waiting' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
                now,
                limit,
            )
        return [r["request_id"] for r in rows]

    async def accepted_before(
        self, customer_id: str, ordered_at: datetime, window: timedelta
    ) -> list[str]:
        """The customer's accepted requests whose conversion window holds `ordered_at`."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT request_id FROM contact_requests WHERE state = 'accepted' "
                "AND customer_id = $1 AND decided_at <= $2 AND decided_at >= $3 "
                "ORDER BY decided_at",
                customer_id,
                ordered_at,
                ordered_at - window,
            )
        return [r["request_id"] for r in rows]


def _request(row: Any) -> ContactRequest:
    return ContactRequest(
        request_id=row["request_id"],
        session_id=row["session_id"],
        customer_id=row["customer_id"],
        rule=row["rule"],
        reason=row["reason"],
        priority=ContactPriority(row["priority"]),
        strategic_level=StrategicLevel(row["strategic_level"]) if row["strategic_level"] else None,
        channel=ContactChannel(row["channel"]),
        context=ContactContext.model_validate_json(row["context"]),
        requested_at=row["requested_at"],
        expires_at=row["expires_at"],
        state=State(row["state"]),
        operator_id=row["operator_id"],
        decided_at=row["decided_at"],
        decline_reason=row["decline_reason"],
        converted_by_order=row["converted_by_order"],
        converted_at=row["converted_at"],
    )

"""The interactions' writes on crm's `contacts` table: each change of a contact (from
call-events and chat-events, or an operator's edit) stored with its version raised and
published whole on `interactions` through the outbox, in one transaction. An event's id is
claimed in `processed_events` in the same transaction: a redelivery changes and publishes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from cc_runtime import AuditEntry, outbox
from cc_runtime.audit import record_on
from cc_runtime.postgres import Database
from cc_schemas import INTERACTIONS, Actor
from crm.interactions import (
    ChatChange,
    InteractionEdit,
    NoNumber,
    StaleVersion,
    caller_number,
    recorded,
)

CLAIM_EVENT = """
    INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id
"""
CALL_OFFERED = """
    INSERT INTO contacts (contact_id, channel, customer_id, level, presented, queue, started_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (contact_id) DO UPDATE SET
        customer_id = coalesce(contacts.customer_id, excluded.customer_id),
        level = excluded.level, presented = excluded.presented, queue = excluded.queue,
        version = contacts.version + 1
    RETURNING *
"""
CALL_ANSWERED = """
    UPDATE contacts SET answered_at = $2, agent = $3, wait_seconds = $4, outcome = 'answered',
        version = version + 1
    WHERE contact_id = $1
    RETURNING *
"""
CALL_ENDED = """
    UPDATE contacts SET ended_at = $2, agent = coalesce($3, agent),
        wait_seconds = coalesce($4, wait_seconds), talk_seconds = coalesce($5, talk_seconds),
        outcome = $6, version = version + 1
    WHERE contact_id = $1
    RETURNING *
"""
CHAT = {
    "started": """
        INSERT INTO contacts (
            contact_id, channel, customer_id, level, direction, started_at, presented
        )
        VALUES ($1, 'chat', $2, $3, $4, $5, $6)
        ON CONFLICT (contact_id) DO NOTHING
        RETURNING *
    """,
    "agent_joined": """
        UPDATE contacts SET agent = $2, answered_at = coalesce(answered_at, $3),
            outcome = coalesce(outcome, 'answered'), version = version + 1
        WHERE contact_id = $1
        RETURNING *
    """,
    # Only the first reply changes the interaction; later ones tell it nothing new.
    "first_response": """
        UPDATE contacts SET first_response_at = $3, agent = coalesce(agent, $2),
            version = version + 1
        WHERE contact_id = $1 AND first_response_at IS NULL
        RETURNING *
    """,
    "ended": """
        UPDATE contacts SET ended_at = $2, resolved = coalesce(resolved, $3),
            outcome = coalesce(outcome, 'ended'), version = version + 1
        WHERE contact_id = $1
        RETURNING *
    """,
}
LOCK_CONTACT = "SELECT * FROM contacts WHERE contact_id = $1 FOR UPDATE"
READ_CONTACT = "SELECT * FROM contacts WHERE contact_id = $1"
EDIT = """
    UPDATE contacts SET reason = $2, notes = $3, order_id = $4, product = $5, resolved = $6,
        updated_by = $7, updated_at = $8, version = version + 1
    WHERE contact_id = $1
    RETURNING *
"""
LINK_CUSTOMER = """
    UPDATE contacts SET customer_id = $2, linked_by = $3, linked_at = $4,
        linked_from_level = level, version = version + 1
    WHERE contact_id = $1
    RETURNING *
"""
CUSTOMER_EXISTS = "SELECT 1 FROM customers WHERE customer_id = $1"
# No duplicate: a number the customer already has is left as it is.
ADD_PHONE = """
    INSERT INTO customer_phones (customer_id, e164, national, raw, position, added_by, added_at)
    SELECT $1, $2, $3, $2, coalesce(max(position) + 1, 0), $4, $5
    FROM customer_phones WHERE customer_id = $1
    ON CONFLICT (customer_id, e164) DO NOTHING
    RETURNING e164
"""


@dataclass(frozen=True)
class ContactStart:
    contact_id: str
    channel: str
    customer_id: str | None
    level: str
    presented: str | None
    queue: str | None
    started_at: datetime


@dataclass(frozen=True)
class ContactEnd:
    contact_id: str
    at: datetime
    agent: str | None
    wait_seconds: float | None
    talk_seconds: float | None
    outcome: str


class ContactRepository(Protocol):
    async def started(self, event_id: str, contact: ContactStart) -> None: ...

    async def answered(
        self, event_id: str, contact_id: str, at: datetime, agent: str, wait: float
    ) -> None: ...

    async def ended(self, event_id: str, end: ContactEnd) -> None: ...

    async def chat(self, event_id: str, change: ChatChange, at: datetime) -> None: ...


class NotAttachable(Exception):
    """The customer named is not one crm holds, or the number asked for cannot be added."""


class PostgresInteractions:
    """Contacts as interactions; `written` wakes the outbox relay after a commit."""

    def __init__(self, database: Database, written: Callable[[], None]) -> None:
        self.database, self.written = database, written

    async def _apply(self, event_id: str, sql: str, *args: Any) -> None:
        async with self.database.transaction() as connection:
            if await connection.fetchval(CLAIM_EVENT, event_id) is None:
                return  # applied before
            row = await connection.fetchrow(sql, *args)
            if row is None:
                return  # a contact crm never saw start: nothing to record
            await _publish(connection, dict(row), None)
        self.written()

    async def started(self, event_id: str, contact: ContactStart) -> None:
        await self._apply(
            event_id,
            CALL_OFFERED,
            contact.contact_id,
            contact.channel,
            contact.customer_id,
            contact.level,
            contact.presented,
            contact.queue,
            contact.started_at,
        )

    async def answered(
        self, event_id: str, contact_id: str, at: datetime, agent: str, wait: float
    ) -> None:
        await self._apply(event_id, CALL_ANSWERED, contact_id, at, agent, wait)

    async def ended(self, event_id: str, end: ContactEnd) -> None:
        await self._apply(
            event_id,
            CALL_ENDED,
            end.contact_id,
            end.at,
            end.agent,
            end.wait_seconds,
            end.talk_seconds,
            end.outcome,
        )

    async def chat(self, event_id: str, change: ChatChange, at: datetime) -> None:
        await self._apply(event_id, CHAT[change.kind], *change.values)

    async def read(self, contact_id: str) -> dict[str, Any] | None:
        async with self.database.connection() as connection:
            row = await connection.fetchrow(READ_CONTACT, contact_id)
        return None if row is None else dict(row)

    async def edit(
        self, contact_id: str, expected: int, edit: InteractionEdit, write: AuditEntry
    ) -> dict[str, Any] | None:
        """The operator's edit on the version they read; None for an unknown contact,
        StaleVersion when another write came first."""
        async with self.database.transaction() as connection:
            row = await _locked(connection, contact_id, expected)
            if row is None:
                return None
            after = edit.applied_to(row)
            changed = await connection.fetchrow(
                EDIT,
                contact_id,
                after["reason"],
                after["notes"],
                after["order_id"],
                after["product"],
                after["resolved"],
                write.subject,
                write.at,
            )
            await _written(connection, dict(changed), write.on(contact_id))
        self.written()
        return dict(changed)

    async def attach(
        self,
        contact_id: str,
        expected: int,
        customer_id: str,
        write: AuditEntry,
        add_number_in: str | None = None,
    ) -> dict[str, Any] | None:
        """Manual identification: the contact attached to a customer crm holds; with
        `add_number_in` (the region of numbers without a prefix) the caller's number joins the
        customer's phones too, audited, so that their next call is known."""
        async with self.database.transaction() as connection:
            row = await _locked(connection, contact_id, expected)
            if row is None:
                return None
            if await connection.fetchval(CUSTOMER_EXISTS, customer_id) is None:
                raise NotAttachable(f"no customer {customer_id!r}")
            if add_number_in is not None:
                await _add_number(connection, row, customer_id, add_number_in, write)
            changed = await connection.fetchrow(
                LINK_CUSTOMER, contact_id, customer_id, write.subject, write.at
            )
            await _written(connection, dict(changed), write.on(contact_id))
        self.written()
        return dict(changed)


async def _add_number(
    connection: Any, row: dict[str, Any], customer_id: str, region: str, write: AuditEntry
) -> None:
    try:
        phone = caller_number(row, region)
    except NoNumber as error:
        raise NotAttachable(str(error)) from None
    added = await connection.fetchval(
        ADD_PHONE, customer_id, phone.e164, phone.national, write.subject, write.at
    )
    if added is not None:
        action = f"{write.action}: phone {phone.e164} added"
        await record_on(connection, replace(write, action=action, target=customer_id))


async def _locked(connection: Any, contact_id: str, expected: int) -> dict[str, Any] | None:
    row = await connection.fetchrow(LOCK_CONTACT, contact_id)
    if row is None:
        return None
    if row["version"] != expected:
        raise StaleVersion(dict(row))
    return dict(row)


async def _written(connection: Any, row: dict[str, Any], write: AuditEntry) -> None:
    """An operator's write: audited and published in its transaction, with them as actor."""
    await record_on(connection, write)
    await _publish(connection, row, Actor(subject=write.subject, role=write.role), write.at)


async def _publish(
    connection: Any, row: dict[str, Any], actor: Actor | None, at: datetime | None = None
) -> None:
    await outbox.add(connection, [(INTERACTIONS, recorded(row, at, actor))])

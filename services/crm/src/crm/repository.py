"""crm's PostgreSQL tables and their queries: customers with their phones, e-mails and
handles (from customer-events and bulk imports), the lookups recognition makes, orders
(order-events), claims (ticket-opened / ticket-closed), a customer's contacts and open cases as
the 360 reads them, the summary an operator sees first, and the audit of a competence set (in
its transaction). Contacts' and cases' writes: interaction_repository, case_repository."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cc_attachments import BlobStore
from cc_runtime import AuditEntry, outbox
from cc_runtime.audit import record_on
from cc_runtime.postgres import Database
from cc_schemas import CUSTOMER_EVENTS, ORDER_COMMANDS, CustomerErased, OrderCommand
from crm.customers import Customer
from crm.order_requests import OrderState, Pending, RequestKind, Settled
from crm.orders import IN_PROGRESS, VALUED, OrderChange
from crm.recognition import Lookups

UPSERT_CUSTOMERS = """
    INSERT INTO customers AS c (customer_id, first_name, last_name, language, loyalty_tier,
                                profile, source, updated_at)
    SELECT id, first, last, lang, tier, profile::jsonb, source, at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::timestamptz[]) AS r (id, first, last, lang, tier, profile,
                                                     source, at)
    -- an erased customer stays erased: a late or replayed record does not bring them back
    WHERE NOT EXISTS (SELECT 1 FROM erasures e WHERE e.customer_id = r.id)
    ON CONFLICT (customer_id) DO UPDATE SET
        first_name = excluded.first_name, last_name = excluded.last_name,
        language = excluded.language, loyalty_tier = excluded.loyalty_tier,
        profile = excluded.profile, source = excluded.source, updated_at = excluded.updated_at
    WHERE c.updated_at <= excluded.updated_at
    RETURNING customer_id
"""
# The shop's numbers are replaced; one an operator added stays (see migration 0011).
DELETE_PHONES = """
    DELETE FROM customer_phones WHERE customer_id = ANY($1::text[]) AND added_by IS NULL
"""
DELETE_EMAILS = "DELETE FROM customer_emails WHERE customer_id = ANY($1::text[])"
DELETE_HANDLES = "DELETE FROM customer_handles WHERE customer_id = ANY($1::text[])"
INSERT_PHONES = """
    INSERT INTO customer_phones (customer_id, e164, national, raw, position)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[])
    ON CONFLICT (customer_id, e164) DO UPDATE SET
        national = excluded.national, raw = excluded.raw, position = excluded.position,
        added_by = NULL, added_at = NULL
"""
INSERT_EMAILS = """
    INSERT INTO customer_emails (customer_id, address, raw, position)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[])
"""
INSERT_HANDLES = """
    INSERT INTO customer_handles (customer_id, network, handle, raw)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
"""
CLAIM_EVENT = """
    INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id
"""
BY_E164 = "SELECT DISTINCT customer_id FROM customer_phones WHERE e164 = $1 ORDER BY 1"
BY_NATIONAL = "SELECT DISTINCT customer_id FROM customer_phones WHERE national = $1 ORDER BY 1"
BY_EMAIL = "SELECT DISTINCT customer_id FROM customer_emails WHERE address = $1 ORDER BY 1"
BY_HANDLE = "SELECT DISTINCT customer_id FROM customer_handles WHERE handle = $1 ORDER BY 1"
# Another customer shares a phone or an e-mail: a possible duplicate (an admin decides).
DUPLICATES_OF = """
    SELECT mine.customer_id, other.customer_id AS other
    FROM customer_phones mine JOIN customer_phones other
        ON other.e164 = mine.e164 AND other.customer_id <> mine.customer_id
    WHERE mine.customer_id = ANY($1::text[])
    UNION
    SELECT mine.customer_id, other.customer_id
    FROM customer_emails mine JOIN customer_emails other
        ON other.address = mine.address AND other.customer_id <> mine.customer_id
    WHERE mine.customer_id = ANY($1::text[])
"""


class CustomerRepository(Protocol):
    async def apply(self, event_id: str, customer: Customer) -> bool:
        """Store a customer-events record once; False when its event_id was applied before."""

    async def upsert(self, customers: Sequence[Customer]) -> int:
        """Store customers (an import's batch); returns how many were written."""

    async def duplicates_of(self, customer_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each of these customers that shares a phone or e-mail: the others."""


class PostgresCustomers:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def apply(self, event_id: str, customer: Customer) -> bool:
        async with self.database.transaction() as connection:
            if await connection.fetchval(CLAIM_EVENT, event_id) is None:
                return False
            await _upsert(connection, [customer])
        return True

    async def upsert(self, customers: Sequence[Customer]) -> int:
        async with self.database.transaction() as connection:
            return await _upsert(connection, customers)

    async def duplicates_of(self, customer_ids: Sequence[str]) -> dict[str, list[str]]:
        async with self.database.connection() as connection:
            return await duplicates_on(connection, customer_ids)


async def duplicates_on(connection: Any, customer_ids: Sequence[str]) -> dict[str, list[str]]:
    """Other customers sharing a phone or an e-mail with each of these."""
    rows = await connection.fetch(DUPLICATES_OF, list(customer_ids))
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["customer_id"], []).append(row["other"])
    return {k: sorted(v) for k, v in found.items()}


async def _upsert(connection: Any, customers: Sequence[Customer]) -> int:
    latest = {c.customer_id: c for c in customers}  # the same id twice in a batch: the last wins
    batch = list(latest.values())
    written = await connection.fetch(
        UPSERT_CUSTOMERS,
        [c.customer_id for c in batch],
        [c.first_name for c in batch],
        [c.last_name for c in batch],
        [c.language for c in batch],
        [c.loyalty_tier for c in batch],
        [json.dumps(c.profile) for c in batch],
        [c.source for c in batch],
        [c.updated_at for c in batch],
    )
    ids = [row["customer_id"] for row in written]
    if not ids:
        return 0
    for delete in (DELETE_PHONES, DELETE_EMAILS, DELETE_HANDLES):
        await connection.execute(delete, ids)
    await _insert_contact_points(connection, [latest[i] for i in ids])
    return len(ids)


async def _insert_contact_points(connection: Any, customers: Sequence[Customer]) -> None:
    phones = [
        (c.customer_id, p.e164, p.national, raw, n)
        for c in customers
        for n, (raw, p) in enumerate(c.phones)
    ]
    emails = [(c.customer_id, e, raw, n) for c in customers for n, (raw, e) in enumerate(c.emails)]
    handles = [(c.customer_id, net, h, raw) for c in customers for net, raw, h in c.handles]
    for sql, rows in ((INSERT_PHONES, phones), (INSERT_EMAILS, emails), (INSERT_HANDLES, handles)):
        if rows:
            await connection.execute(sql, *(list(column) for column in zip(*rows, strict=True)))


APPLY_ORDER = """
    INSERT INTO orders AS o (order_id, customer_id, status, status_at, status_reason, placed_at,
                             total_cents, currency, carrier, tracking_number, tracking_url,
                             expected_delivery)
    VALUES ($1, (SELECT $2::text WHERE NOT EXISTS (SELECT 1 FROM erasures WHERE customer_id = $2)),
            coalesce($3, 'placed'),
            CASE WHEN $3::text IS NULL THEN '-infinity'::timestamptz ELSE $4 END,
            $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (order_id) DO UPDATE SET
        customer_id = coalesce(excluded.customer_id, o.customer_id),
        placed_at = coalesce(o.placed_at, excluded.placed_at),
        total_cents = coalesce(excluded.total_cents, o.total_cents),
        currency = coalesce(excluded.currency, o.currency),
        carrier = coalesce(excluded.carrier, o.carrier),
        tracking_number = coalesce(excluded.tracking_number, o.tracking_number),
        tracking_url = coalesce(excluded.tracking_url, o.tracking_url),
        expected_delivery = coalesce(excluded.expected_delivery, o.expected_delivery),
        -- a status older than the one held (a replayed or late event) does not win
        status = CASE WHEN $3 IS NOT NULL AND $4 >= o.status_at THEN $3 ELSE o.status END,
        status_reason = CASE WHEN $3 IS NOT NULL AND $4 >= o.status_at
                             THEN $5 ELSE o.status_reason END,
        status_at = CASE WHEN $3 IS NOT NULL AND $4 >= o.status_at THEN $4 ELSE o.status_at END
"""
CLAIM_OPENED = """
    INSERT INTO claims (ticket_id, customer_id, opened_at) VALUES ($1, $2, $3)
    ON CONFLICT (ticket_id) DO UPDATE
        SET customer_id = excluded.customer_id, opened_at = excluded.opened_at
"""
CLAIM_CLOSED = """
    INSERT INTO claims (ticket_id, closed_at) VALUES ($1, $2)
    ON CONFLICT (ticket_id) DO UPDATE SET closed_at = excluded.closed_at
"""
SET_COMPETENCE = """
    UPDATE customers SET competence_needed = $2, competence_set_by = $3
    WHERE customer_id = $1 RETURNING customer_id
"""
# What an operator sees in the first second, for each of a few customers, in one round trip.
SUMMARIES = """
    SELECT c.customer_id, c.first_name, c.last_name, c.language, c.loyalty_tier,
           c.competence_needed, c.profile -> 'opt_outs' AS opt_outs,
           v.orders_12m, v.spend_12m, v.in_progress,
           (SELECT count(*) FROM claims WHERE customer_id = c.customer_id
                AND closed_at IS NULL) AS open_claims,
           (SELECT count(*) FROM contacts WHERE customer_id = c.customer_id
                AND started_at >= $5) AS recent_contacts,
           (SELECT max(started_at) FROM contacts
                WHERE customer_id = c.customer_id) AS last_contact_at,
           EXISTS (SELECT 1 FROM customer_phones mine JOIN customer_phones other
                       ON other.e164 = mine.e164 AND other.customer_id <> mine.customer_id
                   WHERE mine.customer_id = c.customer_id)
           OR EXISTS (SELECT 1 FROM customer_emails mine JOIN customer_emails other
                       ON other.address = mine.address AND other.customer_id <> mine.customer_id
                   WHERE mine.customer_id = c.customer_id) AS possible_duplicate
    FROM customers c
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE o.placed_at >= $2 AND o.status = ANY($3::text[]))
                   AS orders_12m,
               coalesce(sum(o.total_cents) FILTER (
                   WHERE o.placed_at >= $2 AND o.status = ANY($3::text[]) AND o.currency = $4
               ), 0) AS spend_12m,
               count(*) FILTER (WHERE o.status = ANY($6::text[])) AS in_progress
        FROM orders o WHERE o.customer_id = c.customer_id
    ) v
    WHERE c.customer_id = ANY($1::text[])
    ORDER BY c.customer_id
"""


# What an order-event does to the request waiting on its order (crm.order_requests.settlement).
Settle = Callable[[RequestKind, OrderState], Settled | None]


class OrderRepository(Protocol):
    async def apply(self, event_id: str, change: OrderChange, settle: Settle) -> bool:
        """Apply an order event once, and settle the request waiting on the order with it;
        False when its event_id was applied before."""

    async def claim_opened(self, ticket_id: str, customer_id: str, at: datetime) -> None: ...

    async def claim_closed(self, ticket_id: str, at: datetime) -> None: ...


ORDER_STATE = "SELECT order_id, status, carrier FROM orders WHERE order_id = $1 FOR UPDATE"
WAITING_REQUEST = """
    SELECT request_id, kind, requested_by, requested_at FROM order_requests
    WHERE order_id = $1 AND state = 'requested' FOR UPDATE
"""
SETTLE_REQUEST = """
    UPDATE order_requests SET state = $2, settled_at = $3, outcome = $4 WHERE request_id = $1
"""
INSERT_REQUEST = """
    INSERT INTO order_requests (request_id, order_id, kind, state, reason, detail, requested_by,
                                requested_at)
    VALUES ($1, $2, $3, 'requested', $4, $5::jsonb, $6, $7)
"""
REQUESTS_OF_ORDER = """
    SELECT request_id, order_id, kind, state, reason, detail, requested_by, requested_at,
           settled_at, outcome
    FROM order_requests WHERE order_id = $1 ORDER BY requested_at DESC, request_id
"""
ORDER = """
    SELECT order_id, customer_id, status, status_at, status_reason, placed_at, total_cents,
           currency, carrier, tracking_number, tracking_url, expected_delivery,
           (SELECT kind FROM order_requests r WHERE r.order_id = o.order_id
                AND r.state = 'requested') AS waiting_request
    FROM orders o WHERE order_id = $1
"""


def _order_state(row: Any) -> OrderState:
    return OrderState(row["order_id"], row["status"], row["carrier"])


async def _settle_waiting(connection: Any, change: OrderChange, settle: Settle) -> None:
    waiting = await connection.fetchrow(WAITING_REQUEST, change.order_id)
    if waiting is None:
        return
    order = _order_state(await connection.fetchrow(ORDER_STATE, change.order_id))
    settled = settle(RequestKind(waiting["kind"]), order)
    if settled is not None:
        await connection.execute(
            SETTLE_REQUEST, waiting["request_id"], settled.state.value, change.at, settled.outcome
        )


@dataclass(frozen=True)
class NewRequest:
    """A request an order can take: stored, audited and published together."""

    request_id: str
    order_id: str
    kind: RequestKind
    reason: str
    detail: dict[str, Any]
    write: AuditEntry
    command: OrderCommand


# What a request becomes, given the order's state and the request waiting on it: a new request,
# or the reason it is refused.
Decide = Callable[[OrderState, Pending | None], NewRequest | str]


class OrderRequestRepository(Protocol):
    async def request(self, order_id: str, decide: Decide) -> NewRequest | str | None:
        """Decide on the order as it stands (locked) and store what was decided; None when
        crm does not know the order."""

    async def order(self, order_id: str) -> dict[str, Any] | None: ...

    async def requests_of(self, order_id: str) -> list[dict[str, Any]]: ...


class PostgresOrderRequests:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def request(self, order_id: str, decide: Decide) -> NewRequest | str | None:
        async with self.database.transaction() as connection:
            row = await connection.fetchrow(ORDER_STATE, order_id)  # two operators: one waits
            if row is None:
                return None
            waiting = await connection.fetchrow(WAITING_REQUEST, order_id)
            pending = (
                Pending(
                    RequestKind(waiting["kind"]), waiting["requested_by"], waiting["requested_at"]
                )
                if waiting
                else None
            )
            decided = decide(_order_state(row), pending)
            if isinstance(decided, NewRequest):
                await _store_request(connection, decided)
        return decided

    async def order(self, order_id: str) -> dict[str, Any] | None:
        async with self.database.connection() as connection:
            row = await connection.fetchrow(ORDER, order_id)
        return dict(row) if row else None

    async def requests_of(self, order_id: str) -> list[dict[str, Any]]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(REQUESTS_OF_ORDER, order_id)
        return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]


async def _store_request(connection: Any, new: NewRequest) -> None:
    await connection.execute(
        INSERT_REQUEST,
        new.request_id,
        new.order_id,
        new.kind.value,
        new.reason,
        json.dumps(new.detail),
        new.write.subject,
        new.write.at,
    )
    await record_on(connection, new.write.on(new.order_id))
    await outbox.add(connection, [(ORDER_COMMANDS, new.command)])


class PostgresOrders:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def apply(self, event_id: str, change: OrderChange, settle: Settle) -> bool:
        async with self.database.transaction() as connection:
            if await connection.fetchval(CLAIM_EVENT, event_id) is None:
                return False
            await connection.execute(
                APPLY_ORDER,
                change.order_id,
                change.customer_id,
                change.status,
                change.at,
                change.reason,
                change.placed_at,
                change.total_cents,
                change.currency,
                change.carrier,
                change.tracking_number,
                change.tracking_url,
                change.expected_delivery,
            )
            await _settle_waiting(connection, change, settle)
        return True

    async def claim_opened(self, ticket_id: str, customer_id: str, at: datetime) -> None:
        async with self.database.connection() as connection:
            await connection.execute(CLAIM_OPENED, ticket_id, customer_id, at)

    async def claim_closed(self, ticket_id: str, at: datetime) -> None:
        async with self.database.connection() as connection:
            await connection.execute(CLAIM_CLOSED, ticket_id, at)


@dataclass(frozen=True)
class SummaryWindow:
    """What the summary counts: orders placed since `value_since` in `currency`, contacts
    since `recent_since`."""

    value_since: datetime
    recent_since: datetime
    currency: str


class Reads(Protocol):
    """Recognition's reads, on one connection: each pooled connection given back costs a
    round trip (asyncpg resets it), a third of an identify's time on the database."""

    lookups: Lookups

    async def summary_rows(
        self, customer_ids: Sequence[str], window: SummaryWindow
    ) -> list[dict[str, Any]]: ...

    async def customer_parts(
        self, customer_id: str, before: tuple[datetime, str], limit: int
    ) -> dict[str, Any] | None:
        """What the 360 shows of a customer besides the summary; None for an unknown id."""


class ConnectionReads:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.lookups = Lookups(
            by_e164=lambda key: self._matching(BY_E164, key),
            by_national=lambda key: self._matching(BY_NATIONAL, key),
            by_email=lambda key: self._matching(BY_EMAIL, key),
            by_handle=lambda key: self._matching(BY_HANDLE, key),
        )

    async def _matching(self, query: str, value: str) -> list[str]:
        return [row["customer_id"] for row in await self.connection.fetch(query, value)]

    async def summary_rows(
        self, customer_ids: Sequence[str], window: SummaryWindow
    ) -> list[dict[str, Any]]:
        rows = await self.connection.fetch(
            SUMMARIES,
            list(customer_ids),
            window.value_since,
            list(VALUED),
            window.currency,
            window.recent_since,
            list(IN_PROGRESS),
        )
        return [dict(row) | {"opt_outs": json.loads(row["opt_outs"] or "[]")} for row in rows]

    async def customer_parts(
        self, customer_id: str, before: tuple[datetime, str], limit: int
    ) -> dict[str, Any] | None:
        # one connection, two statements: each connection given back to the pool, and each
        # statement, costs a round trip
        row = await self.connection.fetchrow(CUSTOMER_360, customer_id, list(IN_PROGRESS))
        if row is None:
            return None
        page = await self.connection.fetch(CONTACTS_PAGE, customer_id, *before, limit)
        lists = ("phones", "duplicates", "orders", "open_cases")
        return {
            "record": dict(row) | {"profile": json.loads(row["profile"])},
            **{name: json.loads(row[name]) for name in lists},
            "contacts": [dict(r) for r in page],
        }


class PostgresSummaries:
    def __init__(self, database: Database) -> None:
        self.database = database

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Reads]:
        async with self.database.connection() as connection:
            yield ConnectionReads(connection)

    async def set_competence(
        self, customer_id: str, competence: str | None, write: AuditEntry
    ) -> bool:
        """Set it and audit the write together; False (nothing audited) for an unknown id."""
        async with self.database.transaction() as connection:
            found = await connection.fetchval(
                SET_COMPETENCE, customer_id, competence, write.subject
            )
            if found is not None:
                await record_on(connection, write.on(customer_id))
        return found is not None


# The 360's record and lists in one statement (each list as a JSON array): one round trip
# where a statement per list made five.
CUSTOMER_360 = """
    SELECT c.customer_id, c.first_name, c.last_name, c.language, c.loyalty_tier, c.profile,
        c.competence_needed, c.source, c.updated_at,
        (SELECT coalesce(jsonb_agg(p ORDER BY p.position), '[]')
         FROM (SELECT raw, e164, position FROM customer_phones WHERE customer_id = $1) p
        ) AS phones,
        (SELECT coalesce(jsonb_agg(DISTINCT d.other ORDER BY d.other), '[]')
         FROM (SELECT other.customer_id AS other
               FROM customer_phones mine JOIN customer_phones other
                   ON other.e164 = mine.e164 AND other.customer_id <> mine.customer_id
               WHERE mine.customer_id = $1
               UNION
               SELECT other.customer_id
               FROM customer_emails mine JOIN customer_emails other
                   ON other.address = mine.address AND other.customer_id <> mine.customer_id
               WHERE mine.customer_id = $1) d
        ) AS duplicates,
        (SELECT coalesce(jsonb_agg(o ORDER BY o.placed_at DESC NULLS LAST), '[]')
         FROM (SELECT order_id, status, status_at, status_reason, placed_at, total_cents,
                      currency, carrier, tracking_number, tracking_url, expected_delivery,
                      (SELECT kind FROM order_requests r WHERE r.order_id = o.order_id
                           AND r.state = 'requested') AS waiting_request
               FROM orders o WHERE customer_id = $1 AND status = ANY($2::text[])) o
        ) AS orders,
        (SELECT coalesce(jsonb_agg(k ORDER BY k.last_contact_at DESC), '[]')
         FROM (SELECT case_id, title, reason, order_id, product, opened_at, last_contact_at,
                      version,
                      (SELECT count(*) FROM contacts n WHERE n.case_id = cases.case_id)
                          AS contacts
               FROM cases WHERE customer_id = $1 AND state = 'open'
               ORDER BY last_contact_at DESC LIMIT 50) k
        ) AS open_cases
    FROM customers c WHERE c.customer_id = $1
"""
CONTACTS_PAGE = """
    SELECT contact_id, channel, direction, level, presented, queue, agent, started_at,
           answered_at, first_response_at, ended_at, wait_seconds, talk_seconds, outcome,
           resolved, reason, notes, order_id, product, case_id, version, linked_by
    FROM contacts
    WHERE customer_id = $1 AND (started_at, contact_id) < ($2, $3)
    ORDER BY started_at DESC, contact_id DESC
    LIMIT $4
"""


# GDPR: what crm holds of one customer, table by table (the export), and the erasure.
EXPORT = {
    # table names and conditions from this literal list only
    table: f"SELECT to_jsonb(t) AS row FROM {table} t WHERE {where} ORDER BY 1"  # noqa: S608
    for table, where in (
        ("customers", "customer_id = $1"),
        ("customer_phones", "customer_id = $1"),
        ("customer_emails", "customer_id = $1"),
        ("customer_handles", "customer_id = $1"),
        ("orders", "customer_id = $1"),
        ("order_requests", "order_id IN (SELECT order_id FROM orders WHERE customer_id = $1)"),
        ("claims", "customer_id = $1"),
        ("contacts", "customer_id = $1"),
        ("cases", "customer_id = $1"),
        (
            "attachments",
            "(owner_kind = 'contact' AND owner_id IN "
            "(SELECT contact_id FROM contacts WHERE customer_id = $1)) OR (owner_kind = 'case' "
            "AND owner_id IN (SELECT case_id FROM cases WHERE customer_id = $1))",
        ),
        ("case_history", "case_id IN (SELECT case_id FROM cases WHERE customer_id = $1)"),
        ("audit", "target = $1"),
    )
}
CUSTOMER_KNOWN = "SELECT 1 FROM customers WHERE customer_id = $1 FOR UPDATE"
ALREADY_ERASED = "SELECT erased_at FROM erasures WHERE customer_id = $1"
RECORD_ERASURE = """
    INSERT INTO erasures (customer_id, erased_at, reason) VALUES ($1, $2, $3)
    ON CONFLICT (customer_id) DO NOTHING
"""
# The record goes with its phones, e-mails and handles (ON DELETE CASCADE): nothing of it is kept.
DELETE_CUSTOMER = """
    WITH points AS (
        SELECT (SELECT count(*) FROM customer_phones WHERE customer_id = $1)
             + (SELECT count(*) FROM customer_emails WHERE customer_id = $1)
             + (SELECT count(*) FROM customer_handles WHERE customer_id = $1) AS n
    ), gone AS (DELETE FROM customers WHERE customer_id = $1 RETURNING 1)
    SELECT (SELECT n FROM points) AS contact_points, (SELECT count(*) FROM gone) AS records
"""
# Contacts, orders and claims stay as statistics under one random pseudonym (their figures
# still count together; a hash of the id would lead back to the customer); the number the
# caller presented, the operators' notes about them and the parcel's tracking (which leads to
# an address) go.
PSEUDONYMISE_CONTACTS = """
    UPDATE contacts SET customer_id = $2, presented = NULL, notes = NULL WHERE customer_id = $1
"""
PSEUDONYMISE_ORDERS = """
    UPDATE orders SET customer_id = $2, tracking_number = NULL, tracking_url = NULL
    WHERE customer_id = $1
"""
PSEUDONYMISE_CLAIMS = "UPDATE claims SET customer_id = $2 WHERE customer_id = $1"
# A case's words (title, problem, resolution) are about the customer: the case stays counted,
# its words go (and with them its place in the full-text search and the FAQ miner's reading).
# Their attachments go, content included once no other row names it (the blob store is shared by
# every contact and case, content-addressed).
DELETE_ATTACHMENTS = """
    DELETE FROM attachments a
    WHERE (owner_kind = 'contact'
           AND owner_id IN (SELECT contact_id FROM contacts WHERE customer_id = $1))
       OR (owner_kind = 'case'
           AND owner_id IN (SELECT case_id FROM cases WHERE customer_id = $1))
    RETURNING sha256
"""
STILL_NAMED = "SELECT DISTINCT sha256 FROM attachments WHERE sha256 = ANY($1::text[])"
PSEUDONYMISE_CASES = """
    UPDATE cases SET customer_id = $2, title = '[erased]', problem = NULL, resolution = NULL
    WHERE customer_id = $1
"""
# What operators asked of their orders may hold an address or their words about the customer.
ERASE_ORDER_REQUESTS = """
    UPDATE order_requests SET reason = '[erased]', detail = '{}'::jsonb
    WHERE order_id IN (SELECT order_id FROM orders WHERE customer_id = $1)
"""


@dataclass(frozen=True)
class Erasure:
    """Forget one customer. `event_id`: the customer.erased that asked (applied once);
    `write`: the admin's request (audited); `publish`: the event crm publishes (outbox)."""

    customer_id: str
    at: datetime
    reason: str | None
    event_id: str | None = None
    write: AuditEntry | None = None
    publish: CustomerErased | None = None


@dataclass(frozen=True)
class Erased:
    """What an erasure did: `known` False when crm held no record of the customer (an event
    still records the erasure), `already` when they were erased before (nothing changed)."""

    customer_id: str
    known: bool
    already: bool
    contact_points_deleted: int = 0
    contacts_anonymised: int = 0
    orders_anonymised: int = 0
    claims_anonymised: int = 0
    attachments_deleted: int = 0
    unnamed_blobs: tuple[str, ...] = ()  # content no row names any more, deleted after commit


class ErasureRepository(Protocol):
    async def export(self, customer_id: str) -> dict[str, list[dict[str, Any]]] | None:
        """Every row of every crm table about the customer; None when crm does not know them."""

    async def erase(self, erasure: Erasure) -> Erased:
        """Erase, record, audit and publish in one transaction."""


def _count(status: str) -> int:
    return int(status.split()[-1])  # "UPDATE 3"


class PostgresErasures:
    def __init__(self, database: Database, blobs: BlobStore) -> None:
        self.database, self.blobs = database, blobs

    async def export(self, customer_id: str) -> dict[str, list[dict[str, Any]]] | None:
        async with self.database.transaction() as connection:
            found = {
                table: [json.loads(r["row"]) for r in await connection.fetch(sql, customer_id)]
                for table, sql in EXPORT.items()
            }
        return found if found["customers"] else None

    async def erase(self, erasure: Erasure) -> Erased:
        erased = await self._erase(erasure)
        for sha256 in erased.unnamed_blobs:  # after the commit: a rollback keeps the files
            await self.blobs.delete(sha256)
        return erased

    async def _erase(self, erasure: Erasure) -> Erased:
        customer_id = erasure.customer_id
        async with self.database.transaction() as connection:
            claimed = erasure.event_id is None or await connection.fetchval(
                CLAIM_EVENT, erasure.event_id
            )
            if not claimed:
                return Erased(customer_id, known=True, already=True)
            known = await connection.fetchval(CUSTOMER_KNOWN, customer_id) is not None
            if await connection.fetchval(ALREADY_ERASED, customer_id) is not None:
                return Erased(customer_id, known=known, already=True)
            if not known and erasure.event_id is None:
                return Erased(customer_id, known=False, already=False)  # nothing to do
            erased = await _erase_on(connection, customer_id, erasure)
            if erasure.write is not None:
                await record_on(connection, erasure.write.on(customer_id))
            if erasure.publish is not None:
                await outbox.add(connection, [(CUSTOMER_EVENTS, erasure.publish)])
        return erased


async def _erase_on(connection: Any, customer_id: str, erasure: Erasure) -> Erased:
    pseudonym = f"erased-{uuid.uuid4().hex}"
    deleted = await connection.fetchrow(DELETE_CUSTOMER, customer_id)
    await connection.execute(ERASE_ORDER_REQUESTS, customer_id)  # before the orders lose them
    deleted_attachments = await connection.fetch(DELETE_ATTACHMENTS, customer_id)
    gone = {r["sha256"] for r in deleted_attachments}
    named = {r["sha256"] for r in await connection.fetch(STILL_NAMED, list(gone))}
    contacts = await connection.execute(PSEUDONYMISE_CONTACTS, customer_id, pseudonym)
    orders = await connection.execute(PSEUDONYMISE_ORDERS, customer_id, pseudonym)
    claims = await connection.execute(PSEUDONYMISE_CLAIMS, customer_id, pseudonym)
    await connection.execute(PSEUDONYMISE_CASES, customer_id, pseudonym)
    await connection.execute(RECORD_ERASURE, customer_id, erasure.at, erasure.reason)
    return Erased(
        customer_id,
        known=deleted["records"] > 0,
        already=False,
        contact_points_deleted=deleted["contact_points"],
        contacts_anonymised=_count(contacts),
        orders_anonymised=_count(orders),
        claims_anonymised=_count(claims),
        attachments_deleted=len(deleted_attachments),
        unnamed_blobs=tuple(sorted(gone - named)),
    )


# Manual identification: each returns (customer_id, score in 0..1), best first.
# Word similarity: how well what was typed matches a stretch of the name, so a surname alone
# ("rossi") finds "Niccolò Rossi" as a typo'd whole name does; `<%` keeps what reaches
# pg_trgm.word_similarity_threshold (0.6), which the trigram index uses to skip candidates.
SEARCH_BY_NAME = """
    SELECT customer_id, public.word_similarity(folded($1), search_name) AS score
    FROM customers
    WHERE folded($1) OPERATOR(public.<%) search_name
      AND ($2::text IS NULL OR postcodes @> jsonb_build_array($2::text))
    ORDER BY score DESC, public.similarity(folded($1), search_name) DESC, customer_id
    LIMIT $3
"""
SEARCH_BY_POSTCODE = """
    SELECT customer_id, 1.0::real AS score FROM customers
    WHERE postcodes @> jsonb_build_array($1::text) ORDER BY customer_id LIMIT $2
"""
# The local part's trigrams find the candidates (a typo there, or none); the whole address's
# similarity keeps those one or two typos away (in the local part or the domain).
SEARCH_BY_EMAIL = """
    SELECT customer_id, max(public.similarity(address, lower($1))) AS score
    FROM customer_emails
    WHERE split_part(address, '@', 1) OPERATOR(public.%) split_part(lower($1), '@', 1)
      AND public.similarity(address, lower($1)) >= 0.6
    GROUP BY customer_id ORDER BY score DESC, customer_id LIMIT $2
"""
# `%` keeps what is at least this similar, and the trigram index uses it to skip candidates:
# at pg_trgm's default 0.3 a local part sharing a first name ("anna.") is a candidate; one or
# two typos away stays above 0.5.
SIMILARITY = "SELECT set_config('pg_trgm.similarity_threshold', $1, true)"
EMAIL_SIMILARITY = "0.5"
SEARCH_BY_PHONE = """
    SELECT DISTINCT customer_id, 1.0::real AS score FROM customer_phones
    WHERE e164 = $1 OR national = $2 ORDER BY customer_id LIMIT $3
"""
SEARCH_BY_ORDER = """
    SELECT DISTINCT customer_id, 1.0::real AS score FROM orders
    WHERE upper(order_id) = upper($1) AND customer_id IS NOT NULL ORDER BY customer_id LIMIT $2
"""

Scored = list[tuple[str, float]]


class CustomerSearch(Protocol):
    async def by_name(self, name: str, postcode: str | None, limit: int) -> Scored: ...

    async def by_postcode(self, postcode: str, limit: int) -> Scored: ...

    async def by_email(self, email: str, limit: int) -> Scored: ...

    async def by_phone(self, e164: str, national: str, limit: int) -> Scored: ...

    async def by_order(self, order_id: str, limit: int) -> Scored: ...


class PostgresCustomerSearch:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def _scored(self, sql: str, *args: Any) -> Scored:
        async with self.database.connection() as connection:
            rows = await connection.fetch(sql, *args)
        return [(r["customer_id"], float(r["score"])) for r in rows]

    async def _similar(self, threshold: str, sql: str, *args: Any) -> Scored:
        async with self.database.transaction() as connection:  # the threshold for this one
            await connection.execute(SIMILARITY, threshold)
            rows = await connection.fetch(sql, *args)
        return [(r["customer_id"], float(r["score"])) for r in rows]

    async def by_name(self, name: str, postcode: str | None, limit: int) -> Scored:
        return await self._scored(SEARCH_BY_NAME, name, postcode, limit)

    async def by_postcode(self, postcode: str, limit: int) -> Scored:
        return await self._scored(SEARCH_BY_POSTCODE, postcode, limit)

    async def by_email(self, email: str, limit: int) -> Scored:
        return await self._similar(EMAIL_SIMILARITY, SEARCH_BY_EMAIL, email, limit)

    async def by_phone(self, e164: str, national: str, limit: int) -> Scored:
        return await self._scored(SEARCH_BY_PHONE, e164, national, limit)

    async def by_order(self, order_id: str, limit: int) -> Scored:
        return await self._scored(SEARCH_BY_ORDER, order_id, limit)

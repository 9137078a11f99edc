"""crm's PostgreSQL tables and every query on them: customers with their phones, e-mails and
handles (from customer-events and bulk imports), and the lookups recognition makes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from cc_runtime.postgres import Database
from crm.customers import Customer

UPSERT_CUSTOMERS = """
    INSERT INTO customers AS c (customer_id, first_name, last_name, language, loyalty_tier,
                                profile, source, updated_at)
    SELECT id, first, last, lang, tier, profile::jsonb, source, at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::timestamptz[]) AS r (id, first, last, lang, tier, profile,
                                                     source, at)
    ON CONFLICT (customer_id) DO UPDATE SET
        first_name = excluded.first_name, last_name = excluded.last_name,
        language = excluded.language, loyalty_tier = excluded.loyalty_tier,
        profile = excluded.profile, source = excluded.source, updated_at = excluded.updated_at
    WHERE c.updated_at <= excluded.updated_at
    RETURNING customer_id
"""
DELETE_PHONES = "DELETE FROM customer_phones WHERE customer_id = ANY($1::text[])"
DELETE_EMAILS = "DELETE FROM customer_emails WHERE customer_id = ANY($1::text[])"
DELETE_HANDLES = "DELETE FROM customer_handles WHERE customer_id = ANY($1::text[])"
INSERT_PHONES = """
    INSERT INTO customer_phones (customer_id, e164, national, raw, position)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[])
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
CUSTOMER = """
    SELECT customer_id, first_name, last_name, language, loyalty_tier, profile,
           competence_needed, competence_set_by, source, updated_at
    FROM customers WHERE customer_id = ANY($1::text[])
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
            rows = await connection.fetch(DUPLICATES_OF, list(customer_ids))
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["customer_id"], []).append(row["other"])
        return {k: sorted(v) for k, v in found.items()}

    async def matching(self, query: str, value: str) -> list[str]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(query, value)
        return [row["customer_id"] for row in rows]

    async def records(self, customer_ids: Sequence[str]) -> list[dict[str, Any]]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(CUSTOMER, list(customer_ids))
        return [dict(row) | {"profile": json.loads(row["profile"])} for row in rows]


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

"""Each lookup of recognition, the summary and the 360 (its record and lists, its pages of
contacts) read their indexes (EXPLAIN)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cc_runtime.migrations import migrate, package_migrations
from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_testing import Servers
from cc_testing.postgres import indexes_used
from crm import repository as sql
from crm.orders import IN_PROGRESS, VALUED

pytestmark = pytest.mark.infra

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, schema_name("crm", namespace))
    await database.open()
    async with database.connection() as connection:
        await migrate(connection, database.schema, package_migrations("crm"))
    yield database
    await database.close()


async def test_the_hot_queries_read_their_indexes(db: Database) -> None:
    plans = {}
    async with db.connection() as connection:
        for name, query, args in [
            ("e164", sql.BY_E164, ("+390212345678",)),
            ("national", sql.BY_NATIONAL, ("0212345678",)),
            ("email", sql.BY_EMAIL, ("anna@example.it",)),
            ("handle", sql.BY_HANDLE, ("anna",)),
            ("contacts page", sql.CONTACTS_PAGE, ("C-1", NOW, "", 20)),
            ("customer 360", sql.CUSTOMER_360, ("C-1", list(IN_PROGRESS))),
            (
                "summary",
                sql.SUMMARIES,
                (["C-1"], NOW, list(VALUED), "EUR", NOW, list(IN_PROGRESS)),
            ),
        ]:
            plans[name] = await indexes_used(connection, query, *args)

    assert plans == {
        "e164": {"customer_phones_by_e164"},
        "national": {"customer_phones_by_national"},
        "email": {"customer_emails_by_address"},
        "handle": {"customer_handles_by_handle"},
        "contacts page": {"contacts_by_customer"},
        "customer 360": {
            "customers_pkey",
            "customer_phones_pkey",
            "customer_phones_by_e164",  # the duplicates' numbers (since migration 0011)
            "customer_emails_pkey",
            "customer_emails_by_address",
            "orders_by_customer",
            "order_requests_one_waiting",
            "cases_open_by_customer",
            "contacts_by_case",
        },
        "summary": {
            "customers_pkey",
            "orders_by_customer",
            "claims_open_by_customer",
            "contacts_by_customer",
            "customer_phones_pkey",
            "customer_phones_by_e164",
            "customer_emails_pkey",
            "customer_emails_by_address",
        },
    }

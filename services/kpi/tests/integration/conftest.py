"""Fixtures of kpi's tests on the real PostgreSQL: a store in a fresh, migrated schema."""

from collections.abc import AsyncIterator

import pytest

from cc_runtime.migrations import migrate_url, package_migrations
from cc_runtime.postgres import Database
from cc_testing import Servers
from kpi.repository import PostgresKpiStore


@pytest.fixture
async def kpi_store(servers: Servers, namespace: str) -> AsyncIterator[PostgresKpiStore]:
    assert servers.postgres_url is not None
    schema = f"{namespace}_kpi"
    await migrate_url(servers.postgres_url, schema, package_migrations("kpi"))
    database = Database(servers.postgres_url, schema, max_size=4)
    await database.open()
    yield PostgresKpiStore(database)
    await database.close()

"""indexes_used: which indexes a query's plan reads, on the real server."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from cc_testing import Servers
from cc_testing.postgres import indexes_used

pytestmark = pytest.mark.infra


@pytest.fixture
async def connection(servers: Servers, namespace: str) -> AsyncIterator[Any]:
    assert servers.postgres_url is not None
    connection = await asyncpg.connect(servers.postgres_url)
    await connection.execute(
        f"""CREATE SCHEMA "{namespace}_plans"; SET search_path TO "{namespace}_plans";
            CREATE TABLE calls (id uuid PRIMARY KEY, caller text, queue text);
            CREATE INDEX calls_caller ON calls (caller);"""
    )
    yield connection
    await connection.close()


async def test_a_lookup_by_an_indexed_column_reads_its_index(connection: Any) -> None:
    used = await indexes_used(connection, "SELECT id FROM calls WHERE caller = $1", "+39 06 1234")

    assert used == {"calls_caller"}


async def test_a_lookup_by_a_column_without_an_index_reads_none(connection: Any) -> None:
    used = await indexes_used(connection, "SELECT id FROM calls WHERE queue = $1", "sales")

    assert used == set()

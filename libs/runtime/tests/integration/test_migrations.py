"""Migrations on the real PostgreSQL: from an empty database, from the previous version, by
two instances at once, by the `cc-migrate` command, and refusals when the schema and the
migrations disagree."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from cc_runtime.migrations import Migration, MigrationError, applied_checksums, migrate
from cc_testing import Servers

pytestmark = pytest.mark.infra

EVENTS = Migration(
    1,
    "events",
    """CREATE TABLE events (id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL,
                           payload jsonb NOT NULL);""",
)
QUEUE = Migration(
    2,
    "queue",
    """ALTER TABLE events ADD COLUMN queue text;
       UPDATE events SET queue = payload->>'queue';
       CREATE INDEX events_queue ON events (queue);""",
)


@pytest.fixture
async def connection(servers: Servers) -> AsyncIterator[Any]:
    assert servers.postgres_url is not None
    connection = await asyncpg.connect(servers.postgres_url)
    yield connection
    await connection.close()


async def tables(connection: Any, schema: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema
    )
    return [row["tablename"] for row in rows]


async def test_from_an_empty_database_every_migration_applies_in_the_services_schema(
    connection: Any, namespace: str
) -> None:
    schema = f"{namespace}_billing"

    applied = await migrate(connection, schema, [EVENTS, QUEUE])

    assert applied == [EVENTS, QUEUE]
    assert await tables(connection, schema) == ["events", "schema_migrations"]
    assert await applied_checksums(connection, schema) == {
        1: EVENTS.checksum,
        2: QUEUE.checksum,
    }
    assert await tables(connection, "public") == []


async def test_a_second_run_applies_nothing(connection: Any, namespace: str) -> None:
    schema = f"{namespace}_billing"
    await migrate(connection, schema, [EVENTS, QUEUE])

    assert await migrate(connection, schema, [EVENTS, QUEUE]) == []


async def test_from_the_previous_version_only_the_new_migration_runs_and_keeps_the_data(
    connection: Any, namespace: str
) -> None:
    schema = f"{namespace}_billing"
    await migrate(connection, schema, [EVENTS])
    await connection.execute(f'SET search_path TO "{schema}"')
    await connection.execute(
        """INSERT INTO events VALUES
            ('00000000-0000-0000-0000-000000000001', now(), '{"queue": "sales"}')"""
    )

    applied = await migrate(connection, schema, [EVENTS, QUEUE])

    assert applied == [QUEUE]
    assert await connection.fetchval("SELECT queue FROM events") == "sales"


async def test_two_instances_starting_together_apply_each_migration_once(
    servers: Servers, namespace: str
) -> None:
    schema = f"{namespace}_billing"
    # A slow first migration, so that the second instance arrives while it runs.
    slow = Migration(1, "events", "SELECT pg_sleep(0.5);\n" + EVENTS.sql)
    assert servers.postgres_url is not None
    first, second = [await asyncpg.connect(servers.postgres_url) for _ in range(2)]
    try:
        results = await asyncio.gather(
            migrate(first, schema, [slow, QUEUE]), migrate(second, schema, [slow, QUEUE])
        )
        recorded = await applied_checksums(first, schema)
    finally:
        await first.close()
        await second.close()

    assert sorted(len(applied) for applied in results) == [0, 2]
    assert recorded == {1: slow.checksum, 2: QUEUE.checksum}


async def test_a_failing_migration_leaves_the_schema_at_the_previous_version(
    connection: Any, namespace: str
) -> None:
    schema = f"{namespace}_billing"
    broken = Migration(2, "broken", "CREATE TABLE half_done (n int); SELECT no_such_column;")
    await migrate(connection, schema, [EVENTS])

    with pytest.raises(MigrationError, match=r"0002_broken\.sql"):
        await migrate(connection, schema, [EVENTS, broken])

    assert await applied_checksums(connection, schema) == {1: EVENTS.checksum}
    assert await tables(connection, schema) == ["events", "schema_migrations"]


async def test_a_migration_edited_after_it_was_applied_is_refused(
    connection: Any, namespace: str
) -> None:
    schema = f"{namespace}_billing"
    await migrate(connection, schema, [EVENTS])
    edited = Migration(1, "events", EVENTS.sql.replace("payload", "body"))

    with pytest.raises(MigrationError, match=r"0001_events\.sql changed"):
        await migrate(connection, schema, [edited])


async def test_a_schema_migrated_by_a_newer_build_is_refused(
    connection: Any, namespace: str
) -> None:
    schema = f"{namespace}_billing"
    await migrate(connection, schema, [EVENTS, QUEUE])

    with pytest.raises(MigrationError, match=r"\[2\]"):
        await migrate(connection, schema, [EVENTS])


def test_cc_migrate_applies_a_services_migrations_to_its_schema_in_the_namespace(
    servers: Servers, namespace: str, tmp_path: Path
) -> None:
    package = tmp_path / "billing_desk" / "migrations"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / EVENTS.file_name).write_text(EVENTS.sql)
    (package / QUEUE.file_name).write_text(QUEUE.sql)
    assert servers.postgres_url is not None
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "CC_POSTGRES_URL": servers.postgres_url,
        "CC_NAMESPACE": namespace,
    }
    command = [str(Path(sys.executable).with_name("cc-migrate")), "billing-desk"]

    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603

    schema = f"{namespace}_billing_desk"
    assert first.stdout.splitlines() == [
        f"{schema}: applied 0001_events.sql",
        f"{schema}: applied 0002_queue.sql",
    ]
    assert second.stdout == ""
    assert f"{schema}: up to date (0002_queue.sql)" in second.stderr


def test_cc_migrate_says_why_it_cannot_migrate_a_service_without_migrations(
    servers: Servers,
) -> None:
    assert servers.postgres_url is not None
    command = [str(Path(sys.executable).with_name("cc-migrate")), "no-such-service"]
    env = {**os.environ, "CC_POSTGRES_URL": servers.postgres_url}

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603

    assert (done.returncode, done.stderr) == (
        1,
        "cc-migrate: No module named 'no_such_service'\n",
    )

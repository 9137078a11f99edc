"""Versioned schema migrations of a service: numbered SQL files, applied in order at start-up
and by the `cc-migrate` command.

A service keeps them in its package, `<package>/migrations/0001_<what>.sql`, `0002_...`, and
never edits one that has shipped (its checksum is recorded and checked). Each file runs in its
own transaction with `search_path` set to the service's schema, so it names its tables
unqualified. The schema and its ledger (`schema_migrations`) are created on first use. A
session-level advisory lock keyed on the schema's name makes instances that start together
apply each file exactly once: the second waits, then finds nothing left to do.

Why plain SQL files rather than Alembic or yoyo: the services speak raw SQL through asyncpg,
with no ORM, so Alembic's model autogeneration has nothing to read, and both tools would run
beside the service on a second, synchronous driver. This module gives, on the service's own
driver, the same ledger, a lock and transactional DDL (PostgreSQL's DDL is transactional), and
the migrations stay SQL a reviewer reads as it runs. What it cannot do: statements that refuse
a transaction block (`CREATE INDEX CONCURRENTLY`); and there are no down-migrations: a mistake
is undone by the next numbered file.
"""

import argparse
import asyncio
import hashlib
import importlib.resources
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

import asyncpg

from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS, quoted
from cc_runtime.settings import ServiceSettings, schema_name

FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
LEDGER = "schema_migrations"


class MigrationError(Exception):
    """The migrations and the database disagree; no retry can fix it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


def migrations_in(directory: Traversable) -> list[Migration]:
    """The numbered SQL files of a directory, checked to run 1, 2, 3 ... without a gap."""
    found = []
    for entry in directory.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"{entry.name}: a migration is named NNNN_lower_case.sql")
        found.append(Migration(int(match["version"]), match["name"], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1, 2, 3 ... without gaps: {versions}")
    return found


def package_migrations(package: str) -> list[Migration]:
    """The migrations shipped in `<package>/migrations/` (a directory of the package)."""
    directory = importlib.resources.files(package).joinpath("migrations")
    if not directory.is_dir():
        raise MigrationError(f"{package} has no migrations/ directory")
    return migrations_in(directory)


async def migrate(connection: Any, schema: str, migrations: Sequence[Migration]) -> list[Migration]:
    """Bring `schema` up to the last of `migrations` on an `asyncpg.Connection`; returns the
    migrations this call applied (none when another instance got there first)."""
    await connection.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", _lock(schema))
    try:
        await connection.execute(_ledger_ddl(schema))
        applied = await applied_checksums(connection, schema)
        _check(applied, migrations)
        pending = [m for m in migrations if m.version not in applied]
        for migration in pending:
            await _apply(connection, schema, migration)
        return pending
    finally:
        if not connection.is_closed():
            await connection.execute(
                "SELECT pg_advisory_unlock(hashtextextended($1, 0))", _lock(schema)
            )


def _lock(schema: str) -> str:
    return f"cc-migrations:{schema}"


def _ledger_ddl(schema: str) -> str:
    return f"""
        CREATE SCHEMA IF NOT EXISTS {quoted(schema)};
        CREATE TABLE IF NOT EXISTS {quoted(schema)}.{LEDGER} (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )"""


async def applied_checksums(connection: Any, schema: str) -> dict[int, str]:
    """Version -> checksum of what the schema's ledger records as applied."""
    ledger = f"{quoted(schema)}.{LEDGER}"
    rows = await connection.fetch(f"SELECT version, checksum FROM {ledger}")  # noqa: S608
    return {row["version"]: row["checksum"] for row in rows}


def _check(applied: dict[int, str], migrations: Sequence[Migration]) -> None:
    known = {m.version: m for m in migrations}
    newer = sorted(set(applied) - set(known))
    if newer:
        raise MigrationError(
            f"the schema has migrations {newer} that this build does not know: "
            "it was migrated by a newer build"
        )
    for version, checksum in applied.items():
        if known[version].checksum != checksum:
            raise MigrationError(f"{known[version].file_name} changed after it was applied")


async def _apply(connection: Any, schema: str, migration: Migration) -> None:
    async with connection.transaction():
        await connection.execute(f"SET LOCAL search_path TO {quoted(schema)}")
        try:
            await connection.execute(migration.sql)
        except DATABASE_UNAVAILABLE_ERRORS:
            raise
        except asyncpg.PostgresError as error:
            raise MigrationError(f"{migration.file_name}: {error!r}") from error
        await connection.execute(
            f"INSERT INTO {quoted(schema)}.{LEDGER} (version, name, checksum)"  # noqa: S608
            " VALUES ($1, $2, $3)",
            migration.version,
            migration.name,
            migration.checksum,
        )


async def migrate_url(url: str, schema: str, migrations: Sequence[Migration]) -> list[Migration]:
    connection = await asyncpg.connect(url)
    try:
        return await migrate(connection, schema, migrations)
    finally:
        await connection.close()


def main(argv: Iterable[str] | None = None) -> None:
    """`cc-migrate <service>`: apply a service's pending migrations to its schema on
    `CC_POSTGRES_URL` (in `CC_NAMESPACE`), and say which ran."""
    parser = argparse.ArgumentParser(prog="cc-migrate", description=main.__doc__)
    parser.add_argument("service", help="a service's name, e.g. kpi or telephony-ingest")
    parser.add_argument("--url", help="PostgreSQL URL (default: CC_POSTGRES_URL)")
    args = parser.parse_args(None if argv is None else list(argv))
    settings = ServiceSettings()
    schema = schema_name(args.service, settings.namespace)
    try:
        migrations = package_migrations(args.service.replace("-", "_"))
        applied = asyncio.run(migrate_url(args.url or settings.postgres_url, schema, migrations))
    except (MigrationError, ModuleNotFoundError) as error:
        sys.exit(f"cc-migrate: {error}")
    for migration in applied:
        print(f"{schema}: applied {migration.file_name}")
    last = migrations[-1].file_name if migrations else "no migrations"
    print(f"{schema}: up to date ({last})", file=sys.stderr)

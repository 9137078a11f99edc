"""PostgreSQL for the services: a connection pool working in the service's own schema, its
readiness check, and the errors that mean the database is away (waited out, never
dead-lettered: see `dead_letter.INFRASTRUCTURE_ERRORS`).

The driver is asyncpg: on our hot paths it measured faster than psycopg 3 where it matters
(batched `INSERT ... ON CONFLICT DO NOTHING` and point lookups; `bench/postgres_drivers.py`), and
it brings its own pool. Queries name their tables unqualified: every connection's `search_path`
is the service's schema, so the same SQL runs in `kpi` in production and in `<namespace>_kpi`
under test.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg import exceptions as pg


class DatabaseUnavailable(ConnectionError):
    """No connection to PostgreSQL could be opened (refused, name unknown, timed out)."""


# The server is unreachable or going away: the statement itself is fine, waiting helps.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    pg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-statement
    pg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    pg.AdminShutdownError,  # 57P01: the server is stopping
    pg.CrashShutdownError,  # 57P02: another backend crashed, the server restarts
    pg.TooManyConnectionsError,  # 53300
)


def quoted(identifier: str) -> str:
    """An identifier (a schema's name) quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


class Database:
    """A pool of connections to `url` whose `search_path` is `schema`. Nothing connects until
    `open()`; a connection that cannot be opened raises `DatabaseUnavailable`."""

    def __init__(
        self,
        url: str,
        schema: str,
        *,
        application_name: str = "contact-centre",
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.schema = schema
        self.application_name = application_name
        self.min_size = min_size
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self._pool: asyncpg.Pool | None = None

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open: call open() first")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self.min_size,
                max_size=self.max_size,
                timeout=self.connect_timeout,
                server_settings=self.server_settings(),
            )
        except OSError as error:  # refused, unresolvable, timed out (TimeoutError)
            raise DatabaseUnavailable(f"cannot reach PostgreSQL: {error!r}") from error

    def server_settings(self) -> dict[str, str]:
        return {"search_path": quoted(self.schema), "application_name": self.application_name}

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection (`asyncpg.Connection`), back to the pool at the end. Whatever
        fails on a connection the server dropped raises as `DatabaseUnavailable`: asyncpg
        reports a statement on it as a plain `InterfaceError`."""
        pool = self.pool
        try:
            connection = await pool.acquire(timeout=self.connect_timeout)
        except OSError as error:  # unreachable, or no connection free in time: wait either way
            raise DatabaseUnavailable(f"no PostgreSQL connection: {error!r}") from error
        try:
            yield connection
        except DATABASE_UNAVAILABLE_ERRORS:
            raise
        except Exception as error:
            if _lost(connection):
                raise DatabaseUnavailable(f"connection lost: {error!r}") from error
            raise
        finally:
            await pool.release(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A pooled connection inside a transaction, committed when the block succeeds. On a
        connection the server dropped there is nothing to roll back, and the error that
        dropped it is the one raised (asyncpg's own context manager would raise its failed
        rollback instead, an `InterfaceError`)."""
        async with self.connection() as connection:
            transaction = connection.transaction()
            await transaction.start()
            try:
                yield connection
            except BaseException:
                if not _lost(connection):
                    await transaction.rollback()
                raise
            await transaction.commit()

    async def ping(self, seconds: float) -> bool:
        """Whether the server answers a query within `seconds`."""
        try:
            async with asyncio.timeout(seconds), self.connection() as connection:
                await connection.fetchval("SELECT 1")
        except Exception:
            return False
        return True


def _lost(connection: Any) -> bool:
    """Whether the server dropped a pooled connection (the pool then takes it back at once)."""
    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:  # "connection has been released back to the pool"
        return True

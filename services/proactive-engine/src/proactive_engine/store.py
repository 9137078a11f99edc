"""The session store: one row per shop session in PostgreSQL (table `sessions`), upserted by
checkpoints and by the timer round, read a partition at a time when the engine takes one.

A row holds the folded state (`codec.py`), not the events it was folded from: a load decodes
each session once, and a checkpoint writes each changed session once, however many events it
took. `fired` (the rule episodes decided) is a column of its own, merged rather than
overwritten: a checkpoint that encoded a session before the timer settled one of its
episodes, and writes after, must not take that episode back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from cc_runtime.postgres import Database
from proactive_engine.codec import SessionRow

UPSERT = """
    INSERT INTO sessions (session_id, partition, last_at, fired, state)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (session_id) DO UPDATE SET
        partition = excluded.partition,
        last_at = excluded.last_at,
        state = excluded.state,
        fired = CASE
            WHEN sessions.fired <@ excluded.fired THEN excluded.fired
            ELSE ARRAY(SELECT DISTINCT f FROM unnest(sessions.fired || excluded.fired) AS f)
        END
"""
LOAD = """
    SELECT session_id, partition, last_at, fired, state FROM sessions
    WHERE partition = $1 AND last_at >= $2
"""
DELETE_IDLE = "DELETE FROM sessions WHERE partition = ANY($1::integer[]) AND last_at < $2"
ONE = "SELECT session_id, partition, last_at, fired, state FROM sessions WHERE session_id = $1"


class SessionStore(Protocol):
    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        """The partition's sessions whose latest event is not older than `active_since`."""
        ...

    async def save(self, rows: Sequence[SessionRow]) -> None:
        """Insert or replace the rows (their decided episodes merged with the stored ones)."""
        ...

    async def delete_idle(self, partitions: Sequence[int], before: datetime) -> int:
        """Delete these partitions' sessions whose latest event is older than `before`."""
        ...

    async def get(self, session_id: str) -> SessionRow | None:
        """One session as stored (for tests and troubleshooting)."""
        ...


def _row(record: Any) -> SessionRow:
    return SessionRow(
        record["session_id"],
        record["partition"],
        record["last_at"],
        record["fired"],
        record["state"],
    )


async def upsert_sessions(connection: Any, rows: Sequence[SessionRow]) -> None:
    """The rows upserted on an `asyncpg.Connection` (one pipelined statement per row, in one
    transaction: asyncpg's executemany)."""
    if rows:
        await connection.executemany(UPSERT, [row.values() for row in rows])


class PostgresSessionStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        async with self.database.connection() as connection:
            return [_row(r) for r in await connection.fetch(LOAD, partition, active_since)]

    async def save(self, rows: Sequence[SessionRow]) -> None:
        async with self.database.connection() as connection:
            await upsert_sessions(connection, rows)

    async def delete_idle(self, partitions: Sequence[int], before: datetime) -> int:
        if not partitions:
            return 0
        async with self.database.connection() as connection:
            status = await connection.execute(DELETE_IDLE, list(partitions), before)
        return int(status.split()[-1])

    async def get(self, session_id: str) -> SessionRow | None:
        async with self.database.connection() as connection:
            record = await connection.fetchrow(ONE, session_id)
        return None if record is None else _row(record)

"""The session store: one row per shop session in PostgreSQL (table `sessions`), upserted by
checkpoints and by the timer round, read a partition at a time when the engine takes one.

A row holds the folded state (`codec.py`), not the events it was folded from: a load decodes
each session once, and a checkpoint writes each changed session once, however many events it
took. `fired` (the rule episodes decided) is a column of its own, merged rather than
overwritten: a checkpoint that encoded a session before the timer settled one of its
episodes, and writes after, must not take that episode back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol

from cc_runtime.postgres import Database
from proactive_engine.codec import SessionRow

# One statement per chunk of rows (unnest of one array per column): the server plans and
# runs it once, not once per row as with executemany. `fired` travels as array literals, as
# unnest cannot take an array of arrays of different lengths.
UPSERT = """
    INSERT INTO sessions (session_id, partition, last_at, fired, state)
    SELECT session_id, partition, last_at, fired::text[], state
    FROM unnest($1::text[], $2::integer[], $3::timestamptz[], $4::text[], $5::bytea[])
        AS rows (session_id, partition, last_at, fired, state)
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
SAVE_LATEST = """
    INSERT INTO partitions (partition, latest_at)
    SELECT * FROM unnest($1::integer[], $2::timestamptz[])
    ON CONFLICT (partition) DO UPDATE
        SET latest_at = GREATEST(partitions.latest_at, excluded.latest_at)
"""
LATEST = "SELECT latest_at FROM partitions WHERE partition = $1"
ONE = "SELECT session_id, partition, last_at, fired, state FROM sessions WHERE session_id = $1"


class SessionStore(Protocol):
    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        """The partition's sessions whose latest event is not older than `active_since`."""
        ...

    async def save(
        self, rows: Sequence[SessionRow], latest: Mapping[int, datetime] | None = None
    ) -> None:
        """Insert or replace the rows (their decided episodes merged with the stored ones);
        with `latest`, in the same transaction, each partition's latest event time read
        (what the watermark goes on from after a restart)."""
        ...

    async def latest_event_time(self, partition: int) -> datetime | None:
        """The partition's latest event time as the last checkpoint stored it."""
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
    """The rows upserted on an `asyncpg.Connection`, in one statement. Sorted by session id:
    two writers (a checkpoint, a timer round) that lock rows in one order cannot deadlock."""
    if not rows:
        return
    ordered = sorted(rows, key=attrgetter("session_id"))
    await connection.execute(
        UPSERT,
        [row.session_id for row in ordered],
        [row.partition for row in ordered],
        [row.last_at for row in ordered],
        [_array_literal(row.fired) for row in ordered],
        [row.state for row in ordered],
    )


def _array_literal(items: Sequence[str]) -> str:
    """A text[] literal (`{"a|b","c|"}`), each element quoted and escaped."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


class PostgresSessionStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        async with self.database.connection() as connection:
            return [_row(r) for r in await connection.fetch(LOAD, partition, active_since)]

    async def save(
        self, rows: Sequence[SessionRow], latest: Mapping[int, datetime] | None = None
    ) -> None:
        if not latest:
            async with self.database.connection() as connection:
                await upsert_sessions(connection, rows)
            return
        async with self.database.transaction() as connection:
            await upsert_sessions(connection, rows)
            partitions = sorted(latest)
            await connection.execute(SAVE_LATEST, partitions, [latest[p] for p in partitions])

    async def latest_event_time(self, partition: int) -> datetime | None:
        async with self.database.connection() as connection:
            latest: datetime | None = await connection.fetchval(LATEST, partition)
        return latest

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

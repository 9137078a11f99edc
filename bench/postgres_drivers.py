"""asyncpg against psycopg 3 (async) on the platform's hot database paths, on one server.

    uv run python bench/postgres_drivers.py [--rows 20000] [--batch 500] [--lookups 5000]
        [--passes 3]

Each driver, on its own table of event rows (uuid id, timestamptz, indexed text key, jsonb):
batched `INSERT ... ON CONFLICT (id) DO NOTHING` (one `unnest` statement per batch, and the
driver's `executemany` per batch; a tenth of each batch repeats earlier rows, as redeliveries
do), COPY of the same rows, and point lookups by the indexed key, one round trip each. The
drivers take turns and each figure is the best of `--passes` passes, so that the machine's drift
does not favour one. Server: `CC_TEST_POSTGRES_URL`, or the local stack started as the tests do.
Ends with `ratio:` asyncpg over psycopg, the geometric mean of the paths' rates.
"""

import argparse
import asyncio
import json
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import psycopg

from cc_testing.servers import postgres_server

Row = tuple[uuid.UUID, datetime, str, str]

TABLE = """CREATE TABLE {table} (
    id uuid PRIMARY KEY, occurred_at timestamptz NOT NULL, call_id text NOT NULL,
    payload jsonb NOT NULL)"""
INDEX = "CREATE INDEX ON {table} (call_id)"


def event_rows(count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        call_id = f"call-{n // 4:08d}"
        payload = {
            "event_type": rng.choice(["call.offered", "call.answered", "call.ended"]),
            "call_id": call_id,
            "queue": f"queue-{rng.randrange(8)}",
            "agent": f"agent-{rng.randrange(40)}",
            "wait_seconds": rng.randrange(300),
        }
        at = start + timedelta(seconds=n * 3)
        rows.append((uuid.UUID(int=rng.getrandbits(128)), at, call_id, json.dumps(payload)))
    return rows


def batches(rows: Sequence[Row], size: int) -> list[list[Row]]:
    """Batches of `size` where a tenth repeats rows of the batch before (redeliveries)."""
    out: list[list[Row]] = []
    for start in range(0, len(rows), size):
        batch = list(rows[start : start + size])
        if out:
            batch += out[-1][: size // 10]
        out.append(batch)
    return out


UNNEST_ASYNCPG = """INSERT INTO {table} (id, occurred_at, call_id, payload)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::jsonb[])
ON CONFLICT (id) DO NOTHING"""
VALUES_ASYNCPG = """INSERT INTO {table} (id, occurred_at, call_id, payload)
VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (id) DO NOTHING"""
LOOKUP_ASYNCPG = "SELECT payload FROM {table} WHERE call_id = $1"


class Asyncpg:
    name = "asyncpg"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.c = connection

    async def reset(self, table: str) -> None:
        await self.c.execute(f"DROP TABLE IF EXISTS {table}")
        await self.c.execute(TABLE.format(table=table))
        await self.c.execute(INDEX.format(table=table))

    async def insert_unnest(self, table: str, batch: list[Row]) -> None:
        columns = list(zip(*batch, strict=True))
        await self.c.execute(UNNEST_ASYNCPG.format(table=table), *columns)

    async def insert_many(self, table: str, batch: list[Row]) -> None:
        async with self.c.transaction():
            await self.c.executemany(VALUES_ASYNCPG.format(table=table), batch)

    async def copy(self, table: str, batch: list[Row]) -> None:
        await self.c.copy_records_to_table(table, records=batch)

    async def lookup(self, table: str, key: str) -> Any:
        return await self.c.fetchval(LOOKUP_ASYNCPG.format(table=table), key)


class Psycopg:
    name = "psycopg"

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.c = connection

    async def reset(self, table: str) -> None:
        await self.c.execute(f"DROP TABLE IF EXISTS {table}")
        await self.c.execute(TABLE.format(table=table))
        await self.c.execute(INDEX.format(table=table))

    async def insert_unnest(self, table: str, batch: list[Row]) -> None:
        columns = [list(c) for c in zip(*batch, strict=True)]
        # Binary parameters: psycopg's text arrays of JSON were slower still.
        await self.c.execute(_percent(UNNEST_ASYNCPG, table), columns, binary=True)

    async def insert_many(self, table: str, batch: list[Row]) -> None:
        async with self.c.transaction(), self.c.cursor() as cursor:
            await cursor.executemany(_percent(VALUES_ASYNCPG, table), batch)

    async def copy(self, table: str, batch: list[Row]) -> None:
        copy_sql = f"COPY {table} (id, occurred_at, call_id, payload) FROM STDIN (FORMAT BINARY)"
        async with self.c.transaction(), self.c.cursor() as cursor, cursor.copy(copy_sql) as copy:
            copy.set_types(["uuid", "timestamptz", "text", "jsonb"])
            for row in batch:
                await copy.write_row(row)

    async def lookup(self, table: str, key: str) -> Any:
        cursor = await self.c.execute(_percent(LOOKUP_ASYNCPG, table), (key,))
        return await cursor.fetchone()


def _percent(sql: str, table: str) -> str:
    """asyncpg's `$n` placeholders as psycopg's `%s`."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", "%s")
    return sql.format(table=table)


Driver = Asyncpg | Psycopg


async def timed(work: Callable[[], Awaitable[int]]) -> float:
    """Rate of `work` in items/s."""
    started = time.perf_counter()
    items = await work()
    return items / (time.perf_counter() - started)


async def run_paths(driver: Driver, rows: list[Row], args: argparse.Namespace) -> dict[str, float]:
    table = f"bench_{driver.name}"
    split = batches(rows, args.batch)
    rates: dict[str, float] = {}
    for path, write in (
        ("insert unnest", driver.insert_unnest),
        ("insert executemany", driver.insert_many),
    ):
        await driver.reset(table)

        async def insert_all(write: Callable[[str, list[Row]], Awaitable[None]] = write) -> int:
            for batch in split:
                await write(table, batch)
            return len(rows)

        rates[path] = await timed(insert_all)
    await driver.reset(table)

    async def copy_all() -> int:
        for start in range(0, len(rows), args.batch * 10):
            await driver.copy(table, rows[start : start + args.batch * 10])
        return len(rows)

    rates["copy"] = await timed(copy_all)
    keys = [rows[random.Random(n).randrange(len(rows))][2] for n in range(args.lookups)]

    async def look_up_all() -> int:
        for key in keys:
            assert await driver.lookup(table, key) is not None
        return len(keys)

    rates["point lookup"] = await timed(look_up_all)
    return rates


async def measure(url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    rows = event_rows(args.rows)
    a = await asyncpg.connect(url)
    # Autocommit, as asyncpg: a statement outside a transaction block commits by itself.
    p = await psycopg.AsyncConnection.connect(url, autocommit=True)
    best: dict[str, dict[str, float]] = {"asyncpg": {}, "psycopg": {}}
    try:
        print("server:", await a.fetchval("SELECT version()"))
        print("fsync:", await a.fetchval("SELECT current_setting('fsync')"))
        for _ in range(args.passes):
            for driver in (Asyncpg(a), Psycopg(p)):
                for path, rate in (await run_paths(driver, rows, args)).items():
                    best[driver.name][path] = max(rate, best[driver.name].get(path, 0.0))
        for driver in (Asyncpg(a), Psycopg(p)):
            await driver.c.execute(f"DROP TABLE bench_{driver.name}")
    finally:
        await a.close()
        await p.close()
    return best


def report(best: dict[str, dict[str, float]]) -> None:
    print(f"{'path':<20} {'asyncpg/s':>12} {'psycopg/s':>12} {'asyncpg/psycopg':>16}")
    ratios = []
    for path, fast in best["asyncpg"].items():
        other = best["psycopg"][path]
        ratios.append(fast / other)
        print(f"{path:<20} {fast:>12,.0f} {other:>12,.0f} {fast / other:>16.2f}")
    print(f"ratio: {math.prod(ratios) ** (1 / len(ratios)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    with postgres_server() as server:
        report(asyncio.run(measure(server.url, args)))


if __name__ == "__main__":
    main()

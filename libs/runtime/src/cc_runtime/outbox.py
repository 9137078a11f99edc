"""The transactional outbox, shared by the services that publish what they store (claims,
chat): events are written in the transaction of the change that caused them and published
afterwards by one relay, in the order they were written. Each service's migration creates its
`outbox` table (id bigserial, topic, key, value bytea) in its own schema.

A command's transaction stores the aggregate and its events together, so the broker never hears
of a change that was rolled back, and a crash between commit and publish only delays the
events (the relay sends them at the next start). One relay runs at a time across a
service's instances (a transaction-scoped advisory lock named after its schema), which keeps
each aggregate's events in order on its partition.
Delivery is at least once: an event published but not yet deleted when the process dies is
published again, and consumers deduplicate on `event_id` as every consumer here does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from faststream.kafka import KafkaBroker

from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS, Database
from cc_runtime.settings import ServiceSettings
from cc_schemas import Event, encode, key_of

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, bytes], Awaitable[None]]  # topic, key, value
FINAL_DRAIN_SECONDS = 10.0
BATCH = 500


def broker_publisher(broker: KafkaBroker, settings: ServiceSettings) -> Publish:
    """Publish to the service's namespaced topic as JSON."""

    async def publish(topic: str, key: bytes, value: bytes) -> None:
        await broker.publish(
            value,
            settings.topic(topic),
            key=key,
            headers={"content-type": "application/json"},
        )

    return publish


async def add(connection: Any, events: Sequence[tuple[str, Event]]) -> None:
    """Write `(topic, event)` pairs in the caller's transaction."""
    await connection.executemany(
        "INSERT INTO outbox (topic, key, value) VALUES ($1, $2, $3)",
        [(topic, key_of(event), encode(event)) for topic, event in events],
    )


class Relay:
    """Publishes what the outbox holds: when told something was written (`wake`), and every
    `interval` seconds for what an earlier process left behind."""

    def __init__(self, database: Database, publish: Publish, interval: float = 1.0) -> None:
        self._database = database
        self._publish = publish
        self._interval = interval
        self._written = asyncio.Event()
        self._lock = f"outbox-relay:{database.schema}"

    def wake(self) -> None:
        self._written.set()

    async def drain(self) -> int:
        """Publish and delete everything written so far; the number published. Returns 0 at
        once when another relay holds the lock (it publishes them)."""
        sent = 0
        while batch := await self._publish_batch():
            sent += batch
        return sent

    async def _publish_batch(self) -> int:
        async with self._database.transaction() as connection:
            locked = await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", self._lock
            )
            if not locked:
                return 0
            rows = await connection.fetch(
                "SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT $1", BATCH
            )
            for row in rows:
                await self._publish(row["topic"], row["key"].encode(), row["value"])
            if rows:
                await connection.execute(
                    "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
                )
            return len(rows)

    async def run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # comes as the event is set (a write waking the relay as the service stops), and
            # the stop then waited for this loop for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._written.wait()
            self._written.clear()
            try:
                await self.drain()
            except DATABASE_UNAVAILABLE_ERRORS as error:  # waited out: the rows stay
                log.warning("outbox relay waits for PostgreSQL", extra={"error": repr(error)})
            except Exception:  # the broker refused: the rows stay, the next round retries
                log.exception("outbox relay could not publish; retrying")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Relay]:
        task = asyncio.create_task(self.run(), name=self._lock)
        try:
            yield self
        finally:
            task.cancel()
            # Its CancelledError is not raised here; a cancel of this stop still is.
            await asyncio.gather(task, return_exceptions=True)
            # A last round so a clean stop leaves nothing, bounded: a broker that does not
            # answer must not hold the stop (what is left is sent at the next start).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(FINAL_DRAIN_SECONDS):
                    await self.drain()

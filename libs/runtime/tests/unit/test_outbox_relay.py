"""The relay's loop stops when its service stops, however the stop and a wake-up meet."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from cc_runtime.outbox import Relay
from cc_runtime.postgres import Database


class EmptyOutbox:
    """A connection to an outbox with nothing in it."""

    async def fetchval(self, *_: Any) -> bool:
        return True  # the relay's lock

    async def fetch(self, *_: Any) -> list[Any]:
        return []

    async def execute(self, *_: Any) -> None:
        return None


class EmptyDatabase:
    schema = "test"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[EmptyOutbox]:
        yield EmptyOutbox()


async def nowhere(topic: str, key: bytes, value: bytes) -> None:
    raise AssertionError("nothing to publish")


async def test_a_wake_up_as_the_service_stops_does_not_hold_the_stop() -> None:
    """A write wakes the relay in the same turn of the loop as the stop cancels it: on Python
    3.11 `asyncio.wait_for` swallowed that cancel, and the stop waited for ever (the claims
    tests' teardown that hung for 300 s in full runs)."""
    relay = Relay(cast(Database, EmptyDatabase()), nowhere, interval=3600)

    async def wake_and_stop() -> None:
        async with relay.running():
            await asyncio.sleep(0.01)  # the loop waits for a wake-up
            relay.wake()  # and the stop comes before it runs again

    for _ in range(5):
        stop = asyncio.create_task(wake_and_stop())
        done, _ = await asyncio.wait({stop}, timeout=2)  # it takes milliseconds, or for ever
        stop.cancel()
        assert done == {stop}, "the stop waited for the relay's loop"
        assert relay_loops() == [], "the relay's loop outlived the stop"


def relay_loops() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "outbox-relay:test" and not t.done()]

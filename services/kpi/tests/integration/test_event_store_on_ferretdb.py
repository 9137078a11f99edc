"""The event store on the real MongoDB-compatible server: a batch is stored with one unordered
bulk insert, and the duplicate keys of a redelivery tell exactly which events were new; each
event keeps when it was first received."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from cc_schemas import CALL_EVENTS, CallAbandoned, Caller, CallEvent, CallOffered
from cc_testing import Servers
from kpi.repository import MongoEventStore

pytestmark = pytest.mark.infra

AT = datetime(2026, 11, 23, 10, tzinfo=UTC)
RECEIVED = datetime(2026, 12, 2, 7, 0, 0, 123_000, tzinfo=UTC)
LATER = RECEIVED + timedelta(minutes=1)


def offered(n: int) -> CallEvent:
    return CallOffered(
        event_id=f"o{n}",
        occurred_at=AT + timedelta(seconds=n),
        source="test",
        call_id=f"c{n}",
        queue="sales",
        caller=Caller(number_raw="021234567"),
        position=1,
    )


def abandoned(n: int) -> CallEvent:
    return CallAbandoned(
        event_id=f"a{n}",
        occurred_at=AT + timedelta(seconds=n + 30),
        source="test",
        call_id=f"c{n}",
        queue="sales",
        wait_seconds=30,
        position=1,
    )


@pytest.fixture
async def store(servers: Servers, namespace: str) -> AsyncIterator[MongoEventStore]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    try:
        yield MongoEventStore(client[f"{namespace}_kpi"])
    finally:
        await client.drop_database(f"{namespace}_kpi")
        await client.close()


async def test_a_batch_is_stored_once_and_its_redelivery_stores_nothing(
    store: MongoEventStore,
) -> None:
    batch = [offered(n) for n in range(5)]

    first = await store.add_many(CALL_EVENTS, batch, RECEIVED)
    again = await store.add_many(CALL_EVENTS, batch, LATER)

    assert first == {f"o{n}" for n in range(5)}
    assert again == set()
    assert await store.count(CALL_EVENTS) == 5


async def test_a_batch_mixing_known_and_new_events_reports_only_the_new_ones(
    store: MongoEventStore,
) -> None:
    await store.add_many(CALL_EVENTS, [offered(n) for n in range(3)], RECEIVED)

    mixed = [abandoned(0), offered(1), abandoned(1), offered(2), offered(3), offered(3)]
    stored = await store.add_many(CALL_EVENTS, mixed, LATER)

    assert stored == {"a0", "a1", "o3"}
    assert await store.count(CALL_EVENTS) == 6
    replayed = {s.event.event_id: s.received_at async for s in store.replay(CALL_EVENTS)}
    assert replayed == {
        "a0": LATER,
        "a1": LATER,
        "o0": RECEIVED,
        "o1": RECEIVED,  # received again later: it keeps its first reception
        "o2": RECEIVED,
        "o3": LATER,
    }


async def test_an_event_stored_without_its_reception_time_replays_without_one(
    store: MongoEventStore,
) -> None:
    """Events stored by a build that did not keep `_received_at`."""
    event = offered(1)
    document = {"_id": event.event_id, **event.model_dump(mode="json")}
    await store.db["call_events"].insert_one(document)

    (replayed,) = [s async for s in store.replay(CALL_EVENTS)]

    assert replayed == (event, None)

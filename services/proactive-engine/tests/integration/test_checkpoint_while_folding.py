"""A checkpoint is written in the background, on the real store: batches fold while it writes,
and it commits only the offsets it noted when it began, so a crash never commits an event that
no stored snapshot holds."""

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from cc_schemas import ContactRequested, ProductViewed, encode
from cc_testing import Servers
from proactive_engine.clock import ManualClock
from proactive_engine.config import load_config
from proactive_engine.handlers import (
    Engine,
    ShopRecord,
    SourcePartition,
    apply_shop_events,
    checkpoint,
    take_partitions,
)
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import LiveSession
from proactive_engine.repository import MongoRepository
from proactive_engine.rules import build_rules
from proactive_engine.store import SnapshotStore, StoredSession

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
BROWSE = ("browse-events", 0)


class GatedStore(SnapshotStore):
    """The real store, whose saves wait until the test opens the gate."""

    def __init__(self, db: Any) -> None:
        super().__init__(db)
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def save(self, partition: int, sessions: Sequence[LiveSession]) -> None:
        self.waiting.set()
        await self.gate.wait()
        await super().save(partition, sessions)


def view(session: str, event_id: str, minute: float) -> ShopRecord:
    event = ProductViewed(
        event_id=event_id,
        occurred_at=T0 + timedelta(minutes=minute),
        source="shop",
        session_id=session,
        product_id="p1",
        name="train",
        price_cents=1999,
        currency="EUR",
    )
    return event, encode(event)


def event_ids(stored: StoredSession | None) -> set[str]:
    assert stored is not None
    return {visit.event_id for visit in stored.state.visits}


async def test_batches_fold_while_a_checkpoint_is_written_and_it_commits_what_it_noted(
    servers: Servers, namespace: str
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    db = client[f"{namespace}_engine"]
    store = GatedStore(db)
    engine = engine_on(store, MongoRepository(db))
    committed: list[dict[SourcePartition, int]] = []

    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        committed.append(dict(offsets))

    engine.commit = commit
    await take_partitions(engine, [0])

    await apply_shop_events(engine, {0: [view("s1", "e1", 0)]}, {BROWSE: 1})
    await asyncio.wait_for(store.waiting.wait(), 5)  # the batch began a checkpoint: it writes

    second = [view("s1", "e2", 1), view("s2", "e3", 1)]
    await asyncio.wait_for(apply_shop_events(engine, {0: second}, {BROWSE: 3}), 2)
    assert engine.saving is not None
    assert not engine.saving.done()
    assert committed == []

    store.gate.set()
    await asyncio.wait_for(engine.saving, 10)
    assert committed == [{BROWSE: 1}]  # not 3: s2 was not noted, so it is not stored yet
    assert "e1" in event_ids(await store.latest("s1"))
    assert await store.latest("s2") is None

    await checkpoint(engine)
    assert committed == [{BROWSE: 1}, {BROWSE: 3}]
    assert event_ids(await store.latest("s1")) == {"e1", "e2"}
    assert event_ids(await store.latest("s2")) == {"e3"}
    await client.drop_database(db.name)
    await client.close()


def engine_on(store: SnapshotStore, repository: MongoRepository) -> Engine:
    config = load_config()

    async def publish(requests: Sequence[ContactRequested]) -> None:
        raise AssertionError("nothing is due in this test")

    class NoRequestLog:
        async def published(self, request_ids: Any, since: datetime) -> set[str]:
            return set()

    return Engine(
        store=store,
        repository=repository,
        rules=build_rules(config),
        config=config,
        publish=publish,
        request_log=NoRequestLog(),
        clock=ManualClock(T0),
        metrics=EngineMetrics(CollectorRegistry()),
        owner="test",
        checkpoint_seconds=0,  # every batch checkpoints, unless one is being written
    )

"""A checkpoint is written in the background, on the real store: batches fold while it writes,
and it commits only the offsets it noted when it began, so a crash never commits an event that
no stored session holds; a checkpoint that failed commits nothing, and the next one stores
what it held."""

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_runtime.migrations import migrate, package_migrations
from cc_runtime.postgres import Database, DatabaseUnavailable
from cc_schemas import ContactRequested, ProductViewed
from cc_testing import Servers
from proactive_engine.checkpoints import Checkpoints
from proactive_engine.clock import ManualClock
from proactive_engine.codec import SessionRow, live_session
from proactive_engine.config import load_config
from proactive_engine.handlers import (
    Dependencies,
    ShopRecord,
    apply_shop_events,
    checkpoint,
    take_partitions,
)
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import OwnedSessions
from proactive_engine.repository import PostgresRepository
from proactive_engine.rules import build_rules
from proactive_engine.store import PostgresSessionStore
from proactive_engine.watermark import SourcePartition, Watermarks

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
BROWSE = ("browse-events", 0)


class GatedStore(PostgresSessionStore):
    """The real store, whose saves wait until the test opens the gate, and fail while the
    test says the database is away."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()
        self.away = False

    async def save(
        self, rows: Sequence[SessionRow], latest: Mapping[int, datetime] | None = None
    ) -> None:
        self.waiting.set()
        await self.gate.wait()
        if self.away:
            raise DatabaseUnavailable("PostgreSQL is away")
        await super().save(rows, latest)


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, f"{namespace}_proactive_engine")
    await database.open()
    async with database.connection() as connection:
        await migrate(connection, database.schema, package_migrations("proactive_engine"))
    yield database
    await database.close()


def view(session: str, event_id: str, minute: float, offset: int) -> ShopRecord:
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
    return event, BROWSE, offset


async def event_ids(store: PostgresSessionStore, session: str) -> set[str] | None:
    row = await store.get(session)
    return None if row is None else {v.event_id for v in live_session(row).state.visits}


async def test_batches_fold_while_a_checkpoint_is_written_and_it_commits_what_it_noted(
    db: Database,
) -> None:
    store = GatedStore(db)
    committed: list[dict[SourcePartition, int]] = []

    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        committed.append(dict(offsets))

    engine = engine_on(store, PostgresRepository(db), commit)
    await take_partitions(engine, [0])

    await apply_shop_events(engine, {0: [view("s1", "e1", 0, offset=0)]}, {BROWSE: 1})
    await asyncio.wait_for(store.waiting.wait(), 5)  # the batch began a checkpoint: it writes

    second = [view("s1", "e2", 1, offset=1), view("s2", "e3", 1, offset=2)]
    await asyncio.wait_for(apply_shop_events(engine, {0: second}, {BROWSE: 3}), 2)
    writing = engine.checkpoints.writing
    assert writing is not None
    assert not writing.done()
    assert committed == []

    store.gate.set()
    await asyncio.wait_for(writing, 10)
    assert committed == [{BROWSE: 1}]  # not 3: s2 was not noted, so it is not stored yet
    assert "e1" in (await event_ids(store, "s1") or set())
    assert await event_ids(store, "s2") is None

    await checkpoint(engine)
    assert committed == [{BROWSE: 1}, {BROWSE: 3}]
    assert await event_ids(store, "s1") == {"e1", "e2"}
    assert await event_ids(store, "s2") == {"e3"}


async def test_a_failed_checkpoint_commits_nothing_and_the_next_stores_what_it_held(
    db: Database,
) -> None:
    store = GatedStore(db)
    store.gate.set()
    committed: list[dict[SourcePartition, int]] = []

    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        committed.append(dict(offsets))

    engine = engine_on(store, PostgresRepository(db), commit, checkpoint_seconds=3600)
    await take_partitions(engine, [0])
    await apply_shop_events(engine, {0: [view("s1", "e1", 0, offset=0)]}, {BROWSE: 1})

    store.away = True
    await checkpoint(engine)
    assert committed == []
    assert [s.session_id for s in engine.owned.dirty(0)] == ["s1"]

    store.away = False
    await checkpoint(engine)
    assert committed == [{BROWSE: 1}]
    assert await event_ids(store, "s1") == {"e1"}
    assert engine.owned.dirty(0) == []


def engine_on(
    store: PostgresSessionStore,
    repository: PostgresRepository,
    commit: Any,
    checkpoint_seconds: float = 0,  # 0: every batch checkpoints, unless one is being written
) -> Dependencies:
    config = load_config()
    rules = build_rules(config)
    owned = OwnedSessions(rules)
    # No lateness, on a wall clock at T0: the events of these tests are folded as they come.
    watermarks = Watermarks(timedelta(0), 60, follows_wall=True, topics=(BROWSE[0],))

    async def publish(requests: Sequence[ContactRequested]) -> None:
        raise AssertionError("nothing is due in this test")

    class NoRequestLog:
        async def published(self, request_ids: Any, since: datetime) -> set[str]:
            return set()

    return Dependencies(
        store=store,
        repository=repository,
        request_log=NoRequestLog(),
        publish=publish,
        rules=rules,
        config=config,
        clock=ManualClock(T0),
        metrics=EngineMetrics(CollectorRegistry()),
        owner="test",
        owned=owned,
        checkpoints=Checkpoints(owned, watermarks, store, commit, checkpoint_seconds),
        watermarks=watermarks,
    )

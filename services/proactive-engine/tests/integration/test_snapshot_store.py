"""The insert-only session store on the real MongoDB-compatible server: a session is stored as
its events over several snapshots and loads as one, idle sessions are left behind, a failed
insert loses nothing, compaction merges each live session's snapshots, and a compaction cut
short (two generations left) still loads right."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DocumentTooLarge

from cc_schemas import ProductViewed, encode
from cc_testing import Servers
from proactive_engine.owned import LiveSession
from proactive_engine.session import SessionState, fold_event
from proactive_engine.store import SnapshotStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def database(servers: Servers, namespace: str) -> Any:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    return client[f"{namespace}_store"]


def session(session_id: str, minute: float, events: int) -> LiveSession:
    live = LiveSession(SessionState(session_id=session_id), partition=3)
    for n in range(events):
        add_event(live, f"{session_id}-{n}", minute)
    return live


def add_event(live: LiveSession, event_id: str, minute: float = 0, name: str = "train") -> None:
    """What the engine does with a new event of the session: fold it, keep it to store."""
    event = ProductViewed(
        event_id=event_id,
        occurred_at=T0 + timedelta(minutes=minute),
        source="shop",
        session_id=live.session_id,
        product_id="p1",
        name=name,
        price_cents=1999,
        currency="EUR",
    )
    assert fold_event(live.state, event)
    live.unsaved.append(encode(event))
    live.changes += 1


def event_ids(live: LiveSession) -> set[str]:
    return {visit.event_id for visit in live.state.visits}


async def collections(db: Any) -> list[str]:
    return sorted(await db.list_collection_names())


async def snapshots_in(collection: Any) -> list[int]:
    """How many snapshots each document of the collection holds."""
    return [len(doc["snapshots"]) async for doc in collection.find({})]


async def test_a_load_folds_each_sessions_snapshots_into_one_and_leaves_idle_ones(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a, b, old = session("a", 0, 1), session("b", 0, 1), session("old", -120, 1)
    await store.save(3, [a, b, old])
    add_event(a, "a-1", 1)
    a.state.fired = frozenset({"abandoned_cart|"})
    await store.save(3, [a])

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))

    by_id = {s.session_id: s for s in loaded}
    assert sorted(by_id) == ["a", "b"]
    assert by_id["a"].state.facts() == a.state.facts()
    assert event_ids(by_id["a"]) == {"a-0", "a-1"}
    assert by_id["a"].state.fired == {"abandoned_cart|"}
    assert (by_id["a"].seq, by_id["b"].seq) == (2, 1)
    assert not a.dirty
    assert a.unsaved == []
    assert await SnapshotStore(db).load(4, keep_after=T0) == []


class FailingCollection:
    async def insert_one(self, doc: Any) -> None:
        raise ConnectionError("the database went away")


async def test_a_failed_save_keeps_the_events_for_the_next_one(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a = session("a", 0, 2)
    unsaved = list(a.unsaved)
    real = store._current
    store._current = lambda partition: FailingCollection()  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await store.save(3, [a])
    assert a.unsaved == unsaved
    assert a.dirty

    store._current = real  # type: ignore[method-assign]
    add_event(a, "a-2", 1)
    await store.save(3, [a])

    stored = await store.latest("a")
    assert stored is not None
    assert stored.state.facts() == a.state.facts()
    assert stored.seq == 2  # the failed insert's number is skipped, not reused
    assert not a.dirty


async def test_compaction_merges_the_live_sessions_snapshots_in_a_new_generation(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    sessions = [session(f"s{n}", 0, 1) for n in range(3)]
    for round_ in range(4):
        for s in sessions:
            add_event(s, f"{s.session_id}-r{round_}", round_)
        await store.save(3, sessions)
    assert await snapshots_in(store.db["events_p3_g1"]) == [3, 3, 3, 3]

    await store.compact(3, sessions[:2])  # s2 was forgotten in memory: dropped from the store

    assert await collections(store.db) == ["events_p3_g2"]
    assert await snapshots_in(store.db["events_p3_g2"]) == [2]
    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))
    by_id = {s.session_id: s for s in loaded}
    assert sorted(by_id) == ["s0", "s1"]
    assert [by_id[s.session_id].state.facts() for s in sessions[:2]] == [
        s.state.facts() for s in sessions[:2]
    ]
    assert {s.seq for s in loaded} == {4}


async def test_a_compaction_cut_short_leaves_two_generations_that_load_as_one(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a = session("a", 0, 1)
    await store.save(3, [a])  # generation 1: a at seq 1
    (stored,) = (await store.db["events_p3_g1"].find_one({"snapshots.s": "a"}))["snapshots"]
    add_event(a, "a-1", 1)
    merged = {**stored, "q": 2, "events": [*stored["events"], *a.take_unsaved()]}
    await store.db["events_p3_g2"].insert_one({"snapshots": [merged]})  # half written

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))

    assert [(s.session_id, s.seq) for s in loaded] == [("a", 2)]
    assert loaded[0].state.facts() == a.state.facts()
    store = SnapshotStore(db)
    await store.load(3, keep_after=T0 - timedelta(hours=1))
    add_event(loaded[0], "a-2", 2)
    await store.save(3, [loaded[0]])
    assert await snapshots_in(store.db["events_p3_g2"]) == [1, 1]  # writes go to the newest


class SizeLimitedCollection:
    """The real collection, with a document size limit of six events."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    async def insert_one(self, doc: Any) -> None:
        if sum(len(snapshot["events"]) for snapshot in doc["snapshots"]) > 6:
            raise DocumentTooLarge("over the limit")
        await self.collection.insert_one(doc)


async def test_a_chunk_over_the_size_limit_is_stored_in_smaller_documents(
    servers: Servers, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    sessions = [session(f"s{n}", 0, 3) for n in range(12)] + [session("long", 0, 15)]
    monkeypatch.setattr("proactive_engine.store.CHUNK", 5)
    real = store._current
    store._current = lambda partition: SizeLimitedCollection(real(partition))  # type: ignore[method-assign]

    await store.save(3, sessions)

    docs = await store.db["events_p3_g1"].find({}).to_list()
    assert all(sum(len(s["events"]) for s in doc["snapshots"]) <= 6 for doc in docs)
    long_parts = [s for doc in docs for s in doc["snapshots"] if s["s"] == "long"]
    assert [len(s["events"]) for s in long_parts] == [3, 4, 4, 4]
    assert {s["q"] for s in long_parts} == {1}
    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))
    assert sorted((s.session_id, s.seq, s.state.facts()) for s in loaded) == sorted(
        (s.session_id, 1, s.state.facts()) for s in sessions
    )
    assert not any(s.dirty for s in sessions)


async def test_a_partition_larger_than_a_server_reply_loads(
    servers: Servers, namespace: str
) -> None:
    """60 MB of events: more than one reply may carry (48 MB), in documents split down to the
    16 MiB limit."""
    db = database(servers, namespace)
    store = SnapshotStore(db)
    sessions = [session(f"s{n}", 0, 0) for n in range(100)]
    for live in sessions:
        add_event(live, f"{live.session_id}-big", 0, name="t" * 600_000)

    await store.save(3, sessions)

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))
    assert sorted(s.session_id for s in loaded) == sorted(s.session_id for s in sessions)
    assert all(event_ids(s) == {f"{s.session_id}-big"} for s in loaded)


async def test_a_document_of_the_previous_build_is_one_snapshot(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a = session("a", 0, 2)
    await store.save(3, [a])
    (stored,) = (await store.db["events_p3_g1"].find_one({"snapshots.s": "a"}))["snapshots"]
    add_event(a, "a-2", 1)
    await store.db["events_p3_g1"].insert_one({**stored, "q": 2, "events": a.take_unsaved()})

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))

    assert [(s.session_id, s.seq) for s in loaded] == [("a", 2)]
    assert event_ids(loaded[0]) == {"a-0", "a-1", "a-2"}
    latest = await store.latest("a")
    assert latest is not None
    assert latest.seq == 2

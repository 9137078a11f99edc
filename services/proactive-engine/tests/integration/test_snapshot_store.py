"""The insert-only session store on the real MongoDB-compatible server: the latest snapshot
wins, idle sessions are left behind, compaction keeps only the latest, and a compaction cut
short (two generations left) still loads right."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from cc_testing import Servers
from proactive_engine.owned import LiveSession
from proactive_engine.session import SessionState, Stamp
from proactive_engine.store import SnapshotStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def database(servers: Servers, namespace: str) -> Any:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    return client[f"{namespace}_store"]


def session(session_id: str, minute: float, events: int) -> LiveSession:
    state = SessionState(session_id=session_id, last_at=T0 + timedelta(minutes=minute))
    live = LiveSession(state, partition=3, changes=1)  # changed, never saved
    for n in range(events):
        add_event(live, f"{session_id}-{n}")
    return live


def add_event(live: LiveSession, event_id: str) -> None:
    """What folding an event leaves in the state, as far as the store is concerned."""
    assert live.state.last_at is not None
    live.state.visits.append(Stamp(live.state.last_at, event_id))
    live.state.event_ids.add(event_id)


async def collections(db: Any) -> list[str]:
    return sorted(await db.list_collection_names())


async def test_a_load_returns_each_sessions_latest_snapshot_and_leaves_idle_ones(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a, b, old = session("a", 0, 1), session("b", 0, 1), session("old", -120, 1)
    await store.save(3, [a, b, old])
    add_event(a, "a-1")
    a.state.fired = frozenset({"abandoned_cart|"})
    await store.save(3, [a])

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))

    by_id = {s.session_id: s for s in loaded}
    assert sorted(by_id) == ["a", "b"]
    assert by_id["a"].state.event_ids == {"a-0", "a-1"}
    assert by_id["a"].state.fired == {"abandoned_cart|"}
    assert (by_id["a"].seq, by_id["b"].seq) == (2, 1)
    assert not a.dirty
    assert await SnapshotStore(db).load(4, keep_after=T0) == []


async def test_compaction_keeps_the_latest_snapshots_in_a_new_generation(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    sessions = [session(f"s{n}", 0, 1) for n in range(3)]
    for round_ in range(4):
        for s in sessions:
            add_event(s, f"{s.session_id}-r{round_}")
        await store.save(3, sessions)
    assert await store.db["sessions_p3_g1"].count_documents({}) == 12

    await store.compact(3, sessions)

    assert await collections(store.db) == ["sessions_p3_g2"]
    assert await store.db["sessions_p3_g2"].count_documents({}) == 3
    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))
    assert sorted(len(s.state.event_ids) for s in loaded) == [5, 5, 5]


async def test_a_compaction_cut_short_leaves_two_generations_that_load_as_one(
    servers: Servers, namespace: str
) -> None:
    db = database(servers, namespace)
    store = SnapshotStore(db)
    a = session("a", 0, 1)
    await store.save(3, [a])  # generation 1: a at seq 1
    add_event(a, "a-1")
    newer = {"s": "a", "q": 2, "last_at": a.state.last_at, "due_at": None, "fired": []}
    await store.db["sessions_p3_g2"].insert_one({**newer, "state": a.state.model_dump_json()})

    loaded = await SnapshotStore(db).load(3, keep_after=T0 - timedelta(hours=1))

    assert [(s.session_id, s.seq, len(s.state.event_ids)) for s in loaded] == [("a", 2, 2)]
    store = SnapshotStore(db)
    await store.load(3, keep_after=T0 - timedelta(hours=1))
    await store.save(3, [loaded[0]])
    assert await store.db["sessions_p3_g2"].count_documents({}) == 2  # writes go to the newest

"""Taking partitions with in-memory fakes of the store and the repository: a partition whose
load fails at the rebalance (the database away) is loaded once the database answers, without
waiting for one of its events; a partition given away meanwhile is not."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_runtime.postgres import DatabaseUnavailable
from cc_schemas import ContactRequested, ProductViewed
from proactive_engine.checkpoints import Checkpoints
from proactive_engine.clock import ManualClock
from proactive_engine.codec import SessionRow, row_of
from proactive_engine.config import load_config
from proactive_engine.handlers import (
    Dependencies,
    give_back_partitions,
    load_unloaded,
    take_partitions,
)
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.rules import build_rules
from proactive_engine.session import SessionState, fold
from proactive_engine.watermark import SourcePartition, Watermarks

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


class SessionsInMemory:
    """The session store's Protocol over a dict; its loads fail while `away`."""

    def __init__(self, rows: Sequence[SessionRow]) -> None:
        self.rows = {row.session_id: row for row in rows}
        self.away = False

    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        if self.away:
            raise DatabaseUnavailable("PostgreSQL is away")
        return [r for r in self.rows.values() if r.partition == partition]

    async def save(
        self, rows: Sequence[SessionRow], latest: Mapping[int, datetime] | None = None
    ) -> None:
        self.rows.update({row.session_id: row for row in rows})

    async def latest_event_time(self, partition: int) -> datetime | None:
        if self.away:
            raise DatabaseUnavailable("PostgreSQL is away")
        return None

    async def delete_idle(self, partitions: Sequence[int], before: datetime) -> int:
        return 0

    async def get(self, session_id: str) -> SessionRow | None:
        return self.rows.get(session_id)


class NothingElse:
    """The repository's Protocol: no orders, no chats; the ledger is never reached here."""

    async def order_problems(self, order_ids: Sequence[str]) -> dict[str, str]:
        return {}

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} is not used by taking partitions")


def stored_session(session_id: str, partition: int) -> SessionRow:
    viewed = ProductViewed(
        event_id=f"{session_id}-1",
        occurred_at=T0,
        source="shop",
        session_id=session_id,
        product_id="p1",
        name="train",
        price_cents=1999,
        currency="EUR",
    )
    row = row_of(LiveSession(fold(SessionState(session_id=session_id), [viewed]), partition))
    assert row is not None
    return row


def deps_on(store: SessionsInMemory) -> Dependencies:
    config = load_config()
    rules = build_rules(config)
    owned = OwnedSessions(rules)
    topics = ("browse-events", "cart-events")
    watermarks = Watermarks(timedelta(seconds=5), idle_seconds=10, follows_wall=True, topics=topics)

    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        pass

    async def publish(requests: Sequence[ContactRequested]) -> None:
        raise AssertionError("nothing is due")

    return Dependencies(
        store=store,
        repository=NothingElse(),  # type: ignore[arg-type]
        request_log=NothingElse(),  # type: ignore[arg-type]
        publish=publish,
        rules=rules,
        config=config,
        clock=ManualClock(T0 + timedelta(minutes=1)),
        metrics=EngineMetrics(CollectorRegistry()),
        owner="test",
        owned=owned,
        checkpoints=Checkpoints(owned, watermarks, store, commit, every_seconds=3600),
        watermarks=watermarks,
    )


async def test_a_partition_whose_load_failed_is_loaded_once_the_database_answers() -> None:
    store = SessionsInMemory([stored_session("s1", 0), stored_session("s2", 1)])
    deps = deps_on(store)
    store.away = True

    await take_partitions(deps, [0, 1])  # the consumer would only log an exception

    assert (deps.owned.owns(0), deps.owned.unloaded) == (False, {0, 1})
    with pytest.raises(DatabaseUnavailable):  # still away: the timer's chores try again
        await load_unloaded(deps)
    store.away = False
    await load_unloaded(deps)
    assert [deps.owned.owns(p) for p in (0, 1)] == [True, True]
    assert sorted(deps.owned.sessions) == ["s1", "s2"]
    assert deps.owned.unloaded == set()


async def test_a_partition_given_away_before_its_load_succeeded_is_not_loaded() -> None:
    store = SessionsInMemory([stored_session("s1", 0), stored_session("s2", 1)])
    deps = deps_on(store)
    store.away = True
    await take_partitions(deps, [0, 1])

    await give_back_partitions(deps, [0, 1])  # the next rebalance begins
    await take_partitions(deps, [1])
    store.away = False
    await load_unloaded(deps)

    assert sorted(deps.owned.sessions) == ["s2"]
    assert (deps.owned.owns(0), deps.owned.owns(1)) == (False, True)

"""A replay of old data on the event-time watermark decides its situations, publishes none of
them (each would expire before it reached an operator), and says so: a metric per request and
one warning for the lot. With in-memory fakes of the store and the ledger."""

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_schemas import CartItemAdded, ContactRequested
from proactive_engine.checkpoints import Checkpoints
from proactive_engine.clock import WallClock
from proactive_engine.codec import SessionRow
from proactive_engine.config import load_config
from proactive_engine.handlers import (
    Dependencies,
    ShopRecord,
    apply_shop_events,
    fire_due,
    take_partitions,
)
from proactive_engine.ledger import Answer, Claim
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import OwnedSessions
from proactive_engine.rules import build_rules
from proactive_engine.watermark import SourcePartition, Watermarks

LAST_MONTH = datetime.now(UTC) - timedelta(days=30)
CART = ("cart-events", 0)


class NothingStored:
    async def load(self, partition: int, active_since: datetime) -> list[SessionRow]:
        return []

    async def latest_event_time(self, partition: int) -> datetime | None:
        return None

    async def save(
        self, rows: Sequence[SessionRow], latest: Mapping[int, datetime] | None = None
    ) -> None:
        pass


class EmptyLedger:
    """No orders, no chats; the ledger is asked about no request (all were suppressed)."""

    def __init__(self) -> None:
        self.recorded: list[Sequence[SessionRow]] = []

    async def chatting(self, session_ids: Sequence[str], customer_ids: Sequence[str]) -> set[str]:
        return set()

    async def enter(self, claims: Sequence[Claim], *args: Any) -> list[Answer]:
        assert claims == []
        return []

    async def record_round(
        self, published: Sequence[str], at: datetime, sessions: Sequence[SessionRow]
    ) -> None:
        assert published == []
        self.recorded.append(sessions)


class NoRequestLog:
    async def published(self, request_ids: Collection[str], since: datetime) -> set[str]:
        return set()


def cart_left(session: str, minutes: float, offset: int) -> ShopRecord:
    added = CartItemAdded(
        event_id=f"{session}-1",
        occurred_at=LAST_MONTH + timedelta(minutes=minutes),
        source="shop",
        session_id=session,
        product_id="train",
        quantity=1,
        unit_price_cents=4990,
        currency="EUR",
        cart_value_cents=4990,
    )
    return added, CART, offset


async def test_a_replay_of_last_month_publishes_nothing_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = load_config()
    rules = build_rules(config)
    owned = OwnedSessions(rules)
    marks = Watermarks(timedelta(seconds=5), 10, follows_wall=False, topics=(CART[0],))
    published: list[ContactRequested] = []
    ledger = EmptyLedger()
    registry = CollectorRegistry()

    async def publish(requests: Sequence[ContactRequested]) -> None:
        published.extend(requests)

    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        pass

    deps = Dependencies(
        store=NothingStored(),  # type: ignore[arg-type]
        repository=ledger,  # type: ignore[arg-type]
        request_log=NoRequestLog(),
        publish=publish,
        rules=rules,
        config=config,
        clock=WallClock(),
        metrics=EngineMetrics(registry),
        owner="test",
        owned=owned,
        checkpoints=Checkpoints(owned, marks, NothingStored(), commit, 3600),  # type: ignore[arg-type]
        watermarks=marks,
    )
    await take_partitions(deps, [0])
    # Three carts left, and later that day another (its event moves the watermark past them).
    day = [cart_left(f"s{n}", n, n) for n in range(3)] + [cart_left("later", 180, 3)]

    with caplog.at_level(logging.INFO, logger="proactive_engine"):
        await apply_shop_events(deps, {0: day}, {CART: 4})
        while await fire_due(deps):
            pass

    suppressed = "proactive_engine_requests_suppressed_total"
    expired = registry.get_sample_value(suppressed, {"cause": "expired"})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (published, expired) == ([], 3.0)
    assert len(warnings) == 1
    assert "a replay of old data publishes nothing unless shifted to now" in warnings[0]
    settled = sorted(row.session_id for rows in ledger.recorded for row in rows)
    assert settled == ["s0", "s1", "s2"]  # decided: not looked at again

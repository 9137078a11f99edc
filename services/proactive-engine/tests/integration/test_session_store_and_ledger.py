"""The session store and the ledger on the real PostgreSQL, in a schema migrated from empty:
sessions saved and loaded a partition at a time, decided episodes never taken back, idle
sessions deleted, two instances' claims for one customer throttled to one, and the index each
hot query reads (EXPLAIN)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from cc_runtime.migrations import main as cc_migrate
from cc_runtime.migrations import migrate, package_migrations
from cc_runtime.postgres import Database
from cc_schemas import CartItemAdded, CustomerContext, ProductViewed
from cc_testing import Servers
from cc_testing.postgres import indexes_used
from proactive_engine import repository as sql
from proactive_engine import store as store_sql
from proactive_engine.codec import SessionRow, live_session, row_of
from proactive_engine.config import load_config
from proactive_engine.firing import plan_round
from proactive_engine.ledger import Claim, Verdict
from proactive_engine.owned import LiveSession
from proactive_engine.repository import PostgresRepository
from proactive_engine.rules import build_rules
from proactive_engine.session import SessionState, fold
from proactive_engine.store import PostgresSessionStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
CONFIG = load_config()
RULES = build_rules(CONFIG)
LEASE, PERIOD = timedelta(seconds=30), timedelta(hours=24)


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, f"{namespace}_proactive_engine")
    await database.open()
    async with database.connection() as connection:
        await migrate(connection, database.schema, package_migrations("proactive_engine"))
    yield database
    await database.close()


def viewed(session: str, n: int, minute: float) -> ProductViewed:
    return ProductViewed(
        event_id=f"{session}-{n}",
        occurred_at=T0 + timedelta(minutes=minute),
        source="shop",
        session_id=session,
        product_id="p1",
        name="train",
        price_cents=1999,
        currency="EUR",
    )


def session(session_id: str, minute: float, events: int = 2, partition: int = 3) -> LiveSession:
    state = fold(
        SessionState(session_id=session_id), [viewed(session_id, n, minute) for n in range(events)]
    )
    return LiveSession(state, partition)


def row(live: LiveSession, fired: set[str] | None = None) -> SessionRow:
    found = row_of(live, fired)
    assert found is not None
    return found


async def test_a_partition_loads_its_active_sessions_as_they_were_saved(db: Database) -> None:
    store = PostgresSessionStore(db)
    a, b, old = session("a", 0), session("b", 1, events=5), session("old", -120)
    other = session("elsewhere", 0, partition=4)
    a.state.fired = frozenset({"abandoned_cart|"})
    await store.save([row(a), row(b), row(old), row(other)])
    b.state = fold(b.state, [viewed("b", 9, 2)])
    await store.save([row(b)])  # a session saved again replaces its row

    loaded = [live_session(r) for r in await store.load(3, T0 - timedelta(hours=1))]

    by_id = {s.session_id: s for s in loaded}
    assert sorted(by_id) == ["a", "b"]
    assert [by_id[s.session_id].state.facts() for s in (a, b)] == [a.state.facts(), b.state.facts()]
    assert by_id["a"].state.fired == {"abandoned_cart|"}
    assert {s.partition for s in loaded} == {3}


async def test_a_save_never_takes_back_a_decided_episode(db: Database) -> None:
    """A checkpoint encoded the session before the timer settled an episode, and writes after."""
    store = PostgresSessionStore(db)
    a = session("a", 0)
    stale = row(a)
    await store.save([row(a, fired={"abandoned_cart|"})])  # the timer's round
    await store.save([stale])  # the checkpoint's write
    await store.save([row(a, fired={"long_product_dwell|"})])

    stored = await store.get("a")

    assert stored is not None
    assert sorted(stored.fired) == ["abandoned_cart|", "long_product_dwell|"]


async def test_decided_episodes_are_stored_as_they_are_whatever_their_characters(
    db: Database,
) -> None:
    store = PostgresSessionStore(db)
    fired = {'order_status_repeated|o "1", {x}\\ NULL', "order_status_repeated|", "a|b"}
    await store.save([row(session("a", 0), fired=fired)])

    stored = await store.get("a")

    assert stored is not None
    assert sorted(stored.fired) == sorted(fired)


async def test_idle_sessions_of_the_given_partitions_are_deleted(db: Database) -> None:
    store = PostgresSessionStore(db)
    sessions = [
        session("idle", -120),
        session("recent", 0),
        session("idle-elsewhere", -120, partition=5),
    ]
    await store.save([row(s) for s in sessions])

    deleted = await store.delete_idle([3], T0 - timedelta(hours=1))

    assert deleted == 1
    assert [await store.get(s.session_id) is not None for s in sessions] == [False, True, True]


def claim_for(session_id: str, customer: str) -> Claim:
    added = CartItemAdded(
        event_id=f"{session_id}-1",
        occurred_at=T0,
        source="shop",
        session_id=session_id,
        product_id="p",
        quantity=1,
        unit_price_cents=2000,
        currency="EUR",
        cart_value_cents=2000,
        customer=CustomerContext(customer_id=customer, contact_by_email=True),
    )
    state = fold(SessionState(session_id=session_id), [added])
    due = T0 + timedelta(minutes=16)
    (claim,) = plan_round([(state, due)], set(), {}, RULES, CONFIG, due).claims
    return claim


async def test_two_instances_claiming_for_one_customer_at_once_let_one_request_through(
    db: Database,
) -> None:
    ledger = PostgresRepository(db)
    now = T0 + timedelta(minutes=16)
    first, second = claim_for("s1", "ann"), claim_for("s2", "ann")

    answers = await asyncio.gather(
        ledger.enter([first], "one", now, LEASE, PERIOD),
        ledger.enter([second], "two", now, LEASE, PERIOD),
    )

    assert sorted(a.verdict for (a,) in answers) == [Verdict.PUBLISH, Verdict.THROTTLED]
    again = await ledger.enter([first, second], "one", now, LEASE, PERIOD)
    assert sorted(a.verdict for a in again) == [Verdict.PUBLISH, Verdict.THROTTLED]
    assert not any(a.new for a in again)


async def test_a_published_request_and_its_settled_session_are_recorded_together(
    db: Database,
) -> None:
    ledger, store = PostgresRepository(db), PostgresSessionStore(db)
    now = T0 + timedelta(minutes=16)
    claim = claim_for("s1", "ann")
    await ledger.enter([claim], "one", now, LEASE, PERIOD)
    live = session("s1", 0)
    good = row(live, fired={"abandoned_cart|"})
    refused = SessionRow("s2", 3, None, [], b"{}")  # type: ignore[arg-type]  # last_at NOT NULL

    with pytest.raises(asyncpg.NotNullViolationError):
        await ledger.record_round([claim.request_id], now, [good, refused])
    assert await store.get("s1") is None
    (after_failure,) = await ledger.enter([claim], "two", now + LEASE, LEASE, PERIOD)
    await ledger.record_round([claim.request_id], now, [good])
    (after_success,) = await ledger.enter([claim], "two", now + LEASE, LEASE, PERIOD)

    assert after_failure.verdict is Verdict.PUBLISH  # not marked published: looked for first
    assert after_failure.unconfirmed_since == now
    assert await store.get("s1") is not None
    assert after_success.verdict is Verdict.ALREADY_PUBLISHED


async def test_the_hot_queries_read_their_indexes(db: Database) -> None:
    since = T0 - timedelta(hours=1)
    plans = {}
    async with db.connection() as connection:
        for name, query, args in [
            ("load", store_sql.LOAD, (3, since)),
            ("delete idle", store_sql.DELETE_IDLE, ([3], since)),
            ("order problems", sql.ORDER_PROBLEMS, (["o1", "o2"],)),
            ("open chats", sql.OPEN_CHATS, (["s1"], ["c1"])),
            ("ledger entries", sql.ENTRIES, (["r1", "r2"],)),
            (
                "throttle",
                sql.THROTTLE_HOLDERS,
                (["customer:c1"], ["abandoned_cart"], since, T0),
            ),
            ("published", sql.MARK_PUBLISHED, (["r1"], since)),
        ]:
            plans[name] = await indexes_used(connection, query, *args)
    assert plans == {
        "load": {"sessions_partition"},
        "delete idle": {"sessions_partition"},
        "order problems": {"orders_pkey"},
        "open chats": {"chats_open_session", "chats_open_customer"},
        "ledger entries": {"requests_pkey"},
        "throttle": {"requests_subject_rule_claimed_at"},
        "published": {"requests_pkey"},
    }


async def test_cc_migrate_creates_the_schema_from_empty_and_then_has_nothing_to_do(
    servers: Servers,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert servers.postgres_url is not None
    monkeypatch.setenv("CC_NAMESPACE", namespace)
    command = ["proactive-engine", "--url", servers.postgres_url]

    await asyncio.to_thread(cc_migrate, command)
    first = capsys.readouterr()
    await asyncio.to_thread(cc_migrate, command)
    second = capsys.readouterr()

    schema = f"{namespace}_proactive_engine"
    assert first.out == (
        f"{schema}: applied 0001_sessions_orders_chats_requests.sql\n"
        f"{schema}: applied 0002_partitions_latest_event_time.sql\n"
    )
    assert second.out == ""
    assert second.err == f"{schema}: up to date (0002_partitions_latest_event_time.sql)\n"

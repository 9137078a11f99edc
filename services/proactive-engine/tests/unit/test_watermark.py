"""The watermark (per partition the latest event time minus the lateness, the minimum over the
partitions, idle ones left out) and the engine's event-time order over it: events held until
the watermark passes them, deadlines fired in deadline order and judged at their deadline, so
that however the same events are batched or paced, the same episodes fire on the same facts."""

import copy
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cc_schemas import CartItemAdded, CheckoutOrderPlaced, FaqSearched, ProductViewed, ShopEvent
from proactive_engine.config import load_config
from proactive_engine.owned import Held, OwnedSessions
from proactive_engine.rules import build_rules, due_decisions
from proactive_engine.watermark import Watermarks

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
LATENESS = timedelta(minutes=1)
RULES = build_rules(load_config())
NEVER_IDLE = 1e9


def minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def watermarks(
    idle_seconds: float = 10, follows_wall: bool = False, topics: tuple[str, ...] = ("browse",)
) -> Watermarks:
    return Watermarks(LATENESS, idle_seconds, follows_wall, topics)


def browse(partition: int) -> tuple[str, int]:
    return ("browse", partition)


def cart(partition: int) -> tuple[str, int]:
    return ("cart", partition)


def test_the_watermark_is_the_slowest_partitions_latest_event_time_minus_the_lateness() -> None:
    marks = watermarks()
    marks.own(0, None, at=0)
    marks.own(1, None, at=0)
    marks.observe(browse(0), minute(30), at=1)
    assert marks.advance(1, wall=T0) is None  # partition 1 may still hold earlier events

    marks.observe(browse(1), minute(10), at=2)
    marks.observe(browse(1), minute(8), at=2)  # out of order: the latest counts

    assert marks.advance(2, wall=T0) == minute(10) - LATENESS


def test_each_topics_partition_counts_on_its_own_as_a_consumer_reads_them_at_their_own_pace() -> (
    None
):
    marks = watermarks(topics=("browse", "cart"))
    marks.own(0, None, at=0)
    marks.observe(browse(0), minute(30), at=1)
    assert marks.advance(1, wall=T0) is None  # cart-events' partition 0 not read yet

    marks.observe(cart(0), minute(12), at=1)

    assert marks.advance(1, wall=T0) == minute(12) - LATENESS
    assert marks.restorable() == {0: minute(12)}  # a restart goes on from no further


def test_a_silent_partition_holds_no_one_back_after_the_idle_timeout() -> None:
    marks = watermarks(idle_seconds=10)
    marks.own(0, None, at=0)
    marks.own(1, minute(5), at=0)  # restored from a checkpoint, then silent
    marks.observe(browse(0), minute(30), at=3)
    assert marks.advance(9, wall=T0) == minute(5) - LATENESS

    assert marks.advance(11, wall=T0) == minute(30) - LATENESS


def test_when_every_partition_is_silent_the_watermark_moves_on_with_the_wall_time() -> None:
    marks = watermarks(idle_seconds=10)
    marks.own(0, None, at=0)
    marks.observe(browse(0), minute(30), at=0)

    assert marks.advance(12, wall=T0) == minute(30) - LATENESS + timedelta(seconds=12)


def test_live_the_wall_clock_moves_the_watermark_through_quiet_periods() -> None:
    marks = watermarks(follows_wall=True)
    marks.own(0, None, at=0)
    assert marks.advance(0, wall=minute(3)) == minute(3) - LATENESS  # no event needed

    marks.observe(browse(0), minute(1), at=1)  # late: behind the wall clock
    assert marks.advance(1, wall=minute(4)) == minute(4) - LATENESS


def test_it_tells_when_it_passed_a_deadline() -> None:
    marks = watermarks()
    marks.own(0, None, at=0)
    for at, latest in [(1.0, 10), (2.0, 20), (3.0, 30)]:
        marks.observe(browse(0), minute(latest), at)
        marks.advance(at, wall=T0)

    assert marks.passed_at(minute(12)) == 2.0
    assert marks.passed_at(minute(19)) == 2.0
    assert marks.passed_at(minute(29) + timedelta(seconds=1)) is None


# An operation on the watermark: (kind, partition, minute), at a later monotonic time each.
operations = st.lists(
    st.tuples(
        st.sampled_from(["observe", "own", "keep", "advance"]),
        st.integers(0, 3),
        st.integers(0, 600),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(ops=operations, follows_wall=st.booleans(), idle=st.floats(0.5, 20))
def test_the_watermark_never_goes_backwards(
    ops: list[tuple[str, int, int]], follows_wall: bool, idle: float
) -> None:
    marks = watermarks(idle, follows_wall)
    seen: list[datetime] = []
    for n, (kind, partition, at_minute) in enumerate(ops):
        at = float(n)
        if kind == "observe":
            marks.observe(browse(partition), minute(at_minute), at)
        elif kind == "own":
            marks.own(partition, minute(at_minute), at)
        elif kind == "keep":
            marks.keep([p for p in range(4) if p != partition])
        mark = marks.advance(at, wall=minute(at_minute))
        if mark is not None:
            seen.append(mark)
    assert seen == sorted(seen)


# --- the engine's event-time order, as the handlers drive it, without I/O ---

Fired = tuple[datetime, str, str, dict[str, Any]]  # deadline, session, episode, facts then


def shop_event(kind: str, session: str, n: int, at: datetime) -> ShopEvent:
    common: dict[str, Any] = {
        "event_id": f"{session}-{n}",
        "occurred_at": at,
        "source": "shop",
        "session_id": session,
    }
    if kind == "view":
        product = {"product_id": f"p{n % 3}", "name": "toy", "currency": "EUR"}
        return ProductViewed(**common, **product, price_cents=1999)
    if kind == "add":
        return CartItemAdded(
            **common,
            product_id="p1",
            quantity=1,
            unit_price_cents=2000,
            currency="EUR",
            cart_value_cents=2000 * n,
        )
    if kind == "order":
        return CheckoutOrderPlaced(**common, order_id=f"o-{session}", total_cents=1, currency="EUR")
    return FaqSearched(**common, query=f"q{n}", results_count=0)


# Per session: its events as (kind, minutes after the previous one).
sessions = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["view", "view", "add", "order", "faq"]), st.integers(0, 25)),
        min_size=1,
        max_size=8,
    ),
    min_size=1,
    max_size=8,
)


def arrival_order(
    plan: list[list[tuple[str, int]]], seed: int | None
) -> list[tuple[int, ShopEvent]]:
    """(partition, event) in the order a broker would deliver them: by event time, each
    delayed by less than the allowed lateness (so out of order within it); no seed, no delay."""
    jitter = random.Random(seed)
    arrivals = []
    for s, events in enumerate(plan):
        at = minute(s * 7)
        for n, (kind, gap) in enumerate(events):
            at += timedelta(minutes=gap)
            delay = timedelta(seconds=0 if seed is None else jitter.uniform(0, 59))
            arrivals.append((at + delay, s % 3, shop_event(kind, f"s{s}", n, at)))
    arrivals.sort(key=lambda a: a[0])
    return [(partition, event) for _, partition, event in arrivals]


def run(
    batches: Iterable[Sequence[tuple[int, ShopEvent]]], wall: datetime = T0
) -> list[list[Fired]]:
    """Fold or hold each batch as the handlers do, move the watermark on and fire what it
    passed (rounds of at most 3 sessions), then once the stream is over and silent, fire the
    rest; returns the rounds. With a `wall` clock ahead of the events, live: they come after
    the watermark passed them (a backlog), and are folded at once."""
    owned, marks = OwnedSessions(RULES), watermarks(NEVER_IDLE, follows_wall=wall > T0)
    for partition in range(3):
        owned.assign(partition, [])
        marks.own(partition, None, at=0)
    rounds: list[list[Fired]] = []
    offset = 0
    for batch in batches:
        before = marks.current  # events it has passed are folded at once, as live
        for partition, event in batch:
            marks.observe(browse(partition), event.occurred_at, at=0)
            live = owned.session(event.session_id, partition)
            owned.fold_or_hold(live, event, browse(partition), offset, before)
            offset += 1
        owned.folded_now()
        rounds += fire(owned, marks, at=0, wall=wall)
    return rounds + fire(owned, marks, at=10 * NEVER_IDLE, wall=wall)


def fire(owned: OwnedSessions, marks: Watermarks, at: float, wall: datetime) -> list[list[Fired]]:
    mark = marks.advance(at, wall)
    rounds: list[list[Fired]] = []
    if mark is None:
        return rounds
    owned.release(mark)
    while due := owned.pop_due(mark, limit=3):
        fired: list[Fired] = []
        for live in due:
            assert live.fires_at is not None
            for decision in due_decisions(RULES, live.state, live.fires_at):
                facts = copy.deepcopy(live.state.facts())
                fired.append((decision.deadline, live.session_id, decision.key, facts))
                live.state.fired |= {decision.key}
        rounds.append(fired)
        for live in due:
            owned.fired(live, mark)
    return rounds


def chunks(items: list[Any], sizes: list[int]) -> list[list[Any]]:
    out, start = [], 0
    for size in sizes * (len(items) + 1):
        if start >= len(items):
            break
        out.append(items[start : start + size])
        start += size
    return out


def flat(rounds: list[list[Fired]]) -> list[Fired]:
    return sorted((f for r in rounds for f in r), key=lambda f: (f[0], f[1], f[2]))


@settings(max_examples=150, deadline=None)
@given(plan=sessions, seed=st.integers(0, 1000), sizes=st.lists(st.integers(1, 12), min_size=1))
def test_the_same_episodes_fire_on_the_same_facts_however_the_events_are_batched(
    plan: list[list[tuple[str, int]]], seed: int, sizes: list[int]
) -> None:
    stream = arrival_order(plan, seed)

    one_by_one = run([[event] for event in stream])  # paced: a timer round after each event
    batched = run(chunks(stream, sizes))
    at_once = run([stream])  # as fast as possible: one batch

    assert flat(batched) == flat(one_by_one)
    assert flat(at_once) == flat(one_by_one)


@settings(max_examples=100, deadline=None)
@given(plan=sessions)
def test_a_backlog_read_after_the_watermark_passed_it_decides_as_a_replay_does(
    plan: list[list[tuple[str, int]]],
) -> None:
    stream = arrival_order(plan, seed=None)
    days_later = T0 + timedelta(days=3)

    # An empty batch first: the watermark is days past the events before they come.
    backlog = run([[], stream], wall=days_later)
    replayed = run([[event] for event in stream])

    assert flat(backlog) == flat(replayed)


@settings(max_examples=150, deadline=None)
@given(plan=sessions, seed=st.integers(0, 1000), sizes=st.lists(st.integers(1, 12), min_size=1))
def test_each_round_fires_in_deadline_order_and_each_session_in_its_own(
    plan: list[list[tuple[str, int]]], seed: int, sizes: list[int]
) -> None:
    rounds = run(chunks(arrival_order(plan, seed), sizes))

    for fired in rounds:
        deadlines = [f[0] for f in fired]
        assert deadlines == sorted(deadlines)
    per_session: dict[str, list[datetime]] = {}
    for fired in rounds:
        for deadline, session, _, _ in fired:
            per_session.setdefault(session, []).append(deadline)
    assert all(times == sorted(times) for times in per_session.values())


def test_a_checkpoint_commits_no_offset_past_an_event_still_held() -> None:
    owned, marks = OwnedSessions(RULES), watermarks(NEVER_IDLE)
    owned.assign(0, [])
    marks.own(0, None, at=0)
    for offset, at in [(0, minute(0)), (1, minute(1)), (2, minute(9))]:
        event = shop_event("view", "s1", offset, at)
        marks.observe(browse(0), at, at=0)
        owned.hold(owned.session("s1", 0), Held(at, event.event_id, event, ("browse", 0), offset))
    mark = marks.advance(0, wall=T0)
    assert mark == minute(9) - LATENESS

    owned.release(mark)

    assert owned.release_offsets() == {("browse", 0): 2}
    assert [h.offset for h in owned.sessions["s1"].held] == [2]

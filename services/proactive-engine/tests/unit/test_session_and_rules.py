"""The session state and the rules, in memory: order-independence (property-based), each
rule's deadline, and the suppression and channel choices."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_schemas import (
    CartItemAdded,
    CartItemRemoved,
    CheckoutFailed,
    CheckoutOrderPlaced,
    CustomerContext,
    FaqArticleRated,
    FaqSearched,
    OrderStatusChecked,
    PageType,
    PageViewed,
    ProductViewed,
    ShopEvent,
)
from proactive_engine.codec import decode_state, encode_state
from proactive_engine.config import load_config
from proactive_engine.domain import Suppression, Surroundings, channel_for, suppression
from proactive_engine.rules import build_rules, due_decisions, dwell_crossing, next_deadline
from proactive_engine.session import PageKind, SessionState, Stamp, fold

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
CONFIG = load_config()
RULES = build_rules(CONFIG)


def event(kind: int, n: int, minute: int, value: int) -> ShopEvent:
    base = {
        "event_id": f"e{n}",
        "occurred_at": T0 + timedelta(minutes=minute),
        "source": "shop",
        "session_id": "s",
        "customer": CustomerContext(customer_id=f"c{value % 2}", segment="vip")
        if value % 3 == 0
        else None,
    }
    item = {
        "product_id": f"p{value % 3}",
        "quantity": 1 + value % 2,
        "unit_price_cents": 100,
        "currency": "EUR",
        "cart_value_cents": value * 100,
    }
    makers = [
        lambda: ProductViewed(
            **base, product_id=f"p{value}", name="x", price_cents=1, currency="EUR"
        ),
        lambda: PageViewed(**base, page_type=PageType.FAQ, url="/faq"),
        lambda: FaqSearched(**base, query=f"q{value}", results_count=0),
        lambda: CartItemAdded(**base, **item),
        lambda: CartItemRemoved(**base, **item),
        lambda: CheckoutFailed(**base, reason="payment_declined"),
        lambda: OrderStatusChecked(**base, order_id=f"o{value % 2}"),
        lambda: FaqArticleRated(**base, article_id="a", helpful=value % 2 == 0),
        lambda: CheckoutOrderPlaced(**base, order_id="o", total_cents=1, currency="EUR"),
    ]
    return makers[kind % len(makers)]()


events_strategy = st.lists(
    st.builds(
        event, st.integers(0, 8), st.integers(0, 10**6), st.integers(0, 120), st.integers(0, 50)
    ),
    max_size=25,
    unique_by=lambda e: e.event_id,
)


@settings(max_examples=150, deadline=None)
@given(events=events_strategy, data=st.data())
def test_any_order_of_the_same_events_gives_the_same_session_facts(
    events: list[ShopEvent], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))
    split = data.draw(st.integers(0, len(events)))
    in_one = fold(SessionState(session_id="s"), events)
    in_two = fold(fold(SessionState(session_id="s"), shuffled[:split]), shuffled[split:])
    assert in_one.facts() == in_two.facts()
    assert next_deadline(RULES, in_one) == next_deadline(RULES, in_two)


@settings(max_examples=100, deadline=None)
@given(events=events_strategy)
def test_a_redelivered_event_changes_nothing(events: list[ShopEvent]) -> None:
    once = fold(SessionState(session_id="s"), events)
    assert fold(once, events).facts() == once.facts()


@settings(max_examples=150, deadline=None)
@given(events=events_strategy)
def test_a_stored_session_decodes_to_the_same_facts_and_deadlines(events: list[ShopEvent]) -> None:
    """The store keeps a session's folded state as bytes (codec.py); the episodes decided are
    stored beside them."""
    fired = frozenset({"abandoned_cart|"})
    state = fold(SessionState(session_id="s", fired=fired), events)
    restored = decode_state("s", encode_state(state), fired)
    assert restored.facts() == state.facts()
    assert restored.fired == fired
    assert next_deadline(RULES, restored) == next_deadline(RULES, state)
    assert [type(v.kind) for v in restored.visits] == [PageKind] * len(state.visits)


def test_a_state_of_an_unknown_format_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown version 99"):
        decode_state("s", b'{"v": 99}', frozenset())


def cart(minute: float, customer: CustomerContext | None = None) -> ShopEvent:
    return CartItemAdded(
        event_id=f"c{minute}",
        occurred_at=T0 + timedelta(minutes=minute),
        source="shop",
        session_id="s",
        product_id="p",
        quantity=1,
        unit_price_cents=2000,
        currency="EUR",
        cart_value_cents=2000,
        customer=customer,
    )


def test_a_full_cart_is_due_fifteen_minutes_after_the_last_activity() -> None:
    state = fold(SessionState(session_id="s"), [cart(0), cart(4)])
    assert next_deadline(RULES, state) == T0 + timedelta(minutes=19)
    assert due_decisions(RULES, state, T0 + timedelta(minutes=18)) == []
    assert [d.rule for d in due_decisions(RULES, state, T0 + timedelta(minutes=19))] == [
        "abandoned_cart"
    ]


def test_a_fired_episode_is_not_due_again() -> None:
    state = fold(SessionState(session_id="s"), [cart(0)])
    fired = dataclasses.replace(state, fired=frozenset({"abandoned_cart|"}))
    assert next_deadline(RULES, fired) is None


def test_an_anonymous_silent_session_has_no_channel_and_a_consenting_customer_gets_email() -> None:
    later = T0 + timedelta(hours=2)
    anonymous = fold(SessionState(session_id="s"), [cart(0)])
    assert channel_for(anonymous, CONFIG.engagement, later) is None
    known = fold(
        SessionState(session_id="s"),
        [cart(0, CustomerContext(customer_id="c", contact_by_email=True))],
    )
    assert channel_for(known, CONFIG.engagement, later) == "email"
    assert channel_for(known, CONFIG.engagement, T0 + timedelta(minutes=16)) == "chat"


def test_an_opt_out_suppresses_even_when_a_later_event_omits_it() -> None:
    state = fold(
        SessionState(session_id="s"),
        [
            cart(0, CustomerContext(customer_id="c", proactive_opt_out=True)),
            cart(1, CustomerContext(customer_id="c")),
        ],
    )
    now = T0 + timedelta(minutes=16)
    decision = due_decisions(RULES, state, now)[0]
    assert suppression(state, decision, Surroundings(), CONFIG.engagement, now) == (
        Suppression.OPTED_OUT
    )


def test_an_unknown_rule_in_the_configuration_is_refused() -> None:
    bad = CONFIG.model_copy(update={"rules": {**CONFIG.rules, "mind_reading": {}}})
    with pytest.raises(ValueError, match="mind_reading"):
        build_rules(bad)


def dwell_model(
    visits: list[Stamp], kind: PageKind, max_gap: timedelta, threshold: timedelta
) -> datetime | None:
    """The definition, spelled out: each visit's span, then where their running sum crosses."""
    spans = []
    for i, visit in enumerate(visits):
        if visit.kind is kind:
            end = visit.at + max_gap
            if i + 1 < len(visits):
                end = min(end, visits[i + 1].at)
            spans.append((visit.at, end))
    total = timedelta(0)
    for start, end in spans:
        if total + (end - start) >= threshold:
            return start + (threshold - total)
        total += end - start
    return None


@settings(max_examples=300, deadline=None)
@given(
    visits=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(list(PageKind))), max_size=30),
    max_gap=st.integers(1, 10),
    threshold=st.integers(1, 30),
)
def test_dwell_crossing_agrees_with_its_definition(
    visits: list[tuple[int, PageKind]], max_gap: int, threshold: int
) -> None:
    stamps = sorted(
        Stamp(T0 + timedelta(minutes=m), f"e{n}", kind) for n, (m, kind) in enumerate(visits)
    )
    state = SessionState(
        session_id="s",
        visits=stamps,
        first_at=stamps[0].at if stamps else None,
        last_at=stamps[-1].at if stamps else None,
    )
    for kind in PageKind:
        gap, limit = timedelta(minutes=max_gap), timedelta(minutes=threshold)
        assert dwell_crossing(state, kind, gap, limit) == dwell_model(stamps, kind, gap, limit)

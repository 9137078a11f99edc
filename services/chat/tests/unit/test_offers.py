"""Who auto-assignment offers a waiting contact request to, pure: the online operator with the
fewest open chats and offers held below their seat limit, never one who let the request pass;
and an offer's life on the request (shown while it lasts, declined only by its operator)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import ContactChannel, ContactContext, ContactPriority
from chat import queue
from chat.console.rows import row_of
from chat.presence import (
    Operator,
    Presence,
    choose,
    choose_for_offer,
    seat_refusal,
    status_at,
)
from chat.queue import ContactRequest, Refused, State

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=45)


def op(name: str, open_chats: int = 0, seats: int = 2, **kw: object) -> Operator:
    values: dict[str, object] = {
        "status": Presence.ONLINE,
        "last_seen": NOW - timedelta(seconds=5),
        **kw,
    }
    return Operator(operator_id=name, seat_limit=seats, open_chats=open_chats, **values)  # type: ignore[arg-type]


def test_the_offer_goes_to_the_fewest_chats_and_offers_held() -> None:
    ops = [op("anna", open_chats=1), op("marco", open_chats=0), op("luca", open_chats=0)]
    assert choose_for_offer(ops, {}, set(), NOW, TIMEOUT) == ops[2]  # tie: by id
    held = {"luca": 1, "marco": 1}
    chosen = choose_for_offer(ops, held, set(), NOW, TIMEOUT)
    assert chosen is not None
    assert chosen.operator_id == "anna"  # 1 chat against 1 offer: by id


def test_no_offer_to_one_who_passed_the_away_the_offline_or_the_full() -> None:
    ops = [
        op("anna"),
        op("away", status=Presence.AWAY),
        op("gone", last_seen=NOW - timedelta(minutes=5)),
        op("full", open_chats=1, seats=2),
    ]
    assert choose_for_offer(ops, {"full": 1}, {"anna"}, NOW, TIMEOUT) is None
    chosen = choose_for_offer(ops, {}, {"anna"}, NOW, TIMEOUT)
    assert chosen is not None
    assert chosen.operator_id == "full"  # one seat left


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),  # open chats
            st.integers(1, 4),  # seats
            st.integers(0, 3),  # offers held
            st.sampled_from(list(Presence)),
            st.booleans(),  # passed
        ),
        max_size=8,
    )
)
def test_the_chosen_may_take_it_and_none_who_may_holds_less(
    rows: list[tuple[int, int, int, Presence, bool]],
) -> None:
    ops = [op(f"o{i}", c, s, status=p) for i, (c, s, _, p, _) in enumerate(rows)]
    held = {f"o{i}": h for i, (_, _, h, _, _) in enumerate(rows)}
    passed = {f"o{i}" for i, (*_, x) in enumerate(rows) if x}
    chosen = choose_for_offer(ops, held, passed, NOW, TIMEOUT)
    may = [
        o
        for o in ops
        if status_at(o, NOW, TIMEOUT) is Presence.ONLINE
        and o.operator_id not in passed
        and o.open_chats + held[o.operator_id] < o.seat_limit
    ]
    if not may:
        assert chosen is None
        return
    assert chosen in may
    load = chosen.open_chats + held[chosen.operator_id]
    assert all(load <= o.open_chats + held[o.operator_id] for o in may)


REQUEST = ContactRequest(
    request_id="R-1",
    session_id="S-1",
    customer_id="C-1",
    rule="cart-stall",
    reason="stalled",
    priority=ContactPriority.NORMAL,
    strategic_level=None,
    channel=ContactChannel.CHAT,
    context=ContactContext(),
    requested_at=NOW - timedelta(minutes=1),
    expires_at=NOW + timedelta(minutes=5),
)


def test_an_offer_is_shown_while_it_lasts_and_declined_only_by_its_operator() -> None:
    offered = replace(REQUEST, offered_to="anna", offered_until=NOW + timedelta(seconds=20))
    assert queue.offered_to(offered, NOW) == "anna"
    assert queue.offered_to(offered, NOW + timedelta(seconds=20)) is None  # lapsed
    assert queue.offered_to(replace(offered, state=State.ACCEPTED), NOW) is None
    with pytest.raises(Refused, match="not offered to marco"):
        queue.pass_offer(offered, "marco", NOW)
    passed = queue.pass_offer(offered, "anna", NOW)
    assert (passed.state, passed.offered_to) == (State.WAITING, None)
    with pytest.raises(Refused, match="already accepted"):
        queue.pass_offer(replace(offered, state=State.ACCEPTED, operator_id="x"), "anna", NOW)


def test_a_chat_taken_by_hand_is_refused_at_the_seat_limit_with_the_reason() -> None:
    assert seat_refusal("anna", 2, 3) is None
    assert seat_refusal("anna", 3, 3) == (
        "anna holds 3 of 3 chats (the seat limit): end one first, or ask a supervisor to "
        "reassign it"
    )
    assert seat_refusal("anna", 4, 3) is not None  # over it (a supervisor's reassignment)


def test_the_console_row_says_offered_to_you_to_that_operator_only() -> None:
    offered = replace(REQUEST, offered_to="anna", offered_until=NOW + timedelta(seconds=14))
    assert row_of(offered, "en", NOW, "anna").offer == "Offered to you: 14 s left"
    assert row_of(offered, "it", NOW, "anna").offer == "Proposta a te: ancora 14 s"
    assert row_of(offered, "en", NOW, "marco").offer is None
    assert row_of(offered, "en", NOW + timedelta(seconds=14), "anna").offer is None  # lapsed


def test_an_offer_held_takes_a_seat_from_the_chats_auto_assignment_gives() -> None:
    assert choose([op("anna", seats=1, offers=1)], NOW, TIMEOUT) is None
    chosen = choose([op("anna", seats=2, offers=1), op("marco", open_chats=1)], NOW, TIMEOUT)
    assert chosen is not None
    assert chosen.operator_id == "anna"  # one each: by id

"""The contact-request queue, pure: the order operators take requests in, the moves a request's
state allows with the reason when it refuses, and the outcome each move publishes."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import (
    Actor,
    ContactAccepted,
    ContactChannel,
    ContactContext,
    ContactConverted,
    ContactDeclined,
    ContactExpired,
    ContactPriority,
    DeclinedBy,
    StrategicLevel,
)
from chat import queue
from chat.console.messages import CHANNELS, LANGUAGES, MESSAGES, PRIORITIES, RULES, language
from chat.outcomes import outcome_of
from chat.queue import ContactRequest, Refused, State

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def request(
    request_id: str = "R-1",
    priority: ContactPriority = ContactPriority.NORMAL,
    strategic_level: StrategicLevel | None = None,
    requested_at: datetime = T0,
    expires_in: timedelta = timedelta(minutes=10),
) -> ContactRequest:
    return ContactRequest(
        request_id=request_id,
        session_id="S-1",
        customer_id="C-1",
        rule="abandoned_cart",
        reason="Cart of 89.90 EUR left for 30 minutes",
        priority=priority,
        strategic_level=strategic_level,
        channel=ContactChannel.CHAT,
        context=ContactContext(cart_value_cents=8990, currency="EUR"),
        requested_at=requested_at,
        expires_at=requested_at + expires_in,
    )


def test_the_queue_is_priority_then_strategic_level_then_age() -> None:
    requests = [
        request("old-normal", requested_at=T0),
        request("new-normal-gold", strategic_level=StrategicLevel.GOLD, requested_at=T0 + DAY / 48),
        request("new-urgent", ContactPriority.URGENT, requested_at=T0 + DAY / 24),
        request("normal-standard", strategic_level=StrategicLevel.STANDARD),
        request("low", ContactPriority.LOW, StrategicLevel.PLATINUM),
    ]

    ordered = queue.live_queue(requests, T0 + timedelta(minutes=1))

    assert [r.request_id for r in ordered] == [
        "new-urgent",
        "new-normal-gold",
        "normal-standard",
        "old-normal",
        "low",
    ]


def test_expired_and_decided_requests_are_not_in_the_queue() -> None:
    taken = queue.accept(request("taken"), "anna", T0)
    short = request("short", expires_in=timedelta(seconds=30))

    assert queue.live_queue([taken, short, request("live")], T0 + timedelta(seconds=30)) == [
        request("live")
    ]


def test_the_countdown_counts_whole_seconds_down_to_zero() -> None:
    r = request(expires_in=timedelta(seconds=90))

    assert [queue.seconds_left(r, T0 + timedelta(seconds=s)) for s in (0, 0.5, 89.9, 90, 200)] == [
        90,
        89,
        0,
        0,
        0,
    ]


def test_the_second_operator_to_accept_is_told_who_was_first() -> None:
    accepted = queue.accept(request(), "anna", T0)

    with pytest.raises(Refused, match="already accepted by anna"):
        queue.accept(accepted, "marco", T0)
    with pytest.raises(Refused, match="already accepted by anna"):
        queue.decline(accepted, "marco", "busy", T0)


def test_an_expired_request_cannot_be_taken_even_before_the_watcher_runs() -> None:
    r = request(expires_in=timedelta(minutes=1))

    with pytest.raises(Refused, match="expired at 2026-12-02T10:01:00"):
        queue.accept(r, "anna", T0 + timedelta(minutes=1))


def test_a_decline_needs_a_reason_and_leaves_the_queue_for_everyone() -> None:
    with pytest.raises(Refused, match="needs a reason"):
        queue.decline(request(), "anna", "  ", T0)

    declined = queue.decline(request(), "anna", "customer already on the phone", T0)

    assert (declined.state, declined.decline_reason) == (
        State.DECLINED,
        "customer already on the phone",
    )
    with pytest.raises(Refused, match="already declined by anna: customer already on the phone"):
        queue.accept(declined, "marco", T0)


def test_the_clock_expires_only_a_waiting_request_past_its_expiry() -> None:
    r = request(expires_in=timedelta(minutes=1))

    with pytest.raises(Refused, match="expires at"):
        queue.expire(r, T0)
    with pytest.raises(Refused, match="accepted, not waiting"):
        queue.expire(queue.accept(r, "anna", T0), T0 + DAY)
    assert queue.expire(r, T0 + DAY).state is State.EXPIRED


def test_an_order_converts_an_accepted_request_within_the_window_only() -> None:
    accepted = queue.accept(request(), "anna", T0)

    converted = queue.convert(accepted, "O-1", T0 + DAY, DAY)

    assert (converted.state, converted.converted_by_order) == (State.CONVERTED, "O-1")
    with pytest.raises(Refused, match="outside the conversion window"):
        queue.convert(accepted, "O-2", T0 + DAY + timedelta(seconds=1), DAY)
    with pytest.raises(Refused, match="outside the conversion window"):
        queue.convert(accepted, "O-3", T0 - timedelta(seconds=1), DAY)
    with pytest.raises(Refused, match="waiting, not accepted"):
        queue.convert(request(), "O-4", T0, DAY)


def test_each_move_publishes_its_outcome_with_a_stable_id_and_the_actor() -> None:
    anna = Actor(subject="anna-sub", role="operator")
    accepted = queue.accept(request(), "anna-sub", T0)
    declined = queue.decline(request(), "anna-sub", "busy", T0)
    expired = queue.expire(request(), T0 + DAY)
    converted = queue.convert(accepted, "O-1", T0 + DAY / 2, DAY)

    events = [
        outcome_of(accepted, anna),
        outcome_of(declined, anna),
        outcome_of(expired, None),
        outcome_of(converted, None),
    ]

    assert [type(e) for e in events] == [
        ContactAccepted,
        ContactDeclined,
        ContactExpired,
        ContactConverted,
    ]
    assert [e.occurred_at for e in events] == [T0, T0, T0 + timedelta(minutes=10), T0 + DAY / 2]
    assert events[0].model_dump(include={"operator_id", "actor", "request_id"}) == {
        "operator_id": "anna-sub",
        "actor": {"subject": "anna-sub", "role": "operator"},
        "request_id": "R-1",
    }
    assert isinstance(events[1], ContactDeclined)
    assert (events[1].declined_by, events[1].reason) == (DeclinedBy.OPERATOR, "busy")
    assert outcome_of(accepted, anna).event_id == events[0].event_id
    assert len({e.event_id for e in events}) == 4


requests = st.builds(
    request,
    request_id=st.text("abcdef", min_size=1, max_size=4),
    priority=st.sampled_from(ContactPriority),
    strategic_level=st.none() | st.sampled_from(StrategicLevel),
    requested_at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    expires_in=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1)),
)


@given(st.lists(requests, max_size=20), st.datetimes(timezones=st.just(UTC)))
def test_the_queue_never_puts_a_request_before_a_more_urgent_one(
    found: list[ContactRequest], now: datetime
) -> None:
    ordered = queue.live_queue(found, now)

    assert {r.request_id for r in ordered} <= {r.request_id for r in found}
    assert all(queue.is_live(r, now) for r in ordered)
    assert len(ordered) == sum(queue.is_live(r, now) for r in found)
    for before, after in itertools.pairwise(ordered):
        assert before.priority.rank >= after.priority.rank
        if before.priority is after.priority:
            assert queue.STRATEGIC_RANK.get(before.strategic_level, -1) >= queue.STRATEGIC_RANK.get(
                after.strategic_level, -1
            )


def apply(move: str, r: ContactRequest, now: datetime) -> ContactRequest:
    if move == "accept":
        return queue.accept(r, "anna", now)
    if move == "decline":
        return queue.decline(r, "anna", "busy", now)
    if move == "expire":
        return queue.expire(r, now)
    return queue.convert(r, "O-1", now, DAY)


@given(requests, st.lists(st.sampled_from(["accept", "decline", "expire", "convert"])))
def test_a_request_leaves_waiting_once_and_never_comes_back(
    start: ContactRequest, moves: list[str]
) -> None:
    now = start.requested_at
    current = start
    left_waiting = 0
    for move in moves:
        before = current.state
        now += timedelta(minutes=3)
        try:
            current = apply(move, current, now)
        except Refused:
            assert current.state == before
            continue
        assert current.state is not State.WAITING
        left_waiting += before is State.WAITING
    assert left_waiting <= 1


def test_the_console_says_everything_in_both_languages() -> None:
    assert [sorted(MESSAGES[lang]) for lang in LANGUAGES] == [sorted(MESSAGES["en"])] * 2
    assert [sorted(RULES[lang]) for lang in LANGUAGES] == [sorted(RULES["en"])] * 2
    assert [set(PRIORITIES[lang]) for lang in LANGUAGES] == [set(ContactPriority)] * 2
    assert [set(CHANNELS[lang]) for lang in LANGUAGES] == [set(ContactChannel)] * 2


@pytest.mark.parametrize(
    ("asked", "browser", "spoken"),
    [
        ("it", "en-GB", "it"),
        (None, "it-IT,it;q=0.9,en;q=0.8", "it"),
        (None, "de-DE,en;q=0.5", "en"),
        ("fr", None, "en"),
    ],
)
def test_the_console_speaks_the_asked_language_else_the_browsers(
    asked: str | None, browser: str | None, spoken: str
) -> None:
    assert language(asked, browser) == spoken

"""What a waiting customer is told, pure: about a minute while a seat is free for them, longer
the further back they are and the fewer seats there are, nothing promised when nobody is online;
a left message needs a way to answer and some words."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.left_messages import LeftMessageRefused, left
from chat.waiting import Estimate, QueueFigures, estimate

FIVE_MINUTES = 300.0


def figures(place: int, seats: int = 3, free: int = 0, operators: int = 1) -> QueueFigures:
    return QueueFigures(
        place=place,
        operators_online=operators,
        online_seats=seats,
        free_seats=free,
        handling_seconds=FIVE_MINUTES,
    )


def test_nobody_online_is_said_with_no_figure() -> None:
    assert estimate(figures(1, seats=0, operators=0)) == Estimate(nobody_online=True, minutes=None)


def test_a_customer_within_the_free_seats_is_told_about_a_minute() -> None:
    assert estimate(figures(2, free=2)) == Estimate(nobody_online=False, minutes=1)


def test_further_back_waits_for_seats_to_free_at_the_handling_pace() -> None:
    # 6 behind the free seat, 3 seats of 5-minute chats: a seat frees every 100 s -> 10 min
    assert estimate(figures(7, seats=3, free=1)).minutes == 10
    assert estimate(figures(4, seats=6, free=0)).minutes == 4  # 4 x 300 / 6 = 200 s -> 4 min


@given(st.integers(1, 200), st.integers(1, 30), st.integers(0, 30))
def test_the_wait_never_shrinks_as_the_place_grows_and_is_at_least_a_minute(
    place: int, seats: int, free: int
) -> None:
    free = min(free, seats)
    here = estimate(figures(place, seats, free)).minutes
    behind = estimate(figures(place + 1, seats, free)).minutes
    assert here is not None
    assert behind is not None
    assert 1 <= here <= behind


NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_a_left_message_keeps_the_words_and_the_way_to_answer() -> None:
    message = left("m-1", " anna@example.com ", " Where is my order? ", " Anna ", "S-1", 50, NOW)
    assert (message.contact, message.text, message.name) == (
        "anna@example.com",
        "Where is my order?",
        "Anna",
    )
    assert left("m-2", "+39 333 123 4567", "Call me", None, None, 50, NOW).name is None


@pytest.mark.parametrize(
    ("contact", "text", "reason"),
    [
        ("", "hello", "say how to answer you"),
        ("tomorrow", "hello", "neither an e-mail address nor a phone number"),
        ("anna@example.com", "   ", "needs some text"),
        ("anna@example.com", "x" * 51, "at most 50 characters"),
    ],
)
def test_a_left_message_without_a_way_to_answer_or_words_is_refused_with_why(
    contact: str, text: str, reason: str
) -> None:
    with pytest.raises(LeftMessageRefused, match=reason):
        left("m", contact, text, None, None, 50, NOW)

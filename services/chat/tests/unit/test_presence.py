"""Presence and the choice of operator, pure: offline once the heartbeats stop, only online
operators with a free seat are given a chat, the fewest open chats first, a team's chat to
that team only."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chat.presence import Operator, Presence, choose, free_seats, status_at

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=45)


def op(name: str, open_chats: int = 0, seats: int = 3, **kw: object) -> Operator:
    values: dict[str, object] = {
        "status": Presence.ONLINE,
        "last_seen": NOW - timedelta(seconds=5),
        **kw,
    }
    return Operator(
        operator_id=name,
        seat_limit=seats,
        open_chats=open_chats,
        **values,  # type: ignore[arg-type]
    )


def test_an_operator_not_heard_from_for_the_timeout_is_offline_whatever_they_said() -> None:
    assert (
        status_at(op("a", last_seen=NOW - timedelta(seconds=46)), NOW, TIMEOUT) is Presence.OFFLINE
    )
    assert (
        status_at(op("a", last_seen=NOW - timedelta(seconds=45)), NOW, TIMEOUT) is Presence.ONLINE
    )
    assert status_at(op("a", status=Presence.AWAY), NOW, TIMEOUT) is Presence.AWAY


def test_the_online_operator_with_the_fewest_open_chats_is_chosen() -> None:
    chosen = choose([op("b", 2), op("a", 1), op("c", 1)], NOW, TIMEOUT)
    assert chosen is not None
    assert chosen.operator_id == "a"  # a tie goes by id


def test_away_offline_and_full_operators_are_not_given_a_chat() -> None:
    operators = [
        op("away", status=Presence.AWAY),
        op("gone", last_seen=NOW - timedelta(minutes=2)),
        op("full", 3, seats=3),
    ]
    assert choose(operators, NOW, TIMEOUT) is None
    assert free_seats(op("over", 5, seats=3)) == 0


def test_a_chat_sent_to_a_team_goes_to_that_team_only() -> None:
    operators = [op("a", 0, team="Sales"), op("b", 2, team="Returns")]
    chosen = choose(operators, NOW, TIMEOUT, team="Returns")
    assert chosen is not None
    assert chosen.operator_id == "b"
    assert choose(operators, NOW, TIMEOUT, team="Billing") is None


operators_strategy = st.lists(
    st.builds(
        op,
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.integers(0, 6),
        st.integers(1, 5),
        status=st.sampled_from(list(Presence)),
        last_seen=st.sampled_from([NOW, NOW - timedelta(minutes=5)]),
    ),
    max_size=6,
)


@given(operators_strategy)
def test_the_chosen_one_is_online_has_a_seat_and_no_available_one_has_fewer_chats(
    operators: list[Operator],
) -> None:
    chosen = choose(operators, NOW, TIMEOUT)
    available = [
        o
        for o in operators
        if status_at(o, NOW, TIMEOUT) is Presence.ONLINE and o.open_chats < o.seat_limit
    ]
    if chosen is None:
        assert available == []
    else:
        assert chosen in available
        assert chosen.open_chats == min(o.open_chats for o in available)

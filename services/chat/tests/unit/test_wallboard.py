"""The supervisor's wallboard, worked by hand: waits, service level per channel over the last
30 minutes, operators' states and loads, and the alerts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cc_schemas import ChatOrigin
from chat.console.pop_words import POP_WORDS
from chat.console.supervisor_words import SUPERVISOR_WORDS
from chat.conversation import Chat, ChatRefused, ChatState
from chat.presence import Operator, Presence
from chat.supervision import reassign
from chat.wallboard import (
    Alert,
    Held,
    Offered,
    OperatorState,
    ServiceLevel,
    Snapshot,
    Targets,
    Waiting,
    service_levels,
    wallboard,
)

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TARGETS = Targets(answer_within=timedelta(seconds=60), goal=0.8)
TIMEOUT = timedelta(seconds=45)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def operator(
    op_id: str, status: Presence = Presence.ONLINE, chats: int = 0, seen: float = 5
) -> Operator:
    return Operator(op_id, status, seat_limit=3, last_seen=ago(seen), open_chats=chats)


def test_service_level_is_answered_within_the_target_over_offered_in_the_window() -> None:
    offered = (
        Offered("chat", ago(600), ago(570)),  # 30 s: in target
        Offered("chat", ago(500), ago(380)),  # 120 s: late
        Offered("chat", ago(400), None),  # never answered, past the target: offered, missed
        Offered("chat", ago(30), None),  # waiting 30 s: may still make it, not counted
        Offered("chat", ago(20), ago(10)),  # answered in 10 s: counted
        Offered("chat", ago(31 * 60), ago(31 * 60 - 5)),  # before the window
        Offered("callback", ago(300), ago(250)),  # 50 s: in target
    )
    assert service_levels(offered, NOW, TARGETS) == (
        ServiceLevel("callback", 1, 1, 1.0),
        ServiceLevel("chat", 4, 2, 0.5),
    )


def test_nothing_offered_has_no_level() -> None:
    assert service_levels((), NOW, TARGETS) == ()
    assert service_levels((Offered("chat", ago(10), None),), NOW, TARGETS) == ()


def test_operators_by_state_a_call_first_then_a_pause_then_presence_and_load() -> None:
    snapshot = Snapshot(
        waiting=(),
        offered=(),
        operators=(
            operator("anna", chats=1),  # on a call and chatting: on a call
            operator("bruno", chats=2),  # chatting
            operator("carla"),  # available
            operator("dario", Presence.AWAY),  # away
            operator("elena", seen=120),  # silent past the timeout: offline
            operator("fabio", chats=1),  # paused on the phone
        ),
        on_call=frozenset({"anna"}),
        paused=frozenset({"fabio"}),
    )
    rows = wallboard(snapshot, NOW, TARGETS, TIMEOUT).operators
    assert [(r.operator_id, r.state, r.open_chats) for r in rows] == [
        ("anna", OperatorState.ON_CALL, 1),
        ("fabio", OperatorState.PAUSED, 1),
        ("bruno", OperatorState.CHATTING, 2),
        ("carla", OperatorState.AVAILABLE, 0),
        ("dario", OperatorState.AWAY, 0),
        ("elena", OperatorState.OFFLINE, 0),
    ]


def test_waiting_oldest_first_and_an_alert_per_channel_over_its_target() -> None:
    snapshot = Snapshot(
        waiting=(
            Waiting("chat", "CH-2", "chat", ago(20)),
            Waiting("request", "R-1", "callback", ago(90)),
            Waiting("chat", "CH-1", "chat", ago(75)),
        ),
        offered=(
            Offered("email", ago(900), ago(700)),  # late: email at 0 %
            Offered("callback", ago(600), ago(590)),  # callback at 100 %, but R-1 waits 90 s
        ),
        operators=(),
        on_call=frozenset(),
        paused=frozenset(),
    )
    board = wallboard(snapshot, NOW, TARGETS, TIMEOUT)
    assert [(w.item_id, w.waited.total_seconds()) for w in board.waiting] == [
        ("R-1", 90),
        ("CH-1", 75),
        ("CH-2", 20),
    ]
    assert board.alerts == (
        Alert("callback", "oldest", timedelta(seconds=90), None),
        Alert("chat", "oldest", timedelta(seconds=75), None),
        Alert("email", "level", None, 0.0),
    )


def test_no_alert_within_the_targets() -> None:
    snapshot = Snapshot(
        waiting=(Waiting("chat", "CH-1", "chat", ago(59)),),
        offered=(Offered("chat", ago(200), ago(150)),),
        operators=(),
        on_call=frozenset(),
        paused=frozenset(),
    )
    assert wallboard(snapshot, NOW, TARGETS, TIMEOUT).alerts == ()


def test_a_supervisor_reassigns_an_open_chat_held_or_waiting_but_not_an_ended_one() -> None:
    waiting = Chat("CH-1", ChatOrigin.CUSTOMER, started_at=ago(120))
    assert reassign(waiting, "luca", NOW).operator_id == "luca"
    held = replace(waiting, operator_id="anna", joined_at=ago(100), team="returns")
    moved = reassign(held, "luca", NOW)
    assert (moved.operator_id, moved.joined_at, moved.team) == ("luca", NOW, None)
    with pytest.raises(ChatRefused, match="already luca's"):
        reassign(moved, "luca", NOW)
    with pytest.raises(ChatRefused, match="has ended"):
        reassign(replace(held, state=ChatState.ENDED), "luca", NOW)


def test_the_words_have_the_same_keys_in_each_language() -> None:
    for table in (POP_WORDS, SUPERVISOR_WORDS):
        assert set(table["en"]) == set(table["it"])


def test_chats_in_progress_oldest_first_with_their_holder() -> None:
    snapshot = Snapshot(
        waiting=(),
        offered=(),
        operators=(),
        on_call=frozenset(),
        paused=frozenset(),
        held=(Held("CH-2", "luca", ago(30)), Held("CH-1", "anna", ago(300))),
    )
    held = wallboard(snapshot, NOW, TARGETS, TIMEOUT).held
    assert [(h.chat_id, h.operator_id, h.age.total_seconds()) for h in held] == [
        ("CH-1", "anna", 300),
        ("CH-2", "luca", 30),
    ]

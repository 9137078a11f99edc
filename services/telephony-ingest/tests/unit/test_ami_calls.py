"""Calls in queue from Join to Leave, in the order Asterisk sends their frames: an answered
or abandoned call ends with its own event, one that leaves unanswered with call.exited after
the grace; a reconnect resyncs the waiting calls from QueueStatus."""

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import CallExited
from telephony_ingest.ami_calls import CallsInQueue, Queued, Untracked, queue_entry
from telephony_ingest.ami_events import KeyPressed, Left, Receipt, map_frame
from telephony_ingest.queue_log import Ignored, Mapped

CALL = "1710408413.26"
JOINED = 1710408413.0
GRACE = 5.0

# Asterisk 11 frames of one call (app_queue.c, 11); no Timestamp, so the receipt gives the time.
JOIN = {"Event": "Join", "Channel": "SIP/trunk-0000001a", "CallerIDNum": "0212345678",
        "CallerIDName": "unknown", "Queue": "sales", "Position": "3", "Count": "3",
        "Uniqueid": CALL}  # fmt: skip
LEAVE = {"Event": "Leave", "Channel": "SIP/trunk-0000001a", "Queue": "sales", "Count": "1",
         "Position": "1", "Uniqueid": CALL}  # fmt: skip
CONNECT = {"Event": "AgentConnect", "Queue": "sales", "Uniqueid": CALL,
           "Channel": "SIP/1127-0000001b", "Member": "SIP/1127", "MemberName": "SIP/1127",
           "HoldTime": "20", "BridgedChannel": "1710408433.27", "RingTime": "3"}  # fmt: skip
ABANDON = {"Event": "QueueCallerAbandon", "Queue": "sales", "Uniqueid": CALL, "Position": "1",
           "OriginalPosition": "3", "HoldTime": "20"}  # fmt: skip
DTMF = {"Event": "DTMF", "Channel": "SIP/trunk-0000001a", "Uniqueid": CALL, "Digit": "5",
        "Direction": "Received", "Begin": "No", "End": "Yes"}  # fmt: skip
NEWEXTEN = {"Event": "Newexten", "Channel": "SIP/trunk-0000001a", "Uniqueid": CALL}


def feed(calls: CallsInQueue, frames: list[tuple[float, Mapping[str, str]]]) -> None:
    """Frames at their receive times, handled as the adapter does."""
    for sequence, (at, frame) in enumerate(frames):
        outcome = map_frame(frame, receipt=Receipt(at, "c1", sequence))
        if isinstance(outcome, Mapped):
            calls.observe(outcome.event)
        elif isinstance(outcome, KeyPressed):
            calls.key(outcome)
        elif isinstance(outcome, Left):
            calls.left(outcome, at)


def test_an_answered_call_sends_leave_before_agent_connect_and_does_not_exit() -> None:
    calls = CallsInQueue(GRACE)

    feed(calls, [(JOINED, JOIN), (JOINED + 20, LEAVE), (JOINED + 21, CONNECT)])

    assert calls.due() == []
    assert (calls.waiting, calls.pending) == ({}, {})


def test_an_abandoned_call_sends_abandon_before_leave_and_does_not_exit() -> None:
    calls = CallsInQueue(GRACE)

    feed(calls, [(JOINED, JOIN), (JOINED + 20, ABANDON), (JOINED + 20, LEAVE)])

    assert calls.due() == []
    assert (calls.waiting, calls.pending) == ({}, {})


def test_a_caller_who_leaves_with_a_key_exits_with_the_key_after_the_grace() -> None:
    calls = CallsInQueue(GRACE)
    feed(calls, [(JOINED, JOIN), (JOINED + 41, DTMF), (JOINED + 42.5, LEAVE)])

    early = calls.due(JOINED + 42.5 + GRACE - 0.1)
    exits = calls.due(JOINED + 42.5 + GRACE)

    assert early == []
    assert len(exits) == 1
    exited = exits[0]
    assert isinstance(exited, CallExited)
    assert (exited.call_id, exited.queue, exited.reason, exited.key) == (CALL, "sales", "key", "5")
    assert exited.wait_seconds == pytest.approx(42.5)
    assert (exited.position, exited.original_position) == (1, 3)
    assert exited.occurred_at.timestamp() == pytest.approx(JOINED + 42.5)
    assert calls.due() == []


def test_a_leave_with_no_key_seen_exits_for_an_unknown_reason() -> None:
    calls = CallsInQueue(GRACE)
    feed(calls, [(JOINED, JOIN), (JOINED + 30, NEWEXTEN), (JOINED + 60, LEAVE)])

    (exited,) = calls.due()

    assert isinstance(exited, CallExited)
    assert (exited.reason, exited.key, exited.wait_seconds) == ("unknown", None, 60)


def test_an_agent_connect_after_the_grace_is_too_late_to_undo_the_exit() -> None:
    calls = CallsInQueue(GRACE)
    feed(calls, [(JOINED, JOIN), (JOINED + 20, LEAVE)])
    (exited,) = calls.due(JOINED + 20 + GRACE)

    feed(calls, [(JOINED + 40, CONNECT)])

    assert isinstance(exited, CallExited)
    assert calls.due() == []


def test_a_leave_of_a_call_never_seen_joining_is_untracked_unless_it_is_answered() -> None:
    answered, exited = CallsInQueue(GRACE), CallsInQueue(GRACE)
    feed(answered, [(JOINED + 20, LEAVE), (JOINED + 21, CONNECT)])
    feed(exited, [(JOINED + 20, LEAVE)])

    assert answered.due() == []
    (untracked,) = exited.due()
    assert isinstance(untracked, Untracked)
    assert untracked.left.call_id == CALL


def test_an_abandon_of_a_call_never_seen_joining_closes_it() -> None:
    calls = CallsInQueue(GRACE)

    feed(calls, [(JOINED + 20, ABANDON), (JOINED + 20, LEAVE)])

    assert calls.due() == []


def test_a_resync_keeps_the_calls_still_waiting_and_drops_those_that_ended_unseen() -> None:
    calls = CallsInQueue(GRACE)
    other = {**JOIN, "Uniqueid": "1710408400.20"}
    feed(calls, [(JOINED - 13, other), (JOINED, JOIN), (JOINED + 1, DTMF)])
    new = Queued("1710408450.30", "support", None)

    lost = calls.resync([Queued(CALL, "sales", None), new])
    feed(calls, [(JOINED + 30, LEAVE)])

    assert lost == 1
    assert sorted(calls.waiting) == ["1710408450.30"]
    (exited,) = calls.due()
    assert isinstance(exited, CallExited)
    assert (exited.wait_seconds, exited.key) == (30, "5")  # from the Join seen before


def test_a_call_that_joined_while_disconnected_is_tracked_from_its_queue_entry_wait() -> None:
    calls = CallsInQueue(GRACE)
    entry = {"Event": "QueueEntry", "Queue": "sales", "Position": "1", "Channel": "SIP/x",
             "Uniqueid": CALL, "CallerIDNum": "0212345678", "Wait": "34",
             "ActionID": "action/1"}  # fmt: skip
    queued = queue_entry(entry, JOINED + 34)
    assert queued is not None

    calls.resync([queued])
    feed(calls, [(JOINED + 50, LEAVE)])

    (exited,) = calls.due()
    assert isinstance(exited, CallExited)
    assert exited.wait_seconds == pytest.approx(50)


@pytest.mark.parametrize(
    "entry",
    [
        {"Event": "QueueParams", "Queue": "sales"},
        {"Event": "QueueEntry", "Queue": "sales", "Wait": "3"},
        {"Event": "QueueEntry", "Uniqueid": CALL, "Wait": "3"},
    ],
)
def test_a_reply_that_is_not_a_whole_queue_entry_is_left_out(entry: dict[str, str]) -> None:
    assert queue_entry(entry, JOINED) is None


frames = st.lists(
    st.tuples(st.floats(0, 600), st.sampled_from([JOIN, LEAVE, CONNECT, ABANDON, DTMF, NEWEXTEN])),
    max_size=12,
)


@given(frames)
def test_any_order_of_a_calls_frames_gives_at_most_one_exit_per_leave(
    timed: list[tuple[float, Mapping[str, str]]],
) -> None:
    calls = CallsInQueue(GRACE)
    timed = sorted(timed, key=lambda pair: pair[0])

    feed(calls, [(JOINED + at, frame) for at, frame in timed])
    exits = calls.due()

    leaves = sum(1 for _, frame in timed if frame is LEAVE)
    assert len(exits) <= min(1, leaves)
    for exited in exits:
        assert isinstance(exited, CallExited | Untracked)
        if isinstance(exited, CallExited):
            assert exited.wait_seconds >= 0
    assert map_frame(NEWEXTEN) == Ignored("Newexten")


def test_a_caller_whose_exit_key_leads_to_another_queue_exits_the_first_at_once() -> None:
    calls = CallsInQueue(GRACE)
    join_support = {**JOIN, "Queue": "support", "Position": "1"}
    leave_support = {**LEAVE, "Queue": "support"}
    connect_support = {**CONNECT, "Queue": "support"}
    feed(calls, [(JOINED, JOIN), (JOINED + 9, DTMF), (JOINED + 10, LEAVE),
                 (JOINED + 10.2, join_support)])  # fmt: skip

    (exited,) = calls.due(JOINED + 10.2)
    feed(calls, [(JOINED + 30, leave_support), (JOINED + 30.1, connect_support)])

    assert isinstance(exited, CallExited)
    assert (exited.queue, exited.reason, exited.key, exited.wait_seconds) == (
        "sales",
        "key",
        "5",
        10,
    )
    assert calls.due() == []

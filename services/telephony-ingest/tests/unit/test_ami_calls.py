"""Calls in queue from Join to their end, in the order Asterisk sends their frames: an
answered call ends with its own events, an abandon is one when the caller hung up and an exit
when QUEUESTATUS says the queue gave up, a Leave with neither is an exit after the grace; a
reconnect resyncs the waiting calls from QueueStatus."""

from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import CallAbandoned, CallExited, Event
from telephony_ingest.ami_calls import (
    CallsInQueue,
    Decided,
    Queued,
    Unpublishable,
    Untracked,
    queue_entry,
)
from telephony_ingest.ami_events import Left, Receipt, map_frame
from telephony_ingest.queue_log import Ignored

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
ABANDON_60 = {**ABANDON, "HoldTime": "60"}
HANGUP_REQUEST = {"Event": "HangupRequest", "Channel": "SIP/trunk-0000001a", "Uniqueid": CALL}
HANGUP = {"Event": "Hangup", "Channel": "SIP/trunk-0000001a", "Uniqueid": CALL,
          "CallerIDNum": "0212345678", "Cause": "16", "Cause-txt": "Normal Clearing"}  # fmt: skip
QUEUESTATUS = {"Event": "VarSet", "Channel": "SIP/trunk-0000001a", "Variable": "QUEUESTATUS",
               "Value": "TIMEOUT", "Uniqueid": CALL}  # fmt: skip


def feed(calls: CallsInQueue, frames: list[tuple[float, Mapping[str, str]]]) -> list[Decided]:
    """Frames at their receive times, handled as the adapter does; what is published at once."""
    published: list[Decided] = []
    for sequence, (at, frame) in enumerate(frames):
        published += calls.apply(map_frame(frame, receipt=Receipt(at, "c1", sequence)), at)
    return published


def types(decided: list[Decided]) -> list[str]:
    return [d.event_type if isinstance(d, Event) else "untracked" for d in decided]


def test_an_answered_call_sends_leave_before_agent_connect_and_does_not_exit() -> None:
    calls = CallsInQueue(GRACE)

    published = feed(calls, [(JOINED, JOIN), (JOINED + 20, LEAVE), (JOINED + 21, CONNECT)])

    assert types(published) == ["call.offered", "call.answered"]
    assert calls.due() == []
    assert (calls.waiting, calls.held) == ({}, {})


def test_an_abandon_after_the_callers_hang_up_request_is_published_at_once() -> None:
    calls = CallsInQueue(GRACE)
    frames = [(JOINED, JOIN), (JOINED + 20, HANGUP_REQUEST), (JOINED + 20, ABANDON),
              (JOINED + 20, LEAVE), (JOINED + 20, HANGUP)]  # fmt: skip

    published = feed(calls, frames)

    assert types(published) == ["call.offered", "call.abandoned"]
    assert calls.due() == []
    assert (calls.waiting, calls.held) == ({}, {})


def test_an_abandon_is_released_by_the_callers_hangup_after_the_leave() -> None:
    calls = CallsInQueue(GRACE)

    before = feed(calls, [(JOINED, JOIN), (JOINED + 20, ABANDON), (JOINED + 20, LEAVE)])
    after = feed(calls, [(JOINED + 20.1, HANGUP)])

    assert types(before) == ["call.offered"]
    assert types(after) == ["call.abandoned"]
    assert (calls.waiting, calls.held) == ({}, {})


def test_an_abandon_with_no_hang_up_seen_is_published_when_the_grace_has_passed() -> None:
    """Without the `call` event class: no HangupRequest, no Hangup."""
    calls = CallsInQueue(GRACE)
    feed(calls, [(JOINED, JOIN), (JOINED + 20, ABANDON), (JOINED + 20, LEAVE)])

    early, late = calls.due(JOINED + 20 + GRACE - 0.1), calls.due(JOINED + 20 + GRACE)

    assert (early, types(late)) == ([], ["call.abandoned"])
    assert isinstance(late[0], CallAbandoned)
    assert (late[0].wait_seconds, late[0].position, late[0].original_position) == (20, 1, 3)


@pytest.mark.parametrize(("status", "reason"), [("TIMEOUT", "timeout"), ("LEAVEEMPTY", "empty"),
                                                ("LEAVEUNAVAIL", "empty")])  # fmt: skip
def test_an_abandon_the_queue_decided_is_an_exit_with_its_reason(status: str, reason: str) -> None:
    calls = CallsInQueue(GRACE)
    status_set = {**QUEUESTATUS, "Value": status}
    frames = [(JOINED, JOIN), (JOINED + 60, ABANDON_60), (JOINED + 60, LEAVE),
              (JOINED + 60, status_set), (JOINED + 60, NEWEXTEN),
              (JOINED + 90, HANGUP)]  # fmt: skip

    published = feed(calls, frames)

    assert types(published) == ["call.offered", "call.exited"]
    exited = published[1]
    assert isinstance(exited, CallExited)
    assert (exited.reason, exited.wait_seconds, exited.position) == (reason, 60, 1)
    assert (exited.original_position, exited.queue) == (3, "sales")
    assert calls.due() == []
    assert (calls.waiting, calls.held) == ({}, {})


def test_an_abandon_followed_by_a_join_elsewhere_was_the_queue_giving_up() -> None:
    """Without the `dialplan` class: a timeout that the dialplan sends to an overflow queue."""
    calls = CallsInQueue(GRACE)
    overflow = {**JOIN, "Queue": "overflow", "Position": "1"}
    frames = [(JOINED, JOIN), (JOINED + 60, ABANDON_60), (JOINED + 60, LEAVE),
              (JOINED + 60.1, overflow)]  # fmt: skip

    published = feed(calls, frames)

    assert types(published) == ["call.offered", "call.exited", "call.offered"]
    assert isinstance(published[1], CallExited)
    assert (published[1].queue, published[1].reason) == ("sales", "unknown")
    assert calls.due() == []


def test_a_queue_status_that_is_not_the_queue_giving_up_changes_nothing() -> None:
    calls = CallsInQueue(GRACE)
    frames = [(JOINED, JOIN), (JOINED + 20, ABANDON), (JOINED + 20, LEAVE),
              (JOINED + 20, {**QUEUESTATUS, "Value": "CONTINUE"})]  # fmt: skip

    published = feed(calls, frames)

    assert types(published) == ["call.offered"]
    assert types(calls.due()) == ["call.abandoned"]


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


def test_an_abandon_of_a_call_never_seen_joining_is_still_an_abandon() -> None:
    calls = CallsInQueue(GRACE)

    published = feed(calls, [(JOINED + 20, ABANDON), (JOINED + 20, LEAVE), (JOINED + 21, HANGUP)])

    assert types(published) == ["call.abandoned"]
    assert (calls.waiting, calls.held) == ({}, {})


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


OVERFLOW = {**JOIN, "Queue": "overflow"}
frames = st.lists(
    st.tuples(
        st.floats(0, 600),
        st.sampled_from([JOIN, OVERFLOW, LEAVE, CONNECT, ABANDON, DTMF, NEWEXTEN,
                         HANGUP_REQUEST, HANGUP, QUEUESTATUS]),
    ),
    max_size=14,
)  # fmt: skip
ENDS = {"call.abandoned", "call.exited", "untracked"}


@given(frames)
def test_any_order_of_a_calls_frames_ends_each_leave_or_abandon_at_most_once(
    timed: list[tuple[float, Mapping[str, str]]],
) -> None:
    calls = CallsInQueue(GRACE)
    timed = sorted(timed, key=lambda pair: pair[0])

    decided = feed(calls, [(JOINED + at, frame) for at, frame in timed]) + calls.due()

    ends = [d for d in decided if types([d])[0] in ENDS]
    sources = sum(1 for _, frame in timed if frame in (LEAVE, ABANDON))
    assert len(ends) <= sources
    ids = [d.event_id if isinstance(d, Event) else d.left.event_id for d in ends]
    assert len(ids) == len(set(ids))
    assert all(d.wait_seconds >= 0 for d in decided if isinstance(d, CallExited))
    assert calls.held == {}
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


def test_an_end_the_contract_refuses_is_unpublishable_and_the_other_calls_still_end() -> None:
    """A Leave whose field the edge let through but the contract refuses (a NUL in its queue)
    must not take the other calls' ends with it: `due` raised here, and the loop closing calls
    in queue stopped for good."""
    other = "1710408999.40"
    calls = CallsInQueue(grace_seconds=0.0)
    frames = [JOIN, {**JOIN, "Uniqueid": other}, LEAVE, {**LEAVE, "Uniqueid": other}]
    join, other_join, leave, other_leave = (
        map_frame(frame, receipt=Receipt(JOINED + n, "c1", n)) for n, frame in enumerate(frames)
    )
    assert isinstance(leave, Left)
    for outcome in (join, other_join, replace(leave, queue="s\x00les"), other_leave):
        calls.apply(outcome, now=0.0)

    unpublishable, exited = sorted(calls.due(), key=lambda d: isinstance(d, CallExited))

    assert isinstance(unpublishable, Unpublishable)
    assert unpublishable.left.call_id == CALL
    assert "queue" in unpublishable.error
    assert isinstance(exited, CallExited)
    assert exited.call_id == other
    assert calls.due() == []

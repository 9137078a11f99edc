"""AMI queue event frames, as Asterisk 1.8 / 11 and 13-16 write them, mapped to the call
lifecycle: ids that tell two genuine events apart, one agent identity whatever field names the
member, Leave and DTMF handed to the calls in queue; no frame crashes the mapping."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import (
    AgentLoggedIn,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallRinging,
    CallRingNoAnswer,
)
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.ami_events import (
    MAPPERS,
    Frame,
    HungUp,
    KeyPressed,
    Left,
    QueueResult,
    Receipt,
    ignored_kind,
    map_frame,
)
from telephony_ingest.queue_log import Ignored, Mapped, Rejected, RejectReason

# Asterisk 11, manager.conf without timestampevents: no Timestamp header (app_queue.c, 11).
UNPAUSE_11 = {
    "Event": "QueueMemberPaused",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Location": "Local/1127@agents/n",
    "MemberName": "Local/1127@agents/n",
    "Paused": "0",
}
PAUSE_11 = {**UNPAUSE_11, "Paused": "1", "Reason": "lunch"}
ADDED_11 = {
    "Event": "QueueMemberAdded",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Location": "Local/1127@agents/n",
    "MemberName": "Local/1127@agents/n",
    "StateInterface": "SIP/1127",
    "Membership": "dynamic",
    "Penalty": "0",
    "CallsTaken": "0",
    "LastCall": "0",
    "Status": "1",
    "Paused": "0",
}
JOIN_11 = {
    "Event": "Join",
    "Privilege": "call,all",
    "Channel": "SIP/trunk-0000001a",
    "CallerIDNum": "0212345678",
    "CallerIDName": "Mario Rossi",
    "ConnectedLineNum": "unknown",
    "ConnectedLineName": "unknown",
    "Queue": "sales",
    "Position": "1",
    "Count": "1",
    "Uniqueid": "1710408413.26",
}
LEAVE_11 = {
    "Event": "Leave",
    "Privilege": "call,all",
    "Channel": "SIP/trunk-0000001a",
    "Queue": "sales",
    "Count": "0",
    "Position": "1",
    "Uniqueid": "1710408413.26",
}
CALLED_11 = {
    "Event": "AgentCalled",
    "Privilege": "agent,all",
    "Queue": "sales",
    "AgentCalled": "SIP/1127",
    "AgentName": "SIP/1127",
    "ChannelCalling": "SIP/trunk-0000001a",
    "DestinationChannel": "SIP/1127-0000001b",
    "CallerIDNum": "0212345678",
    "CallerIDName": "Mario Rossi",
    "Context": "from-trunk",
    "Extension": "800",
    "Priority": "3",
    "Uniqueid": "1710408413.26",
}
CONNECT_11 = {
    "Event": "AgentConnect",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Uniqueid": "1710408413.26",
    "Channel": "SIP/1127-0000001b",
    "Member": "SIP/1127",
    "MemberName": "SIP/1127",
    "HoldTime": "14",
    "BridgedChannel": "1710408427.27",
    "RingTime": "3",
}
COMPLETE_11 = {
    "Event": "AgentComplete",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Uniqueid": "1710408413.26",
    "Channel": "SIP/1127-0000001b",
    "Member": "SIP/1127",
    "MemberName": "SIP/1127",
    "HoldTime": "14",
    "TalkTime": "95",
    "Reason": "agent",
}
ABANDON_11 = {
    "Event": "QueueCallerAbandon",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Uniqueid": "1710408413.26",
    "Position": "2",
    "OriginalPosition": "3",
    "HoldTime": "45",
}
RING_NO_ANSWER_11 = {
    "Event": "AgentRingNoAnswer",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Uniqueid": "1710408413.26",
    "Channel": "SIP/1127-0000001b",
    "Member": "SIP/1127",
    "MemberName": "SIP/1127",
    "RingTime": "15000",
}
DTMF_END_11 = {
    "Event": "DTMF",
    "Privilege": "dtmf,all",
    "Channel": "SIP/trunk-0000001a",
    "Uniqueid": "1710408413.26",
    "Digit": "1",
    "Direction": "Received",
    "Begin": "No",
    "End": "Yes",
}

# Asterisk 16 with timestampevents=yes: channel snapshots, `Interface`, a Timestamp.
SNAPSHOT_16 = {
    "Channel": "PJSIP/trunk-00000001",
    "ChannelState": "6",
    "ChannelStateDesc": "Up",
    "CallerIDNum": "+390212345678",
    "CallerIDName": "<unknown>",
    "ConnectedLineNum": "<unknown>",
    "ConnectedLineName": "<unknown>",
    "Language": "it",
    "AccountCode": "",
    "Context": "from-trunk",
    "Exten": "800",
    "Priority": "3",
    "Uniqueid": "1710408413.1",
    "Linkedid": "1710408413.1",
}
UNPAUSE_16 = {
    "Event": "QueueMemberPause",
    "Privilege": "agent,all",
    "Timestamp": "1710408500.104512",
    "Queue": "sales",
    "MemberName": "Mario Rossi",
    "Interface": "PJSIP/1127",
    "StateInterface": "PJSIP/1127",
    "Membership": "dynamic",
    "Penalty": "0",
    "CallsTaken": "3",
    "LastCall": "1710408000",
    "LastPause": "1710408100",
    "LoginTime": "1710400000",
    "InCall": "0",
    "Status": "1",
    "Paused": "0",
    "PausedReason": "",
    "Ringinuse": "0",
    "Wrapuptime": "0",
}
CONNECT_16 = {
    "Event": "AgentConnect",
    "Privilege": "agent,all",
    "Timestamp": "1710408440.000312",
    **SNAPSHOT_16,
    "DestChannel": "PJSIP/1127-00000002",
    "DestUniqueid": "1710408435.2",
    "DestLinkedid": "1710408413.1",
    "Queue": "sales",
    "Interface": "PJSIP/1127",
    "MemberName": "PJSIP/1127",
    "HoldTime": "27",
    "RingTime": "5",
}
LEAVE_16 = {
    "Event": "QueueCallerLeave",
    "Privilege": "agent,all",
    "Timestamp": "1710408438.500001",
    **SNAPSHOT_16,
    "Queue": "sales",
    "Count": "0",
    "Position": "1",
}
DTMF_BEGIN_16 = {"Event": "DTMFBegin", **SNAPSHOT_16, "Digit": "#", "Direction": "Received"}
DTMF_END_16 = {**DTMF_BEGIN_16, "Event": "DTMFEnd", "DurationMs": "120"}


def on(connection: str, sequence: int, at: float = 1710408500.0) -> Receipt:
    return Receipt(at, connection, sequence)


def test_two_unpauses_of_one_member_without_a_timestamp_get_two_event_ids() -> None:
    first = map_frame(UNPAUSE_11, receipt=on("c1", 7, at=1710408500.0))
    second = map_frame(UNPAUSE_11, receipt=on("c1", 9, at=1710408501.1))

    assert isinstance(first, Mapped)
    assert isinstance(second, Mapped)
    assert first.event.event_id != second.event.event_id
    assert (second.event.occurred_at - first.event.occurred_at).total_seconds() == pytest.approx(
        1.1
    )


def test_a_timestamped_frame_keeps_its_id_on_any_connection_and_two_timestamps_differ() -> None:
    one = map_frame(UNPAUSE_16, receipt=on("c1", 3))
    same = map_frame(dict(reversed(UNPAUSE_16.items())), receipt=on("c2", 40))
    later = map_frame({**UNPAUSE_16, "Timestamp": "1710408501.204512"}, receipt=on("c1", 4))

    assert isinstance(one, Mapped)
    assert isinstance(same, Mapped)
    assert isinstance(later, Mapped)
    assert one.event.event_id == same.event.event_id
    assert one.event.event_id != later.event.event_id
    assert one.event.occurred_at.timestamp() == pytest.approx(1710408500.104512)


def test_the_id_names_what_the_event_is_about() -> None:
    """Two members paused in the same microsecond are two events."""
    other_member = {**UNPAUSE_16, "MemberName": "Anna Bianchi", "Interface": "PJSIP/1128"}

    first, second = map_frame(UNPAUSE_16), map_frame(other_member)

    assert isinstance(first, Mapped)
    assert isinstance(second, Mapped)
    assert first.event.event_id != second.event.event_id


def test_a_debug_sequence_number_alone_does_not_name_the_frame() -> None:
    """Asterisk restarts SequenceNumber at 0; without a Timestamp the receipt names the frame."""
    frame = {**UNPAUSE_11, "SequenceNumber": "12", "File": "app_queue.c", "Line": "6455"}

    first = map_frame(frame, receipt=on("before-restart", 1))
    second = map_frame(frame, receipt=on("after-restart", 1))

    assert isinstance(first, Mapped)
    assert isinstance(second, Mapped)
    assert first.event.event_id != second.event.event_id


def test_an_asterisk_11_paused_member_is_named_by_its_identity_and_location() -> None:
    outcome = map_frame(PAUSE_11)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, AgentPaused)
    assert (outcome.event.agent_id, outcome.event.interface) == ("1127", "Local/1127@agents/n")
    assert outcome.event.reason == "lunch"


def test_an_asterisk_11_added_member_carries_its_location_not_its_state_interface() -> None:
    outcome = map_frame(ADDED_11)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, AgentLoggedIn)
    assert (outcome.event.agent_id, outcome.event.interface) == ("1127", "Local/1127@agents/n")


def test_an_asterisk_16_member_with_a_membername_keeps_it_and_its_interface() -> None:
    outcome = map_frame(UNPAUSE_16)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, AgentUnpaused)
    assert (outcome.event.agent_id, outcome.event.interface) == ("Mario Rossi", "PJSIP/1127")


def test_configured_aliases_name_the_agent_of_a_device() -> None:
    identities = AgentIdentities({"SIP/mario-desk": "1127"})
    frame = {**CONNECT_11, "Member": "SIP/mario-desk", "MemberName": "SIP/mario-desk"}

    outcome = map_frame(frame, identities=identities)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, CallAnswered)
    assert (outcome.event.agent, outcome.event.interface) == ("1127", "SIP/mario-desk")


@pytest.mark.parametrize(
    ("frame", "kind", "interface"),
    [
        (CALLED_11, CallRinging, "SIP/1127"),
        (CONNECT_11, CallAnswered, "SIP/1127"),
        (COMPLETE_11, CallEnded, "SIP/1127"),
        (RING_NO_ANSWER_11, CallRingNoAnswer, "SIP/1127"),
        (CONNECT_16, CallAnswered, "PJSIP/1127"),
    ],
)
def test_call_events_name_the_agent_by_identity_and_keep_the_interface(
    frame: dict[str, str], kind: type, interface: str
) -> None:
    outcome = map_frame(frame)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, kind)
    assert (outcome.event.agent, outcome.event.interface) == ("1127", interface)  # type: ignore[attr-defined]


def test_agent_connect_keeps_the_agent_channel_in_asterisk_11_and_16() -> None:
    old, new = map_frame(CONNECT_11), map_frame(CONNECT_16)

    assert isinstance(old, Mapped)
    assert isinstance(new, Mapped)
    assert isinstance(old.event, CallAnswered)
    assert isinstance(new.event, CallAnswered)
    assert (old.event.agent_call_id, old.event.wait_seconds) == ("1710408427.27", 14)
    assert (new.event.agent_call_id, new.event.wait_seconds) == ("1710408435.2", 27)


def test_completion_abandon_and_ring_no_answer_keep_the_captured_times() -> None:
    complete = map_frame(COMPLETE_11)
    abandon = map_frame(ABANDON_11)
    rna = map_frame(RING_NO_ANSWER_11)

    assert isinstance(complete, Mapped)
    assert isinstance(complete.event, CallEnded)
    assert (complete.event.talk_seconds, complete.event.ended_by) == (95, "agent")
    assert isinstance(abandon, Mapped)
    assert isinstance(abandon.event, CallAbandoned)
    assert (abandon.event.position, abandon.event.original_position) == (2, 3)
    assert abandon.event.wait_seconds == 45
    assert isinstance(rna, Mapped)
    assert isinstance(rna.event, CallRingNoAnswer)
    assert rna.event.ring_seconds == 15


def test_an_old_asterisk_join_is_an_offered_call() -> None:
    join = map_frame(JOIN_11)

    assert isinstance(join, Mapped)
    assert join.event.event_type == "call.offered"
    assert join.event.caller.e164 == "+390212345678"  # type: ignore[attr-defined]


@pytest.mark.parametrize("frame", [LEAVE_11, LEAVE_16])
def test_a_leave_is_handed_to_the_calls_in_queue(frame: dict[str, str]) -> None:
    outcome = map_frame(frame, receipt=on("c1", 1, at=1710408438.0))

    assert isinstance(outcome, Left)
    assert (outcome.call_id, outcome.queue, outcome.position) == (frame["Uniqueid"], "sales", 1)
    assert f"Event: {frame['Event']}" in outcome.frame


def test_a_leave_without_a_position_is_rejected() -> None:
    outcome = map_frame({**LEAVE_11, "Position": ""})

    assert isinstance(outcome, Rejected)
    assert outcome.reason is RejectReason.BAD_FIELD


@pytest.mark.parametrize(
    ("frame", "outcome"),
    [
        (DTMF_END_11, KeyPressed("1710408413.26", "1")),
        ({**DTMF_END_11, "Begin": "Yes", "End": "No"}, Ignored("DTMF")),
        ({**DTMF_END_11, "Direction": "Sent"}, Ignored("DTMF")),
        (DTMF_END_16, KeyPressed("1710408413.1", "#")),
        (DTMF_BEGIN_16, Ignored("DTMFBegin")),
    ],
)
def test_a_key_the_caller_sent_is_counted_once_at_its_end(
    frame: dict[str, str], outcome: KeyPressed | Ignored
) -> None:
    assert map_frame(frame) == outcome


VARSET_11 = {"Event": "VarSet", "Privilege": "dialplan,all", "Channel": "SIP/trunk-0000001a",
             "Variable": "QUEUESTATUS", "Value": "TIMEOUT",
             "Uniqueid": "1710408413.26"}  # fmt: skip
VARSET_16 = {"Event": "VarSet", "Privilege": "dialplan,all", **SNAPSHOT_16,
             "Variable": "QUEUESTATUS", "Value": "LEAVEEMPTY"}  # fmt: skip
HANGUP_REQUEST_16 = {"Event": "HangupRequest", "Privilege": "call,all", **SNAPSHOT_16,
                     "Cause": "16"}  # fmt: skip
HANGUP_11 = {"Event": "Hangup", "Privilege": "call,all", "Channel": "SIP/trunk-0000001a",
             "Uniqueid": "1710408413.26", "CallerIDNum": "0212345678", "CallerIDName": "unknown",
             "Cause": "16", "Cause-txt": "Normal Clearing"}  # fmt: skip


@pytest.mark.parametrize(
    ("frame", "outcome"),
    [
        (VARSET_11, QueueResult("1710408413.26", "TIMEOUT")),
        (VARSET_16, QueueResult("1710408413.1", "LEAVEEMPTY")),
        ({**VARSET_16, "Variable": "ABANDONED", "Value": "TRUE"}, Ignored("VarSet")),
        (HANGUP_REQUEST_16, HungUp("1710408413.1")),
        ({**HANGUP_REQUEST_16, "Event": "SoftHangupRequest"}, HungUp("1710408413.1")),
        (HANGUP_11, HungUp("1710408413.26")),
        ({"Event": "Hangup", "Channel": "SIP/x"}, Ignored("Hangup")),
    ],
)
def test_queue_status_and_hang_ups_of_a_channel_are_handed_to_the_calls_in_queue(
    frame: dict[str, str], outcome: QueueResult | HungUp | Ignored
) -> None:
    assert map_frame(frame) == outcome


def test_ignored_frames_are_counted_by_known_name_or_as_other() -> None:
    assert ignored_kind("Newchannel") == "Newchannel"
    assert ignored_kind("newchannel") == "Newchannel"
    assert ignored_kind("DTMFBegin") == "DTMFBegin"
    assert ignored_kind("SomethingNew") == "other"
    assert ignored_kind("") == "other"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ({"Event": "AgentConnect", "MemberName": "PJSIP/1", "HoldTime": "3"},
         RejectReason.MISSING_CALL_ID),
        ({"Event": "AgentConnect", "Uniqueid": "1.1", "MemberName": "PJSIP/1", "HoldTime": "x"},
         RejectReason.BAD_FIELD),
        ({"Event": "QueueCallerAbandon", "Uniqueid": "1.1", "Queue": "q", "HoldTime": "4"},
         RejectReason.BAD_FIELD),
        ({"Event": "AgentComplete", "Uniqueid": "1.1", "Queue": "q", "HoldTime": "4"},
         RejectReason.MISSING_AGENT),
        ({"Event": "QueueCallerLeave", "Position": "1", "Queue": "q"},
         RejectReason.MISSING_CALL_ID),
        ({"Event": "Leave", "Uniqueid": "1.1", "Position": "1"}, RejectReason.MISSING_QUEUE),
        ({**UNPAUSE_11, "MemberName": "SIP/11\ud80027"}, RejectReason.BAD_FIELD),
        ({**LEAVE_11, "Uniqueid": "1710408413.\udc80"}, RejectReason.BAD_FIELD),
    ],
)  # fmt: skip
def test_queue_events_that_cannot_be_mapped_are_rejected_with_a_reason(
    frame: dict[str, str], reason: RejectReason
) -> None:
    outcome = map_frame(frame)

    assert isinstance(outcome, Rejected)
    assert outcome.reason is reason


keys = st.sampled_from(
    ["Uniqueid", "Queue", "MemberName", "Interface", "Location", "StateInterface", "Member",
     "AgentName", "AgentCalled", "HoldTime", "TalkTime", "RingTime", "Position",
     "OriginalPosition", "Paused", "Reason", "PausedReason", "CallerIDNum", "CallerIDName",
     "Timestamp", "SequenceNumber", "Digit", "Direction", "End", "DestUniqueid",
     "BridgedChannel", "Variable", "Value", "x"]
)  # fmt: skip
values = st.one_of(
    st.text(st.characters(codec=None), max_size=15),  # surrogates and controls too
    st.sampled_from(
        ["0", "1", "-1", "1e308", "nan", "inf", "1710408413.104512", "Yes", "Received"]
    ),
)
events = st.sampled_from([*sorted(MAPPERS), "QueueCallerJoin", "Newchannel", "DTMFBegin", ""])
# Frames of any channel, which say something only about a caller in queue.
CHANNEL_FACTS = {"dtmf", "dtmfend", "hangup", "hanguprequest", "softhanguprequest", "varset"}


@given(events, st.dictionaries(keys, values, max_size=12), st.floats(0, 4e9), st.integers(0))
def test_no_frame_crashes_the_mapping_and_each_has_one_outcome(
    event: str, headers: dict[str, str], at: float, sequence: int
) -> None:
    outcome = map_frame({"Event": event, **headers}, receipt=Receipt(at, "c", sequence))

    assert isinstance(
        outcome, Mapped | Ignored | Rejected | Left | KeyPressed | HungUp | QueueResult
    )
    if isinstance(outcome, Ignored):
        assert event.lower() not in MAPPERS or event.lower() in CHANNEL_FACTS


# What a frame can hold once map_frame has let it through: a lone surrogate is rejected as
# bad_field before any id is derived (test_no_frame_crashes_the_mapping_... covers it).
encodable_values = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=15),
    st.sampled_from(["0", "1", "1710408413.104512", "Yes"]),
)


@given(st.dictionaries(keys, encodable_values, max_size=12), st.integers(0), st.integers(0))
def test_a_frame_without_a_timestamp_is_named_by_its_receipt(
    headers: dict[str, str], first: int, second: int
) -> None:
    headers = {k: v for k, v in headers.items() if k != "Timestamp"}
    frame = {"Event": "QueueMemberPause", **headers}
    identities = AgentIdentities()

    one = Frame(frame, "IT", "pbx", identities, Receipt(1.0, "c", first)).event_id()
    two = Frame(frame, "IT", "pbx", identities, Receipt(1.0, "c", second)).event_id()

    assert (one == two) == (first == second)

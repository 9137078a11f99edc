"""AMI queue event frames mapped to the call lifecycle; no frame crashes the mapping."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import AgentUnpaused, CallAbandoned, CallRinging, CallRingNoAnswer
from telephony_ingest.ami_events import MAPPERS, map_frame
from telephony_ingest.queue_log import Ignored, Mapped, Rejected, RejectReason


def test_an_old_asterisk_join_is_an_offered_call_and_leave_is_ignored() -> None:
    join = map_frame({"Event": "Join", "Uniqueid": "1.1", "Queue": "q", "CallerIDNum": "anonymous"})

    assert isinstance(join, Mapped)
    assert join.event.event_type == "call.offered"
    assert map_frame({"Event": "Leave", "Uniqueid": "1.1"}) == Ignored("Leave")


def test_agent_called_rings_the_member() -> None:
    outcome = map_frame({"Event": "AgentCalled", "Uniqueid": "1.1", "MemberName": "PJSIP/1"})

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, CallRinging)
    assert outcome.event.agent == "PJSIP/1"


def test_ring_no_answer_converts_milliseconds_and_abandon_keeps_positions() -> None:
    rna = map_frame({"Event": "AgentRingNoAnswer", "Uniqueid": "1.1", "Interface": "PJSIP/1",
                     "RingTime": "15000"})  # fmt: skip
    abandon = map_frame({"Event": "QueueCallerAbandon", "Uniqueid": "1.1", "Queue": "q",
                         "Position": "2", "OriginalPosition": "3", "HoldTime": "45"})  # fmt: skip

    assert isinstance(rna, Mapped)
    assert isinstance(rna.event, CallRingNoAnswer)
    assert rna.event.ring_seconds == 15
    assert isinstance(abandon, Mapped)
    assert isinstance(abandon.event, CallAbandoned)
    assert (abandon.event.position, abandon.event.original_position) == (2, 3)


def test_a_member_pause_with_paused_0_is_an_unpause() -> None:
    outcome = map_frame({"Event": "QueueMemberPause", "MemberName": "PJSIP/1", "Paused": "0"})

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, AgentUnpaused)


def test_the_same_frame_gets_the_same_event_id() -> None:
    frame = {"Event": "AgentCalled", "Uniqueid": "1.1", "MemberName": "PJSIP/1", "Timestamp": "1"}

    assert map_frame(frame) == map_frame(dict(reversed(frame.items())))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ({"Event": "AgentConnect", "MemberName": "PJSIP/1", "HoldTime": "3"},
         RejectReason.MISSING_CALL_ID),
        ({"Event": "AgentConnect", "Uniqueid": "1.1", "MemberName": "PJSIP/1", "HoldTime": "x"},
         RejectReason.BAD_FIELD),
        ({"Event": "QueueCallerAbandon", "Uniqueid": "1.1", "Queue": "q", "HoldTime": "4"},
         RejectReason.BAD_FIELD),
    ],
)  # fmt: skip
def test_queue_events_that_cannot_be_mapped_are_rejected_with_a_reason(
    frame: dict[str, str], reason: RejectReason
) -> None:
    outcome = map_frame(frame)

    assert isinstance(outcome, Rejected)
    assert outcome.reason is reason


keys = st.sampled_from(
    ["Uniqueid", "Queue", "MemberName", "Interface", "HoldTime", "TalkTime", "RingTime",
     "Position", "OriginalPosition", "Paused", "Reason", "CallerIDNum", "Timestamp", "x"]
)  # fmt: skip


@given(
    st.sampled_from([*sorted(MAPPERS), "Newchannel", ""]),
    st.dictionaries(keys, st.text(max_size=15), max_size=10),
)
def test_no_frame_crashes_the_mapping(event: str, headers: dict[str, str]) -> None:
    outcome = map_frame({"Event": event, **headers})

    assert isinstance(outcome, Mapped | Ignored | Rejected)

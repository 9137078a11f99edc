"""A control character (C0, DEL, C1) inside a queue, agent or call id of a queue_log line or an
AMI frame is rejected with its reason (it reached Prometheus labels as `queue="s\\0les"`), never
published."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import CallExited
from telephony_ingest.ami_calls import CallsInQueue
from telephony_ingest.ami_events import map_frame
from telephony_ingest.queue_log import Mapped, Rejected, RejectReason, parse_line

CONTROL = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/@-", min_size=1, max_size=8)
# A line's fields and the event field each lands in, with `{}` where the name goes.
LINES = [
    ("1710408413|1710408413.1|{}|NONE|ENTERQUEUE||0212345678|1", "queue"),
    ("1710408440|1710408413.1|{}|PJSIP/1001|CONNECT|27|1710408435.9|5", "queue"),
    ("1710408440|1710408413.1|sales|PJSIP/{}|CONNECT|27|1710408435.9|5", "agent"),
    ("1710408440|{}|sales|PJSIP/1001|CONNECT|27|1710408435.9|5", "call_id"),
    ("1710410000|NONE|sales|PJSIP/{}|PAUSE|lunch", "agent_id"),
    ("1710410000|NONE|{}|PJSIP/1001|PAUSE|lunch", "queue"),
]


@given(st.sampled_from(LINES), NAMES, st.sampled_from(CONTROL), NAMES)
def test_a_control_character_inside_a_name_rejects_the_line_with_its_reason(
    line: tuple[str, str], before: str, control: str, after: str
) -> None:
    template, _ = line

    outcome = parse_line(template.format(before + control + after))

    assert outcome == Rejected(
        RejectReason.CONTROL_CHARACTER, "control character in uniqueid/queue/agent"
    )


@pytest.mark.parametrize(("template", "field"), LINES)
def test_the_same_lines_with_plain_names_are_mapped(template: str, field: str) -> None:
    assert isinstance(parse_line(template.format("sales1")), Mapped), field


JOIN = {"Event": "QueueCallerJoin", "Uniqueid": "1710408413.1", "Queue": "sales",
        "Position": "1", "CallerIDNum": "0212345678", "Timestamp": "1710408413.0"}  # fmt: skip
LEAVE = {"Event": "QueueCallerLeave", "Uniqueid": "1710408413.1", "Queue": "sales",
         "Position": "1", "Timestamp": "1710408453.0"}  # fmt: skip
DIGIT = {"Event": "DTMFEnd", "Uniqueid": "1710408413.1", "Digit": "1", "Direction": "Received"}
PAUSE = {"Event": "QueueMemberPause", "Queue": "sales", "MemberName": "PJSIP/1001",
         "Interface": "PJSIP/1001", "Paused": "1"}  # fmt: skip
# An AMI frame and the header where the name goes. A Leave and a digit are not events yet: the
# call.exited made of them later failed its contract in the loop closing the calls in queue.
FRAMES = [
    (JOIN, "Queue"),
    (JOIN, "Uniqueid"),
    (LEAVE, "Queue"),
    (LEAVE, "Uniqueid"),
    (DIGIT, "Digit"),
    (PAUSE, "Interface"),
    (PAUSE, "MemberName"),
]


@given(st.sampled_from(FRAMES), NAMES, st.sampled_from(CONTROL), NAMES)
def test_a_control_character_inside_an_ami_name_rejects_the_frame_with_its_reason(
    case: tuple[dict[str, str], str], before: str, control: str, after: str
) -> None:
    frame, header = case

    outcome = map_frame({**frame, header: before + control + after})

    assert outcome == Rejected(
        RejectReason.CONTROL_CHARACTER, f"control character in {frame['Event']} {header}"
    )


def test_a_leave_with_a_control_character_in_its_queue_closes_no_call_with_it() -> None:
    calls = CallsInQueue(grace_seconds=0.0)
    calls.apply(map_frame(JOIN), now=0.0)

    calls.apply(map_frame({**LEAVE, "Queue": "s\x00les"}), now=0.0)
    calls.apply(map_frame(DIGIT), now=0.0)
    calls.apply(map_frame(LEAVE), now=0.0)

    [exited] = calls.due()
    assert isinstance(exited, CallExited)
    assert (exited.event_type, exited.queue, exited.key) == ("call.exited", "sales", "1")

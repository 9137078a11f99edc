"""A control character (C0, DEL, C1) inside a queue, agent or call id of a queue_log line is
rejected with its reason (it reached Prometheus labels as `queue="s\\0les"`), never published."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

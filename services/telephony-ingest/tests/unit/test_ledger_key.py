"""A line's key in the ledger: the same for the same line, growing with its time."""

from telephony_ingest.handlers import ledger_key
from telephony_ingest.queue_log import line_event_id


def key(line: str) -> str:
    return ledger_key(line.encode(), line_event_id("pbx", line))


def test_the_same_line_has_the_same_key_and_another_line_another() -> None:
    line = "1710410000|NONE|sales|PJSIP/1001|PAUSE|lunch"

    assert key(line) == key(line)
    assert key(line) != key(line.replace("lunch", "meeting"))


def test_keys_sort_as_the_lines_times() -> None:
    lines = [
        f"{epoch}|NONE|sales|PJSIP/1001|PAUSE|x" for epoch in (999999999, 1710410000, 1710410001)
    ]

    assert sorted(map(key, lines)) == [key(line) for line in lines]


def test_a_line_without_an_epoch_is_keyed_by_its_id_alone() -> None:
    line = "yesterday|1.1|sales|NONE|ENTERQUEUE||021234567|1"

    assert key(line) == line_event_id("pbx", line)

"""Replay's pure parts: selection, time-order merge that keeps each partition's order, pacing,
and the deterministic rewrite of event times and ids."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cc_dev.recording import RecordedMessage
from cc_dev.replay import (
    ReplayRequest,
    Rewrite,
    fresh_event_id,
    merge_in_time_order,
    plan_rewrite,
    rewrite,
    schedule,
    select,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def event(
    n: int, *, partition: int = 0, ts: int = 0, event_type: str = "call.offered"
) -> RecordedMessage:
    value = {
        "event_id": f"e{n}",
        "event_type": event_type,
        "occurred_at": (T0 + timedelta(seconds=n)).isoformat(),
        "source": "test",
    }
    return RecordedMessage("call-events", partition, n, ts, b"k", json.dumps(value).encode())


def test_selection_keeps_the_asked_event_types_within_the_time_range() -> None:
    messages = [
        event(1, ts=1000),
        event(2, ts=2000, event_type="call.answered"),
        event(3, ts=3000),
        event(4, ts=4000),
    ]
    since = datetime.fromtimestamp(2, UTC)
    until = datetime.fromtimestamp(3.5, UTC)

    chosen = select(messages, frozenset({"call.offered"}), since, until)

    assert [m.offset for m in chosen] == [3]


def test_a_message_that_is_not_an_event_is_left_out_by_an_event_type_filter() -> None:
    raw = RecordedMessage("call-events", 0, 0, 0, None, b"\xff")

    assert select([raw], frozenset({"call.offered"})) == []
    assert select([raw]) == [raw]


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000)), max_size=60))
def test_the_merge_keeps_every_partitions_recorded_order(parts: list[tuple[int, int]]) -> None:
    messages = [event(n, partition=p, ts=ts) for n, (p, ts) in enumerate(parts)]

    merged = merge_in_time_order(messages)

    assert sorted(merged, key=lambda m: m.offset) == messages
    for p in range(3):
        assert [m for m in merged if m.partition == p] == [m for m in messages if m.partition == p]


def test_the_merge_interleaves_partitions_by_timestamp() -> None:
    a = [event(0, partition=0, ts=10), event(1, partition=0, ts=30)]
    b = [event(2, partition=1, ts=20)]

    assert [m.offset for m in merge_in_time_order(a + b)] == [0, 2, 1]


def test_pacing_divides_the_recorded_gaps_by_the_speed() -> None:
    messages = [event(0, ts=1000), event(1, ts=3000), event(2, ts=2000), event(3, ts=11_000)]

    assert schedule(messages, 1.0) == [0.0, 2.0, 2.0, 10.0]
    assert schedule(messages, 4.0) == [0.0, 0.5, 0.5, 2.5]
    assert schedule(messages, None) == [0.0, 0.0, 0.0, 0.0]


def test_shifting_to_now_moves_the_earliest_event_to_that_time_and_keeps_the_gaps() -> None:
    messages = [event(5), event(7)]
    now = datetime(2030, 1, 1, tzinfo=UTC)

    how = plan_rewrite(messages, ReplayRequest(files=[], shift_to=now))
    times = [json.loads(rewrite(m, how).value or b"")["occurred_at"] for m in messages]

    assert times == [now.isoformat(), (now + timedelta(seconds=2)).isoformat()]


def test_fresh_ids_are_new_and_the_same_for_the_same_run() -> None:
    message = event(1)

    first = json.loads(rewrite(message, Rewrite(run_id="run-a")).value or b"")
    again = json.loads(rewrite(message, Rewrite(run_id="run-a")).value or b"")
    other = json.loads(rewrite(message, Rewrite(run_id="run-b")).value or b"")

    assert first["event_id"] == again["event_id"] == fresh_event_id("run-a", "e1")
    assert first["event_id"] not in {"e1", other["event_id"]}
    assert first["occurred_at"] == json.loads(message.value or b"")["occurred_at"]


def test_without_a_rewrite_the_bytes_are_untouched() -> None:
    message = event(1)

    assert rewrite(message, Rewrite()) is message

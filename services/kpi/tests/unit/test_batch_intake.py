"""Splitting a consumed batch: every record is parsed by its own topic's contract, valid events
keep their order, and each invalid record is set apart with its error (no I/O)."""

from datetime import UTC, datetime, timedelta

from aiokafka import ConsumerRecord
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import CALL_EVENTS, CSAT_RESPONSES, CsatSubmitted, encode
from kpi.intake import split_batch

LOGICAL = {f"ns.{CALL_EVENTS}": CALL_EVENTS, f"ns.{CSAT_RESPONSES}": CSAT_RESPONSES}


def csat(n: int) -> CsatSubmitted:
    return CsatSubmitted(
        event_id=f"csat-{n}",
        occurred_at=datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=n),
        source="test",
        response_id=f"r-{n}",
        customer_id="C1",
        score=1 + n % 5,
        channel="phone",
    )


def record(topic: str, offset: int, value: bytes | None) -> "ConsumerRecord[bytes, bytes]":
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=(),
    )


# A record is a valid CSAT answer, garbage, or a CSAT answer on the call-events topic (valid
# JSON breaking that topic's contract).
Kind = st.sampled_from(["valid", "wrong_topic", "garbage"])


@given(st.lists(st.tuples(Kind, st.binary(max_size=40)), max_size=30))
def test_valid_records_become_events_in_order_and_each_invalid_one_is_set_apart(
    kinds: list[tuple[str, bytes]],
) -> None:
    records, expected_events, expected_invalid = [], [], []
    for offset, (kind, garbage) in enumerate(kinds):
        event = csat(offset)
        if kind == "valid":
            records.append(record(f"ns.{CSAT_RESPONSES}", offset, encode(event)))
            expected_events.append((CSAT_RESPONSES, event))
        else:
            value = encode(event) if kind == "wrong_topic" else b"\xff" + garbage
            records.append(record(f"ns.{CALL_EVENTS}", offset, value))
            expected_invalid.append(offset)

    batch = split_batch(records, LOGICAL)

    assert batch.events == expected_events
    assert [r.offset for r, _ in batch.invalid] == expected_invalid
    assert all(isinstance(error, ValueError) for _, error in batch.invalid)


def test_a_tombstone_record_is_invalid_rather_than_dropped() -> None:
    batch = split_batch([record(f"ns.{CALL_EVENTS}", 0, None)], LOGICAL)

    assert batch.events == []
    assert [r.offset for r, _ in batch.invalid] == [0]

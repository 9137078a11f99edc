import json

import pytest
from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError

from cc_runtime import PermanentError
from cc_runtime.dead_letter import dead_letter_headers, is_retryable


class Order(BaseModel):
    total_cents: int


def a_validation_error() -> ValidationError:
    try:
        Order.model_validate({"total_cents": "lots"})
    except ValidationError as error:
        return error
    raise AssertionError("validation should have failed")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (a_validation_error(), False),
        (json.JSONDecodeError("Expecting value", "{", 0), False),
        (PermanentError("unknown queue"), False),
        (RuntimeError("flaky"), True),
        (TimeoutError(), True),
    ],
)
def test_bad_data_is_not_retried_and_other_failures_are(error: Exception, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_dead_letter_headers_say_what_failed_and_where_the_message_came_from() -> None:
    record = ConsumerRecord(
        topic="call-events",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"c1",
        value=b"{}",
        checksum=None,
        serialized_key_size=2,
        serialized_value_size=2,
        headers=(),
    )

    headers = dead_letter_headers(record, ValueError("x" * 5000), "kpi", attempts=1)

    assert headers["x-dlq-source-topic"] == "call-events"
    assert headers["x-dlq-source-partition"] == "2"
    assert headers["x-dlq-source-offset"] == "41"
    assert headers["x-dlq-error-type"] == "ValueError"
    assert headers["x-dlq-service"] == "kpi"
    assert headers["x-dlq-attempts"] == "1"
    assert len(headers["x-dlq-error"]) == 2000

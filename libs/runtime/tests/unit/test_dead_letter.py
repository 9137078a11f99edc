import gc
import json
import weakref
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream._internal.context.repository import ContextRepo
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError

from cc_runtime import PermanentError
from cc_runtime.dead_letter import (
    ConsumerMetrics,
    DeadLetterPolicy,
    dead_letter_headers,
    is_retryable,
)


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


class Batch:
    """Stands for a consumed message: something that can be weakly referenced."""


@pytest.mark.parametrize("failures", [0, 1])
async def test_a_handled_message_is_freed_at_once_not_by_the_garbage_collector(
    failures: int,
) -> None:
    """A consumer batch holds a thousand records: kept alive by a reference cycle, every batch
    would wait for a garbage collection to be freed."""
    policy = DeadLetterPolicy(
        "svc", publish=_no_publish, metrics=ConsumerMetrics(CollectorRegistry()), backoff_seconds=0
    )
    batch = Batch()
    alive = weakref.ref(batch)
    calls: list[int] = []

    async def handler(msg: Any) -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise RuntimeError("flaky")

    gc.disable()
    try:
        scope = policy(batch, context=ContextRepo())
        await scope.consume_scope(handler, batch)  # type: ignore[arg-type]
        del batch, scope
        collected_by_reference_counting = alive() is None
    finally:
        gc.enable()

    assert len(calls) == failures + 1
    if failures == 0:
        assert collected_by_reference_counting
    else:  # a retry goes through tenacity's cycles, which only a collection frees
        gc.collect()
        assert alive() is None


async def _no_publish(*_: Any, **__: Any) -> None:
    raise AssertionError("nothing is dead-lettered here")

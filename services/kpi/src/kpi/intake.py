"""Kafka adapter of kpi's batch consumers: validates each record of a consumed batch against its
topic's contract; the records that break it go to `<topic>.dlq` (`cc_runtime.DeadLetters`), so
one bad record never takes its batch to the dead-letter topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord

from cc_schemas import Event, parse

Record: TypeAlias = "ConsumerRecord[Any, Any]"


@dataclass
class Batch:
    """A consumed batch, split: valid events with their logical topic, and rejected records."""

    events: list[tuple[str, Event]] = field(default_factory=list)
    invalid: list[tuple[Record, Exception]] = field(default_factory=list)


def split_batch(records: Iterable[Record], logical: Mapping[str, str]) -> Batch:
    """Parse each record by its topic's contract; `logical` maps real -> logical topic names."""
    batch = Batch()
    for record in records:
        topic = logical[record.topic]
        try:
            batch.events.append((topic, parse(topic, record.value or b"")))
        except ValueError as error:  # pydantic's ValidationError, bad JSON included
            batch.invalid.append((record, error))
    return batch

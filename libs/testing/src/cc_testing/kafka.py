"""Reading and writing real topics from tests."""

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

Record: TypeAlias = ConsumerRecord  # keys and values are bytes


async def read_records(
    bootstrap_servers: str,
    topic: str,
    *,
    until: Callable[[Sequence[Record]], bool],
    seconds: float = 30.0,
) -> list[Record]:
    """Read a topic from its start until `until(records)` holds; fail after `seconds`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[Record] = []
    deadline = time.monotonic() + seconds
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: condition not met in {seconds}s; read {records!r}")
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def produce(
    bootstrap_servers: str,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes]],
    **headers: Any,
) -> None:
    """Send raw (key, value) messages, as a producer outside the platform would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        sent = [
            await producer.send(
                topic, value, key=key, headers=[(k, str(v).encode()) for k, v in headers.items()]
            )
            for key, value in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def headers_of(record: Record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}

"""Reads contact-requests back, for the one case the ledger cannot settle alone: a request
entered and maybe published, whose publication was never confirmed (the instance died between
Kafka's acknowledgement and the confirmation). Before publishing it again, the engine looks for
its id on the topic since the entry was made, so a crash there does not double the request."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer

CLOCK_SKEW = timedelta(minutes=1)  # record timestamps come from the producing host's clock


class KafkaRequestLog:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic

    async def published(self, request_ids: Collection[str], since: datetime) -> set[str]:
        """Which of these request ids are on the topic, among records written after `since`."""
        wanted = {r.encode() for r in request_ids}
        consumer = AIOKafkaConsumer(
            self.topic,  # without a group: every partition of the topic is assigned
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        found: set[str] = set()
        try:
            partitions = sorted(consumer.assignment())
            start_ms = int((since - CLOCK_SKEW).timestamp() * 1000)
            starts = await consumer.offsets_for_times({tp: start_ms for tp in partitions})
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                start = starts.get(tp)
                consumer.seek(tp, start.offset if start is not None else ends[tp])
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found.update(r.key.decode() for r in records if r.key in wanted)
        finally:
            await consumer.stop()
        return found

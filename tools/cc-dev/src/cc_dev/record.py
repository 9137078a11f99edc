"""`cc-dev record`: copy topics (or a time range of them) to a recording file. Reads any topic."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from cc_dev import kafka_io
from cc_dev.errors import BadFileError, UsageError
from cc_dev.progress import ProgressSink
from cc_dev.recording import RecordedMessage, open_for_writing, to_line
from cc_dev.settings import DevSettings


@dataclass(frozen=True)
class RecordRequest:
    topics: list[str]  # logical names, as in cc_schemas
    output: Path
    since: datetime | None = None
    until: datetime | None = None
    duration: float | None = None  # seconds; None: stop at the end offsets seen at the start


@dataclass(frozen=True)
class RecordPlan:
    """Where to start and stop reading each partition."""

    starts: dict[TopicPartition, int]
    ends: dict[TopicPartition, int]

    @property
    def expected(self) -> int:
        return sum(max(0, self.ends[tp] - self.starts[tp]) for tp in self.starts)


def logical_topic(real: str, namespace: str) -> str:
    prefix = namespace + "."
    return real.removeprefix(prefix) if namespace else real


def to_message(record: ConsumerRecord[bytes, bytes], namespace: str) -> RecordedMessage:
    return RecordedMessage(
        topic=logical_topic(record.topic, namespace),
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        key=record.key,
        value=record.value,
        headers=tuple((name, value or b"") for name, value in record.headers),
    )


async def plan(
    consumer: AIOKafkaConsumer, settings: DevSettings, request: RecordRequest
) -> RecordPlan:
    existing = set(await kafka_io.list_topic_names(settings.kafka_bootstrap_servers))
    real = [settings.topic(t) for t in request.topics]
    missing = [t for t in real if t not in existing]
    if missing:
        raise UsageError(f"no such topic on {settings.kafka_bootstrap_servers}: {missing}")
    offsets = await kafka_io.partition_offsets(consumer, real)
    starts = {TopicPartition(p.topic, p.partition): p.start for p in offsets}
    ends = {TopicPartition(p.topic, p.partition): p.end for p in offsets}
    if request.since is not None:
        found = await kafka_io.offsets_at(
            consumer, list(starts), int(request.since.timestamp() * 1000)
        )
        starts = {tp: ends[tp] if offset is None else offset for tp, offset in found.items()}
    return RecordPlan(starts, ends)


async def record(settings: DevSettings, request: RecordRequest, progress: ProgressSink) -> int:
    """Write the messages to the file; returns how many were written.

    Without a duration it stops at the end offsets seen at the start; with one it also takes
    what arrives meanwhile, until the duration is over. `until` ends each partition at its first
    message stamped later.
    """
    try:
        output = open_for_writing(request.output)
    except OSError as error:
        raise BadFileError(f"{request.output}: cannot write: {error.strerror or error}") from None
    with output:
        async with kafka_io.raw_consumer(settings.kafka_bootstrap_servers) as consumer:
            the_plan = await plan(consumer, settings, request)
            progress.begin(None if request.duration is not None else the_plan.expected)
            copy = _Copy(consumer, the_plan, request, settings.namespace, output.write, progress)
            return await copy.run()


class _Copy:
    """The reading loop of one recording."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        the_plan: RecordPlan,
        request: RecordRequest,
        namespace: str,
        write: Callable[[str], object],
        progress: ProgressSink,
    ) -> None:
        self.consumer, self.plan, self.namespace = consumer, the_plan, namespace
        self.write, self.progress = write, progress
        self.follow = request.duration is not None
        self.deadline = time.monotonic() + (request.duration or 0)
        self.until_ms = int(request.until.timestamp() * 1000) if request.until else None
        self.pending = set(the_plan.starts)
        self.written = 0

    async def run(self) -> int:
        self.consumer.assign(list(self.plan.starts))
        for tp, offset in self.plan.starts.items():
            self.consumer.seek(tp, offset)
        await self._drop_finished()
        while self.pending and not (self.follow and time.monotonic() >= self.deadline):
            batches = await self.consumer.getmany(timeout_ms=200, max_records=2000)
            for tp, records in batches.items():
                if tp in self.pending:
                    self._take(tp, records)
            await self._drop_finished()
        return self.written

    def _take(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        taken = 0
        for rec in records:
            if (not self.follow and rec.offset >= self.plan.ends[tp]) or (
                self.until_ms is not None and rec.timestamp > self.until_ms
            ):
                self._finish(tp)
                break
            self.write(to_line(to_message(rec, self.namespace)) + "\n")
            taken += 1
        self.written += taken
        self.progress.advance(taken)

    async def _drop_finished(self) -> None:
        if self.follow:
            return
        for tp in list(self.pending):
            # position, not the last offset seen: it steps over transaction markers too.
            if await self.consumer.position(tp) >= self.plan.ends[tp]:
                self._finish(tp)

    def _finish(self, tp: TopicPartition) -> None:
        self.pending.discard(tp)
        self.consumer.pause(tp)

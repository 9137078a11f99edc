"""`cc-dev replay`: send recordings back into a cluster. The selection, merge, pacing and
rewriting are pure functions; `replay` at the bottom sends. Writes the recorded topics."""

from __future__ import annotations

import asyncio
import heapq
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cc_dev import kafka_io
from cc_dev.errors import UsageError
from cc_dev.progress import ProgressSink
from cc_dev.recording import RecordedMessage, read_messages
from cc_dev.settings import DevSettings
from cc_runtime import ensure_topics

# Top-level datetime fields of cc_schemas events that move with --shift-to-now.
SHIFTED_FIELDS = ("occurred_at", "started_at", "first_response_at", "ended_at", "expires_at")
FRESH_ID_NAMESPACE = uuid.UUID("1d4b7f0e-8a43-5c2e-b1f9-3c6e2a9d0b17")


@dataclass(frozen=True)
class Rewrite:
    """How each message's value changes on its way back: none of it by default."""

    shift: timedelta | None = None
    run_id: str | None = None  # set: fresh event ids, the same ones for the same run id


@dataclass(frozen=True)
class ReplayRequest:
    files: list[Path]
    speed: float | None = 1.0  # None: as fast as possible
    event_types: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    shift_to: datetime | None = None
    run_id: str | None = None
    by_key: bool = False  # partition by key instead of keeping the recorded partition


def load(files: Iterable[Path]) -> list[RecordedMessage]:
    return [message for path in files for message in read_messages(path)]


def event_type_of(message: RecordedMessage) -> str | None:
    value = message.json_value()
    event_type = value.get("event_type") if value else None
    return event_type if isinstance(event_type, str) else None


def select(
    messages: Iterable[RecordedMessage],
    event_types: frozenset[str] = frozenset(),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RecordedMessage]:
    """The messages of the wanted event types whose record timestamp is in [since, until]."""
    low = since.timestamp() * 1000 if since else None
    high = until.timestamp() * 1000 if until else None
    return [
        m
        for m in messages
        if (not event_types or event_type_of(m) in event_types)
        and (low is None or m.timestamp_ms >= low)
        and (high is None or m.timestamp_ms <= high)
    ]


def merge_in_time_order(messages: Iterable[RecordedMessage]) -> list[RecordedMessage]:
    """All messages by record timestamp, each partition's own order kept as it was recorded."""
    partitions: dict[tuple[str, int], list[RecordedMessage]] = {}
    for message in messages:
        partitions.setdefault((message.topic, message.partition), []).append(message)
    return list(heapq.merge(*partitions.values(), key=lambda m: m.timestamp_ms))


def schedule(messages: Sequence[RecordedMessage], speed: float | None) -> list[float]:
    """Seconds after the start at which to send each message: the recorded gaps / speed.

    A timestamp earlier than one before it (clocks of two producers) sends at once, not back
    in time; as fast as possible (None) is all zeros.
    """
    if not messages or speed is None:
        return [0.0] * len(messages)
    first = messages[0].timestamp_ms
    offsets, latest = [], 0.0
    for message in messages:
        latest = max(latest, (message.timestamp_ms - first) / 1000 / speed)
        offsets.append(latest)
    return offsets


def earliest_occurrence(messages: Iterable[RecordedMessage]) -> datetime | None:
    times = [t for m in messages if (t := _occurred_at(m)) is not None]
    return min(times, default=None)


def _occurred_at(message: RecordedMessage) -> datetime | None:
    value = message.json_value()
    raw = value.get("occurred_at") if value else None
    return _parse_time(raw) if isinstance(raw, str) else None


def _parse_time(raw: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def fresh_event_id(run_id: str, event_id: str) -> str:
    """The event id a message gets in replay run `run_id`: new, and the same on a retry."""
    return str(uuid.uuid5(FRESH_ID_NAMESPACE, f"{run_id}\x1f{event_id}"))


def rewrite(message: RecordedMessage, how: Rewrite) -> RecordedMessage:
    """Shift the event's times and give it a fresh id; values that are not events pass as is."""
    value = message.json_value()
    if value is None or (how.shift is None and how.run_id is None):
        return message
    if how.shift is not None:
        for name in SHIFTED_FIELDS:
            raw = value.get(name)
            moment = _parse_time(raw) if isinstance(raw, str) else None
            if moment is not None:
                value[name] = (moment + how.shift).astimezone(UTC).isoformat()
    if how.run_id is not None and isinstance(value.get("event_id"), str):
        value["event_id"] = fresh_event_id(how.run_id, value["event_id"])
    return replace(message, value=json.dumps(value, separators=(",", ":")).encode())


def plan_rewrite(messages: Sequence[RecordedMessage], request: ReplayRequest) -> Rewrite:
    shift = None
    if request.shift_to is not None:
        first = earliest_occurrence(messages)
        shift = request.shift_to - first if first is not None else None
    return Rewrite(shift=shift, run_id=request.run_id)


async def replay(settings: DevSettings, request: ReplayRequest, progress: ProgressSink) -> int:
    """Send the selected messages in time order and at the asked pace; returns how many."""
    if request.speed is not None and request.speed <= 0:
        raise UsageError("--speed must be greater than 0")
    messages = merge_in_time_order(
        select(load(request.files), request.event_types, request.since, request.until)
    )
    how = plan_rewrite(messages, request)
    await _prepare_topics(settings, messages, request.by_key)
    offsets = schedule(messages, request.speed)
    progress.begin(len(messages))
    async with kafka_io.raw_producer(settings.kafka_bootstrap_servers) as producer:
        start = time.monotonic()
        sent = []
        for message, offset in zip(messages, offsets, strict=True):
            delay = start + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            out = rewrite(message, how)
            sent.append(
                await producer.send(
                    settings.topic(out.topic),
                    out.value,
                    key=out.key,
                    partition=None if request.by_key else out.partition,
                    headers=list(out.headers),
                )
            )
            progress.advance(1)
        async with kafka_io.kafka_errors(settings.kafka_bootstrap_servers):
            await asyncio.gather(*sent)
    return len(messages)


async def _prepare_topics(
    settings: DevSettings, messages: Sequence[RecordedMessage], by_key: bool
) -> None:
    """Create missing topics; refuse to keep partitions a topic does not have."""
    needed: dict[str, int] = {}
    for m in messages:
        needed[settings.topic(m.topic)] = max(
            needed.get(settings.topic(m.topic), 0), m.partition + 1
        )
    bootstrap = settings.kafka_bootstrap_servers
    for topic, partitions in sorted(needed.items()):
        async with kafka_io.kafka_errors(bootstrap):
            await ensure_topics(bootstrap, [topic], max(partitions, settings.topic_partitions))
    if by_key:
        return
    async with kafka_io.raw_consumer(bootstrap) as consumer:
        have = await kafka_io.partition_offsets(consumer, sorted(needed))
    counts: dict[str, int] = {}
    for part in have:
        counts[part.topic] = counts.get(part.topic, 0) + 1
    short = {t: (counts.get(t, 0), n) for t, n in needed.items() if counts.get(t, 0) < n}
    if short:
        detail = ", ".join(
            f"{t} has {h} partitions, the recording {n}" for t, (h, n) in short.items()
        )
        raise UsageError(f"cannot keep the recorded partitions: {detail}; use --by-key")

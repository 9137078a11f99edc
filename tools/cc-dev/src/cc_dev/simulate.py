"""`cc-dev simulate`: publish the simulated contact centre at a controlled pace. Writes every
topic the simulation makes (call-events optionally through telephony-ingest's webhook, claims
optionally worked through the claims tool's API, or into a recording file instead) and, when
asked, answers order-commands as the shop would and plays the customers of chat's live chats
(they accept operators' chats, answer and rate them)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Protocol

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import ValidationError

from cc_dev import kafka_io
from cc_dev.chat_customers import ChatCustomers, LiveChats
from cc_dev.claims_api import ClaimsApi, ClaimsSink
from cc_dev.errors import BadFileError, UsageError
from cc_dev.ingest import DEVELOPMENT_SECRET, Webhook
from cc_dev.progress import ProgressSink
from cc_dev.recording import RecordedMessage, open_for_writing, to_line
from cc_dev.settings import DevSettings
from cc_dev.simulation import Emission, SimulationParams, simulate_day
from cc_dev.simulation.orders import answer
from cc_dev.topics import create_all
from cc_schemas import (
    ORDER_COMMANDS,
    Event,
    OrderCommand,
    encode,
    key_of,
    parse,
    topic_of,
)

HEADER = "x-cc-simulator"


@dataclass(frozen=True)
class Pace:
    speed: float | None = 60.0  # simulated seconds per wall second; None: as fast as possible
    max_rate: float | None = None  # events per wall second, at most
    duration: float | None = None  # stop after this many wall seconds


@dataclass(frozen=True)
class SimulateRequest:
    params: SimulationParams
    pace: Pace
    windows: int = 1  # consecutive windows (each the next `hours`, with the next seed); 0: no end
    calls_webhook: str | None = None  # telephony-ingest's base URL
    webhook_secret: str = DEVELOPMENT_SECRET
    output: Path | None = None  # write a recording instead of publishing
    answer_commands: bool = True
    claims_url: str | None = None  # work tickets through claims' HTTP API at this base URL
    claims_token: Callable[[], str] | None = None  # a fresh bearer token for claims
    live_chats: LiveChats | None = None  # customers in chat's live chats, through its widget API


def wall_offsets(emissions: Sequence[Emission], pace: Pace) -> list[float]:
    """Seconds after the start at which each emission is sent: simulated time / speed, and no
    faster than max_rate."""
    if not emissions:
        return []
    first = emissions[0].at
    offsets = []
    for n, emission in enumerate(emissions):
        by_clock = (emission.at - first).total_seconds() / pace.speed if pace.speed else 0.0
        by_rate = n / pace.max_rate if pace.max_rate else 0.0
        offsets.append(max(by_clock, by_rate))
    return offsets


def windows(request: SimulateRequest) -> Iterator[SimulationParams]:
    n = 0
    while request.windows == 0 or n < request.windows:
        p = request.params
        yield replace(p, seed=p.seed + n, start=p.start + n * timedelta(hours=p.hours))
        n += 1


class Sink(Protocol):
    async def send(self, emission: Emission) -> None: ...


class KafkaSink:
    def __init__(self, producer: AIOKafkaProducer, settings: DevSettings, seed: int) -> None:
        self.producer, self.settings, self.seed = producer, settings, str(seed).encode()
        self.pending: list[asyncio.Future[object]] = []

    async def send(self, emission: Emission) -> None:
        event = emission.event
        future = await self.producer.send(
            self.settings.topic(topic_of(event)),
            encode(event),
            key=key_of(event).encode(),
            headers=[(HEADER, self.seed)],
        )
        self.pending.append(future)
        if len(self.pending) >= 500:
            await self.flush()

    async def flush(self) -> None:
        async with kafka_io.kafka_errors(self.settings.kafka_bootstrap_servers):
            await asyncio.gather(*self.pending)
        self.pending.clear()


class WebhookSink:
    """PBX events through telephony-ingest's signed webhook; every other event to Kafka."""

    def __init__(self, webhook: Webhook, other: Sink) -> None:
        self.webhook, self.other = webhook, other

    async def send(self, emission: Emission) -> None:
        if self.webhook.carries(emission.event):
            await self.webhook.post(emission.event)
        else:
            await self.other.send(emission)


class FileSink:
    """A recording of the traffic (replayable with `cc-dev replay`), stamped in simulated time."""

    def __init__(self, out: IO[str]) -> None:
        self.out, self.offset = out, 0

    async def send(self, emission: Emission) -> None:
        event = emission.event
        self.out.write(
            to_line(
                RecordedMessage(
                    topic=topic_of(event),
                    partition=0,
                    offset=self.offset,
                    timestamp_ms=int(emission.at.timestamp() * 1000),
                    key=key_of(event).encode(),
                    value=encode(event),
                )
            )
            + "\n"
        )
        self.offset += 1


async def pace_out(
    emissions: Sequence[Emission], pace: Pace, sink: Sink, progress: ProgressSink, deadline: float
) -> int:
    """Send in time order at the pace; returns how many were sent before the deadline."""
    start = time.monotonic()
    sent = 0
    for emission, offset in zip(emissions, wall_offsets(emissions, pace), strict=True):
        wake = start + offset
        if wake > deadline:
            break
        if wake > time.monotonic():
            await asyncio.sleep(wake - time.monotonic())
        await sink.send(emission)
        sent += 1
        progress.advance(1)
    return sent


async def simulate(settings: DevSettings, request: SimulateRequest, progress: ProgressSink) -> int:
    """Generate and send each window in turn; returns the number of events sent."""
    deadline = time.monotonic() + (request.pace.duration or float("inf"))
    total = 0
    async with _sink(settings, request) as sink:
        for params in windows(request):
            emissions = simulate_day(params)
            progress.begin(len(emissions) if request.windows == 1 else None)
            total += await pace_out(emissions, request.pace, sink, progress, deadline)
            if time.monotonic() >= deadline:
                break
    return total


@contextlib.asynccontextmanager
async def _sink(settings: DevSettings, request: SimulateRequest) -> AsyncIterator[Sink]:
    if request.output is not None:
        try:
            out = open_for_writing(request.output)
        except OSError as error:
            raise BadFileError(f"{request.output}: cannot write: {error}") from None
        with out:
            yield FileSink(out)
        return
    bootstrap = settings.kafka_bootstrap_servers
    await create_all(settings, settings.topic_partitions)
    async with kafka_io.raw_producer(bootstrap) as producer, httpx.AsyncClient() as client:
        kafka = KafkaSink(producer, settings, request.params.seed)
        sink: Sink = (
            WebhookSink(Webhook(client, request.calls_webhook, request.webhook_secret), kafka)
            if request.calls_webhook
            else kafka
        )
        if request.claims_url:
            renew = request.claims_token or _no_token
            sink = ClaimsSink(ClaimsApi(client, request.claims_url, renew), sink)
        background = []
        if request.answer_commands:
            background.append(asyncio.create_task(answer_commands(settings, producer)))
        if request.live_chats is not None:
            customers = ChatCustomers(settings, request.live_chats, client)
            background.append(asyncio.create_task(customers.run()))
        try:
            yield sink
            await kafka.flush()
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _no_token() -> str:
    raise UsageError("--claims-url needs a token: --token, or --client-id and --client-secret")


async def answer_commands(settings: DevSettings, producer: AIOKafkaProducer) -> None:
    """Reply to each order-command with the order-event a compliant shop would publish."""
    consumer = AIOKafkaConsumer(
        settings.topic(ORDER_COMMANDS),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.topic("cc-dev-shop"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    async with kafka_io.kafka_errors(settings.kafka_bootstrap_servers):
        try:
            await consumer.start()
            async for record in consumer:
                reply = _reply(record.value)
                if reply is not None:
                    await producer.send_and_wait(
                        settings.topic(topic_of(reply)), encode(reply), key=key_of(reply).encode()
                    )
                await consumer.commit()
        finally:
            await consumer.stop()


def _reply(raw: bytes | None) -> Event | None:
    # A command this shop cannot read is the CRM's to dead-letter, not ours to answer.
    try:
        command = parse(ORDER_COMMANDS, raw or b"")
    except ValidationError:
        return None
    return answer(command) if isinstance(command, OrderCommand) else None

"""A generated day of shop traffic (cc-dev's simulator, 12 hours from now) through the engine
four times on the real broker and database, each run in a namespace of its own:

- live: the engine on the wall clock (a wall clock running 3,600 times faster, which moves the
  watermark as the real one would), the day sent as it happens at that speed;
- a paced replay (`cc-dev replay --speed 7200`) and a replay as fast as possible, the engine on
  event time;
- a fast replay whose engine, a process of its own, is killed with SIGKILL halfway through the
  day and started again.

Each publishes exactly the same requests: the same ids and the same contents. The day ends with
a page view on each partition three hours after its last session, as the next day's traffic
would, so that every partition's watermark passes every deadline.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from fastapi import FastAPI

from cc_dev.progress import Silent
from cc_dev.replay import ReplayRequest, replay
from cc_dev.settings import DevSettings
from cc_dev.simulate import FileSink
from cc_dev.simulation import Emission, SimulationParams, simulate_day
from cc_dev.simulation.params import FLAT, ShopParams
from cc_schemas import BROWSE_EVENTS, CART_EVENTS, ContactRequested, PageType, PageViewed, topic_of
from cc_testing import Servers, eventually_async, free_ports
from cc_testing.cleanup import remove_namespaces
from cc_testing.servers import service_environment
from proactive_engine.app import create_app
from proactive_engine.config import DEFAULT_RULES_FILE
from proactive_engine.settings import Settings

pytestmark = pytest.mark.infra

PARTITIONS = 3  # service_environment's CC_TOPIC_PARTITIONS
HOURS = 12
LIVE_SPEED = 3600.0  # the live run's wall clock: an hour a second
PACED_SPEED = 7200.0
# At 3,600 x, two hours of event time are two wall seconds for an event to reach the engine.
LATENESS = timedelta(hours=2)
NEXT_DAY = timedelta(hours=3)  # the closing page views, after the day's last session


class StartingClock:
    """A wall clock that stands at `start` until `go()`, then runs `speed` times faster: the
    live run's, started with the traffic."""

    def __init__(self, start: datetime, speed: float) -> None:
        self.start, self.speed = start, speed
        self.began: float | None = None

    def go(self) -> None:
        self.began = time.monotonic()

    def now(self) -> datetime:
        ran = 0.0 if self.began is None else time.monotonic() - self.began
        return self.start + timedelta(seconds=ran * self.speed)


def rules_file(directory: Path) -> Path:
    """The packaged rules, every request valid for a day: at 3,600 x, the live run's wall
    clock moves fifteen minutes (the shortest expiry) in a quarter of a second."""
    text, count = re.subn(
        r"expires_minutes = \d+", "expires_minutes = 1440", DEFAULT_RULES_FILE.read_text()
    )
    assert count == 5
    path = directory / "rules.toml"
    path.write_text(text)
    return path


def key_on_partition(partition: int) -> str:
    """A session id the default partitioner puts on this partition."""
    partitioner = DefaultPartitioner()
    every = list(range(PARTITIONS))
    return next(
        key
        for n in range(1000)
        if partitioner((key := f"next-day-{n}").encode(), every, every) == partition
    )


async def generated_day(path: Path, start: datetime) -> datetime:
    """The day's shop events as a recording (order-events left out: the order-status rule's
    sessions check orders nobody reports on), then a page view per partition the next day;
    returns when those come."""
    shop = ShopParams(sessions_per_day=1500, profile=FLAT)  # as busy whenever the test runs
    params = SimulationParams(seed=15, start=start, hours=HOURS, shop=shop)
    day = [
        e
        for e in simulate_day(params, ("shop",))
        if topic_of(e.event) in (BROWSE_EVENTS, CART_EVENTS)
    ]
    next_day = day[-1].at + NEXT_DAY
    closing = [
        Emission(
            next_day,
            len(day) + p,
            PageViewed(
                event_id=f"next-day-{p}",
                occurred_at=next_day,
                source="shop",
                session_id=key_on_partition(p),
                page_type=PageType.HOME,
                url="https://shop.example/",
            ),
        )
        for p in range(PARTITIONS)
    ]
    with path.open("w") as out:
        sink = FileSink(out)
        for emission in day + closing:
            await sink.send(emission)
    return next_day


def engine_settings(env: dict[str, str], rules: Path, clock: str) -> dict[str, str]:
    return {
        **env,
        "PROACTIVE_ENGINE_CLOCK": clock,
        "PROACTIVE_ENGINE_RULES_FILE": str(rules),
        "PROACTIVE_ENGINE_ALLOWED_LATENESS_SECONDS": str(LATENESS.total_seconds()),
        "PROACTIVE_ENGINE_IDLE_PARTITION_SECONDS": "5",
        "PROACTIVE_ENGINE_TIMER_INTERVAL_SECONDS": "0.05",
        "PROACTIVE_ENGINE_CHECKPOINT_SECONDS": "1",
        "PROACTIVE_ENGINE_LEASE_SECONDS": "2",  # a killed instance's entries are taken over soon
    }


async def send(env: dict[str, str], path: Path, speed: float | None, **window: datetime) -> None:
    settings = DevSettings(
        CC_KAFKA_BOOTSTRAP_SERVERS=env["CC_KAFKA_BOOTSTRAP_SERVERS"],
        CC_NAMESPACE=env["CC_NAMESPACE"],
        CC_TOPIC_PARTITIONS=PARTITIONS,
    )
    await replay(
        settings, ReplayRequest(files=[path], speed=speed, by_key=True, **window), Silent()
    )


def parse_metrics(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def app_metrics(app: FastAPI) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        return parse_metrics((await client.get("/metrics")).text)


def published(metrics: dict[str, float]) -> float:
    prefix = "proactive_engine_requests_published_total{"
    return sum(v for k, v in metrics.items() if k.startswith(prefix))


def assert_day_decided(metrics: dict[str, float], next_day: datetime) -> None:
    """The watermark is past every deadline of the day and nothing it passed is left to fire."""
    watermark = metrics["proactive_engine_watermark_seconds"]
    assert watermark >= (next_day - LATENESS).timestamp()
    assert metrics["proactive_engine_sessions_due"] == 0


async def requests_of(servers: Servers, namespace: str) -> list[dict[str, object]]:
    """Every record on the run's contact-requests, as JSON, in request id order."""
    topic = f"{namespace}.contact-requests"
    consumer = AIOKafkaConsumer(bootstrap_servers=servers.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                found += [ContactRequested.model_validate_json(r.value) for r in batch]
    finally:
        await consumer.stop()
    return [r.model_dump(mode="json") for r in sorted(found, key=lambda r: r.request_id)]


def differences(
    run: list[dict[str, object]], live: list[dict[str, object]]
) -> list[tuple[object, str, object, object]]:
    """(request id, field, in the run, live) for each field that differs, a request missing
    on either side as its whole self."""
    ran = {r["request_id"]: r for r in run}
    lived = {r["request_id"]: r for r in live}
    found: list[tuple[object, str, object, object]] = []
    for request_id in sorted(ran.keys() | lived.keys(), key=str):
        one, other = ran.get(request_id), lived.get(request_id)
        if one is None or other is None:
            found.append((request_id, "*", one, other))
            continue
        found += [(request_id, k, one[k], other[k]) for k in one if one[k] != other.get(k)]
    return found


class Engine:
    """`cc-proactive-engine` as a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        (port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, **env, "PROACTIVE_ENGINE_HTTP_PORT": str(port)}
        executable = Path(sys.executable).with_name("cc-proactive-engine")
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [str(executable)], env=full_env, stdout=out, stderr=subprocess.STDOUT
            )

    async def metrics(self) -> dict[str, float]:
        assert self.process.poll() is None, self.log.read_text(errors="replace")
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
                return parse_metrics((await client.get("/metrics")).text)
        except httpx.HTTPError as error:
            raise AssertionError(f"not answering yet: {error!r}") from error

    async def ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            try:
                assert (await client.get("/readyz")).status_code == 200
            except httpx.HTTPError as error:
                raise AssertionError(f"not answering yet: {error!r}") from error

    def stop(self, sig: signal.Signals) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for engine in started:
        engine.stop(signal.SIGKILL)


@pytest.fixture
async def runs(servers: Servers, namespace: str) -> AsyncIterator[dict[str, dict[str, str]]]:
    """A namespace and its service environment per run."""
    names = {run: f"{namespace}{run}" for run in ("live", "paced", "fast", "killed")}
    yield {run: service_environment(servers, name) for run, name in names.items()}
    await remove_namespaces(servers, list(names.values()))


async def in_process_run(
    env: dict[str, str],
    clock: StartingClock | None,
    path: Path,
    speed: float | None,
    next_day: datetime,
) -> None:
    prefix = "PROACTIVE_ENGINE_"
    fields = {k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)}
    shared = {k: v for k, v in env.items() if not k.startswith(prefix)}
    settings = Settings(**shared, **fields)  # type: ignore[arg-type]
    assert settings.allowed_lateness_seconds == LATENESS.total_seconds()
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        await eventually_async(lambda: _partitions_owned(app), seconds=60)
        if clock is not None:
            clock.go()
        await send(env, path, speed)
        await eventually_async(lambda: _decided(app, next_day), seconds=60)


async def _partitions_owned(app: FastAPI) -> None:
    assert (await app_metrics(app))["proactive_engine_partitions_owned"] == PARTITIONS


async def _decided(app: FastAPI, next_day: datetime) -> None:
    assert_day_decided(await app_metrics(app), next_day)
    await asyncio.sleep(0.2)  # and still so after a timer round
    assert_day_decided(await app_metrics(app), next_day)


async def test_live_traffic_and_every_replay_of_it_publish_the_same_requests(
    servers: Servers, runs: dict[str, dict[str, str]], engines: list[Engine], tmp_path: Path
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    recording = tmp_path / "day.jsonl"
    next_day = await generated_day(recording, start)
    rules = rules_file(tmp_path)
    env = {run: engine_settings(e, rules, "event-time") for run, e in runs.items()}
    env["live"] = engine_settings(runs["live"], rules, "wall")

    await in_process_run(
        env["live"], StartingClock(start, LIVE_SPEED), recording, LIVE_SPEED, next_day
    )
    live = await requests_of(servers, runs["live"]["CC_NAMESPACE"])
    await in_process_run(env["paced"], None, recording, PACED_SPEED, next_day)
    await in_process_run(env["fast"], None, recording, None, next_day)

    noon = start + timedelta(hours=HOURS / 2)
    first = Engine(env["killed"], tmp_path / "engine.log")
    engines.append(first)
    await eventually_async(first.ready, seconds=60)
    await send(env["killed"], recording, None, until=noon)

    async def past_morning() -> None:  # some requests out, the morning's events still coming
        metrics = await first.metrics()
        assert published(metrics) > 0
        assert (
            metrics["proactive_engine_watermark_seconds"]
            >= (start + timedelta(hours=2)).timestamp()
        )

    await eventually_async(past_morning, seconds=60)
    first.stop(signal.SIGKILL)
    await send(env["killed"], recording, None, since=noon + timedelta(milliseconds=1))
    second = Engine(env["killed"], tmp_path / "engine.log")
    engines.append(second)

    async def decided() -> None:
        assert_day_decided(await second.metrics(), next_day)

    await eventually_async(decided, seconds=90)
    second.stop(signal.SIGTERM)

    paced = await requests_of(servers, runs["paced"]["CC_NAMESPACE"])
    fast = await requests_of(servers, runs["fast"]["CC_NAMESPACE"])
    killed = await requests_of(servers, runs["killed"]["CC_NAMESPACE"])
    print(
        f"requests published: live {len(live)}, paced replay {len(paced)}, fast replay "
        f"{len(fast)}, killed and restarted {len(killed)}"
    )
    assert len(live) > 50  # a day's worth of stuck customers
    assert differences(paced, live) == []
    assert differences(fast, live) == []
    assert differences(killed, live) == []

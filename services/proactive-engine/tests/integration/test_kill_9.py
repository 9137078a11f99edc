"""The engine as its own process, killed with SIGKILL in the middle of a stream on the real
broker and database, then started again: every stuck session gets exactly one request. Nothing
is lost (the killed instance never checkpointed: its events are read again, folded again, and
the sessions due meanwhile fire), nothing doubled (the sessions it settled load with their
decided episodes, and the ledger has their requests). The narrower window, a request published
but not yet recorded, is `test_a_restarted_engine_neither_loses_nor_doubles_a_request`'s."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import CartItemAdded, ContactRequested, encode
from cc_testing import Servers, eventually, eventually_async, free_ports, produce
from proactive_engine.config import DEFAULT_RULES_FILE

pytestmark = pytest.mark.infra

SESSIONS = 40
PARTITIONS = 3  # service_env's CC_TOPIC_PARTITIONS


def rules_file(directory: Path) -> Path:
    """The packaged rules, with the abandoned cart due 6 s after a session's last event."""
    text = DEFAULT_RULES_FILE.read_text()
    assert "inactivity_minutes = 15" in text
    path = directory / "rules.toml"
    path.write_text(text.replace("inactivity_minutes = 15", "inactivity_minutes = 0.1"))
    return path


class Engine:
    """`cc-proactive-engine` as a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        (port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        full_env = {**os.environ, **env, "PROACTIVE_ENGINE_HTTP_PORT": str(port)}
        executable = Path(sys.executable).with_name("cc-proactive-engine")
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [str(executable)], env=full_env, stdout=out, stderr=subprocess.STDOUT
            )

    def ready(self) -> None:
        assert self.process.poll() is None, self.log.read_text(errors="replace")
        try:
            status = httpx.get(f"{self.url}/readyz", timeout=2).status_code
        except httpx.HTTPError as error:
            raise AssertionError(f"not answering yet: {error!r}") from error
        assert status == 200

    def published(self, at_least: int) -> None:
        metrics = httpx.get(f"{self.url}/metrics", timeout=2).text
        lines = metrics.splitlines()
        prefix = "proactive_engine_requests_published_total{"
        count = sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix))
        assert count >= at_least

    def stop(self, sig: signal.Signals) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for engine in started:
        engine.stop(signal.SIGKILL)


def cart(session: str) -> tuple[bytes, bytes]:
    event = CartItemAdded(
        event_id=f"{session}-1",
        occurred_at=datetime.now(UTC),
        source="shop",
        session_id=session,
        product_id="train-1",
        quantity=1,
        unit_price_cents=4990,
        currency="EUR",
        cart_value_cents=4990,
    )
    return session.encode(), encode(event)


async def requested_sessions(servers: Servers, namespace: str) -> list[str]:
    """The session of every record on contact-requests, up to the end offsets of now."""
    topic = f"{namespace}.contact-requests"
    consumer = AIOKafkaConsumer(bootstrap_servers=servers.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        sessions = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                sessions += [
                    ContactRequested.model_validate_json(r.value).session_id for r in batch
                ]
    finally:
        await consumer.stop()
    return sorted(sessions)


async def test_an_engine_killed_mid_stream_and_restarted_asks_once_per_stuck_session(
    servers: Servers,
    namespace: str,
    service_env: dict[str, str],
    engines: list[Engine],
    tmp_path: Path,
) -> None:
    env = {
        **service_env,
        "PROACTIVE_ENGINE_RULES_FILE": str(rules_file(tmp_path)),
        "PROACTIVE_ENGINE_LEASE_SECONDS": "2",  # a killed instance's entries are taken over soon
    }
    topic = f"{namespace}.cart-events"
    sessions = [f"cart-{n:02d}" for n in range(SESSIONS)]
    first = Engine(env, tmp_path / "engine.log")
    engines.append(first)
    eventually(first.ready, seconds=60)

    await produce(servers.kafka_bootstrap_servers, topic, [cart(s) for s in sessions[:20]])
    await asyncio.sleep(3)  # due at 6 s: the next ones are folded, not yet checkpointed (10 s)
    await produce(servers.kafka_bootstrap_servers, topic, [cart(s) for s in sessions[20:30]])
    eventually(lambda: first.published(at_least=10), seconds=30)
    first.stop(signal.SIGKILL)  # 30 sessions folded, none checkpointed, 10 not due yet
    await produce(servers.kafka_bootstrap_servers, topic, [cart(s) for s in sessions[30:]])
    second = Engine(env, tmp_path / "engine.log")
    engines.append(second)
    eventually(second.ready, seconds=60)

    database = Database(service_env["CC_POSTGRES_URL"], schema_name("proactive-engine", namespace))
    await database.open()

    async def every_session_settled() -> None:
        async with database.connection() as connection:
            count = "SELECT count(*) FROM sessions WHERE fired <> '{}'"
            assert await connection.fetchval(count) == SESSIONS

    try:
        await eventually_async(every_session_settled, seconds=90)
    finally:
        await database.close()
    second.stop(signal.SIGTERM)
    assert await requested_sessions(servers, namespace) == sessions

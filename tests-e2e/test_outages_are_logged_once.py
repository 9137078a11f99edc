"""A broker restart and a database outage of 13 s, mid-stream, on a private stack: each service
logs the outage once when it starts and once when it ends (with its duration), not an ERROR per
retry (a broker restart gave ~3,100 ERROR lines per consumer service), and reads on after it.

The consumers are kpi (batch consumer, one event stored per record), the proactive engine
(batch consumer, checkpoints, timer rounds) and telephony-ingest's live queue_log follower
(its own producer, the sink, and its progress in the database), each its own process.
"""

import asyncio
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_dev.simulation import SimulationParams, simulate_day
from cc_schemas import encode, key_of, topic_of
from cc_testing import RunningService, eventually, free_ports, produce, service_process
from cc_testing.servers import service_environment
from cc_testing.stack import PrivateStack, private_stack

pytestmark = pytest.mark.infra

OUTAGE_SECONDS = 13
# The outage's own start line, and room for one error that is not the outage's (a message of
# the stream that failed for another reason would still be shown).
MAX_ERRORS = 2
SERVICES = ["kpi", "proactive-engine", "telephony-ingest"]
# The one database server every service keeps its state in.
DATABASES = ("postgres",)


@pytest.fixture(scope="module")
def stack() -> Iterator[PrivateStack]:
    with private_stack() as started:
        yield started


@pytest.fixture
def queue_log(tmp_path: Path) -> Path:
    path = tmp_path / "queue_log"
    path.write_text("")
    return path


@pytest.fixture
def namespace() -> str:
    return f"outages_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def services(
    stack: PrivateStack, namespace: str, queue_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, RunningService]]:
    """Fresh processes for each outage, so that one outage's aftermath is not the next's."""
    env = {
        **service_environment(stack.servers, namespace),
        "TELEPHONY_INGEST_FOLLOW_PATH": str(queue_log),
        "TELEPHONY_INGEST_FOLLOW_POLL_SECONDS": "0.2",
    }
    log_dir = tmp_path_factory.mktemp("logs")
    with ExitStack() as running:
        yield {
            name: running.enter_context(service_process(name, port, env, log_dir))
            for name, port in zip(SERVICES, free_ports(len(SERVICES)), strict=True)
        }


def publish_traffic(stack: PrivateStack, namespace: str, seed: int) -> None:
    """An hour of simulated calls and shop sessions, for the consumers to be busy with."""
    params = SimulationParams(seed=seed, start=datetime(2026, 3, 2, 10, tzinfo=UTC), hours=1)
    by_topic: dict[str, list[tuple[bytes | None, bytes]]] = defaultdict(list)
    for emission in simulate_day(params):
        event = emission.event
        by_topic[topic_of(event)].append((key_of(event).encode(), encode(event)))
    for topic, messages in by_topic.items():
        bootstrap = stack.servers.kafka_bootstrap_servers
        asyncio.run(produce(bootstrap, f"{namespace}.{topic}", messages))


def append_calls(queue_log: Path, first: int, count: int) -> None:
    """Calls written by the PBX while the outage lasts: the follower must publish them."""
    with queue_log.open("a") as file:
        for n in range(first, first + count):
            at = 1772445600 + n * 10
            call = f"{at}.{n}"
            file.write(f"{at}|{call}|sales|NONE|ENTERQUEUE||+390212345678|1\n")
            file.write(f"{at + 5}|{call}|sales|PJSIP/1001|CONNECT|5|{call}1|3\n")
            file.write(f"{at + 60}|{call}|sales|PJSIP/1001|COMPLETECALLER|5|55|1\n")


def records(service: RunningService, since: int) -> list[dict[str, Any]]:
    lines = service.log().splitlines()[since:]
    return [json.loads(line) for line in lines if line.startswith("{")]


def outage_lines(found: list[dict[str, Any]], dependency: str) -> list[str]:
    return [r["message"] for r in found if r.get("dependency") == dependency]


def live_through_an_outage(
    stack: PrivateStack,
    namespace: str,
    services: dict[str, RunningService],
    queue_log: Path,
    components: tuple[str, ...],
    dependencies: tuple[str, ...],
    min_seconds: float,
) -> None:
    since = {name: len(s.log().splitlines()) for name, s in services.items()}
    publish_traffic(stack, namespace, seed=1)
    append_calls(queue_log, 0, 20)
    for consumer in ("kpi", "proactive-engine"):  # the outage comes mid-stream
        eventually(lambda url=services[consumer].url: received_some(url))
    for component in components:
        stack.stop(component)
    try:
        append_calls(queue_log, 20, 20)
        if "kafka" not in components:  # the stream goes on while the database is down
            publish_traffic(stack, namespace, seed=2)
        time.sleep(OUTAGE_SECONDS)  # the outage itself: nothing to wait for
        for name, service in services.items():
            assert_few_errors(name, records(service, since[name]))
            eventually(lambda s=service, n=since[name]: noticed(s, n, dependencies), seconds=60)
    finally:
        for component in components:
            stack.start(component)

    for name, service in services.items():
        found = eventually(lambda s=service, n=since[name]: ended(s, n, dependencies), seconds=120)
        assert_few_errors(name, found)
        # Each dependency the service uses is reported once started and once ended.
        for dependency in dependencies:
            lines = outage_lines(found, dependency)
            if not lines:
                continue
            assert [line.split(" after ")[0] for line in lines] == [
                f"{dependency} outage started",
                f"{dependency} outage ended",
            ], name
            assert float(lines[1].split()[-2]) >= min_seconds, name
        eventually(lambda url=service.url: ready(url), seconds=60)


def assert_few_errors(name: str, found: list[dict[str, Any]]) -> None:
    errors = [r for r in found if r["level"] in ("ERROR", "CRITICAL")]
    assert len(errors) <= MAX_ERRORS, (name, len(errors), errors[:5])


def received_some(url: str) -> None:
    metrics = httpx.get(f"{url}/metrics", timeout=5).text
    received = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("faststream_received_messages_total{")
    ]
    assert sum(received) > 0


def noticed(service: RunningService, since: int, dependencies: tuple[str, ...]) -> None:
    found = records(service, since)
    started = [f"{d} outage started" in outage_lines(found, d) for d in dependencies]
    assert any(started), (service.name, dependencies)


def ended(
    service: RunningService, since: int, dependencies: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The records since `since`, once every outage the service noticed has ended."""
    found = records(service, since)
    for dependency in dependencies:
        lines = " ".join(outage_lines(found, dependency))
        if f"{dependency} outage started" in lines:
            assert f"{dependency} outage ended" in lines, (service.name, dependency)
    return found


def ready(url: str) -> None:
    assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200


def test_a_broker_restart_mid_stream_is_logged_once_when_it_starts_and_once_when_it_ends(
    stack: PrivateStack, namespace: str, services: dict[str, RunningService], queue_log: Path
) -> None:
    live_through_an_outage(
        stack, namespace, services, queue_log, ("kafka",), ("kafka",), OUTAGE_SECONDS - 1
    )


def test_a_database_outage_mid_stream_is_logged_once_when_it_starts_and_once_when_it_ends(
    stack: PrivateStack, namespace: str, services: dict[str, RunningService], queue_log: Path
) -> None:
    # A service notices a database outage when one of its operations fails, which may come
    # late while its consumers are between batches: the duration it reports is shorter than
    # the outage's, but never zero.
    live_through_an_outage(stack, namespace, services, queue_log, DATABASES, ("postgresql",), 0.1)

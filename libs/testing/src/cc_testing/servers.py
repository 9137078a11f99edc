"""Real servers for the tests, picked in the order DESIGN.md gives, for Kafka and for
PostgreSQL each on its own:

1. addresses in the environment (`CC_TEST_KAFKA_BOOTSTRAP_SERVERS`; `CC_TEST_POSTGRES_URL`);
2. testcontainers (Kafka; PostgreSQL) when a Docker engine answers;
3. the locally provisioned servers of `deploy/local/stack` (Kafka; PostgreSQL), started in a
   private state directory on free ports and stopped at the end of the session.
"""

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
STACK = REPO_ROOT / "deploy" / "local" / "stack"
POSTGRES_IMAGE = "postgres:17"


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap_servers: str
    origin: str  # of Kafka: "environment", "testcontainers" or "local stack"
    # The platform's database; services keep their tables in the schema `<namespace>_<name>`.
    # None where a caller (a benchmark's clean-up) has no PostgreSQL.
    postgres_url: str | None = None
    postgres_origin: str | None = None

    @property
    def shared(self) -> bool:
        """Whether any of the servers outlives the session (given by `CC_TEST_*`)."""
        return "environment" in (self.origin, self.postgres_origin)


@dataclass(frozen=True)
class PostgresServer:
    url: str
    origin: str


def service_environment(servers: Servers, namespace: str) -> dict[str, str]:
    """The environment of a service process using these servers, in its own namespace."""
    env = {
        "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
        "CC_NAMESPACE": namespace,
        "CC_TOPIC_PARTITIONS": "3",
        "CC_CONSUMER_BACKOFF_SECONDS": "0.05",
    }
    if servers.postgres_url is not None:
        env["CC_POSTGRES_URL"] = servers.postgres_url
    return env


@contextlib.contextmanager
def real_servers() -> Iterator[Servers]:
    with kafka_server() as (kafka, origin), postgres_server() as postgres:
        yield Servers(kafka, origin, postgres.url, postgres.origin)


@contextlib.contextmanager
def kafka_server() -> Iterator[tuple[str, str]]:
    """Kafka's bootstrap servers, and where they come from."""
    kafka = os.environ.get("CC_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if kafka:
        yield kafka, "environment"
    elif docker_engine_answers():
        with testcontainer_kafka() as server:
            yield server
    else:
        with local_stack_kafka() as server:
            yield server


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get("CC_TEST_POSTGRES_URL")
    if url:
        yield PostgresServer(url, "environment")
    elif docker_engine_answers():
        with testcontainer_postgres() as server:
            yield server
    else:
        with local_stack_postgres() as server:
            yield server


@functools.cache
def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],  # noqa: S607
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextlib.contextmanager
def testcontainer_kafka() -> Iterator[tuple[str, str]]:
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka:
        yield kafka.get_bootstrap_server(), "testcontainers"


@contextlib.contextmanager
def testcontainer_postgres() -> Iterator[PostgresServer]:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as postgres:
        yield PostgresServer(postgres.get_connection_url(), "testcontainers")


@contextlib.contextmanager
def local_stack_kafka() -> Iterator[tuple[str, str]]:
    state = Path(tempfile.mkdtemp(prefix="cc-test-stack-"))
    env = stack_on_free_ports(state, kafka=True)
    try:
        subprocess.run([str(STACK), "start", "kafka"], env=env, check=True)  # noqa: S603
        yield f"127.0.0.1:{env['CC_KAFKA_PORT']}", "local stack"
    finally:
        subprocess.run([str(STACK), "stop", "kafka"], env=env, check=False)  # noqa: S603
        shutil.rmtree(state, ignore_errors=True)


class LocalStackPostgres:
    """A throw-away PostgreSQL of the local stack: fsync off, its data in a private state
    directory, on a free port; tests of outages stop and start it."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="cc-test-postgres-"))
        self.env = stack_on_free_ports(self.state, postgres=True)
        self.url = ""

    def start(self) -> None:
        subprocess.run([str(STACK), "start", "postgres"], env=self.env, check=True)  # noqa: S603
        self.url = stack_environment(self.env)["CC_POSTGRES_URL"]

    def stop(self) -> None:
        subprocess.run([str(STACK), "stop", "postgres"], env=self.env, check=False)  # noqa: S603

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.state, ignore_errors=True)


@contextlib.contextmanager
def local_stack_postgres() -> Iterator[PostgresServer]:
    server = LocalStackPostgres()
    try:
        server.start()
        yield PostgresServer(server.url, "local stack")
    finally:
        server.remove()


def stack_on_free_ports(
    state: Path, *, kafka: bool = False, postgres: bool = False
) -> dict[str, str]:
    """The environment of a throw-away local stack keeping its state in `state`, its servers
    on free ports (PostgreSQL with fsync off: its data is thrown away)."""
    ports = iter(free_ports(2 * kafka + postgres))  # taken at once, so all differ
    env = {**os.environ, "CC_STATE_DIR": str(state)}
    if kafka:
        env |= {"CC_KAFKA_PORT": str(next(ports)), "CC_KAFKA_CONTROLLER_PORT": str(next(ports))}
    if postgres:
        # Run as root, the stack runs PostgreSQL as `postgres`, which must enter this
        # directory (enter only: it cannot list it, and its own data directory is private).
        state.chmod(0o711)
        env |= {
            "CC_POSTGRES_PORT": str(next(ports)),
            "CC_POSTGRES_DATA_DIR": str(state / "postgres-data"),
            "CC_POSTGRES_FSYNC": "off",
        }
    return env


def stack_environment(env: dict[str, str]) -> dict[str, str]:
    """What `stack env` prints (`export NAME=value` lines), as a dict."""
    done = subprocess.run(  # noqa: S603
        [str(STACK), "env"], env=env, capture_output=True, text=True, check=True
    )
    pairs = (line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    return {name: value for name, value in pairs}


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()

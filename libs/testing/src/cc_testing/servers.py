"""Real servers for the tests, picked in the order DESIGN.md gives:

1. addresses in the environment (`CC_TEST_KAFKA_BOOTSTRAP_SERVERS` and `CC_TEST_MONGO_URL`);
2. testcontainers (Kafka and MongoDB) when a Docker engine answers;
3. the locally provisioned Kafka and FerretDB of `deploy/local/stack`, started in a private
   state directory on free ports and stopped at the end of the session.
"""

import contextlib
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


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap_servers: str
    mongo_url: str
    origin: str  # "environment", "testcontainers" or "local stack"


def service_environment(servers: Servers, namespace: str) -> dict[str, str]:
    """The environment of a service process using these servers, in its own namespace."""
    return {
        "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
        "CC_MONGO_URL": servers.mongo_url,
        "CC_NAMESPACE": namespace,
        "CC_TOPIC_PARTITIONS": "3",
        "CC_CONSUMER_BACKOFF_SECONDS": "0.05",
    }


@contextlib.contextmanager
def real_servers() -> Iterator[Servers]:
    kafka = os.environ.get("CC_TEST_KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("CC_TEST_MONGO_URL")
    if kafka and mongo:
        yield Servers(kafka, mongo, "environment")
    elif docker_engine_answers():
        with testcontainer_servers() as servers:
            yield servers
    else:
        with local_stack_servers() as servers:
            yield servers


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
def testcontainer_servers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with (
        KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka,
        MongoDbContainer("mongo:7") as mongo,
    ):
        yield Servers(kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers")


@contextlib.contextmanager
def local_stack_servers() -> Iterator[Servers]:
    state = Path(tempfile.mkdtemp(prefix="cc-test-stack-"))
    kafka_port, controller_port, mongo_port = free_ports(3)
    env = {
        **os.environ,
        "CC_STATE_DIR": str(state),
        "CC_KAFKA_PORT": str(kafka_port),
        "CC_KAFKA_CONTROLLER_PORT": str(controller_port),
        "CC_MONGO_PORT": str(mongo_port),
    }
    try:
        subprocess.run([str(STACK), "start", "kafka", "ferretdb"], env=env, check=True)  # noqa: S603
        yield Servers(f"127.0.0.1:{kafka_port}", f"mongodb://127.0.0.1:{mongo_port}", "local stack")
    finally:
        subprocess.run([str(STACK), "stop", "kafka", "ferretdb"], env=env, check=False)  # noqa: S603
        shutil.rmtree(state, ignore_errors=True)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()

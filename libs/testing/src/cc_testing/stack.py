"""A private local stack (`deploy/local/stack`) on free ports in a temporary state directory,
whose servers a test may stop and start again, to see how services live through an outage."""

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cc_testing.servers import STACK, Servers, stack_environment, stack_on_free_ports


@dataclass(frozen=True)
class PrivateStack:
    servers: Servers
    env: dict[str, str]

    def stop(self, component: str) -> None:
        self._run("stop", component)

    def start(self, component: str) -> None:
        self._run("start", component)

    def _run(self, action: str, component: str) -> None:
        subprocess.run([str(STACK), action, component], env=self.env, check=True)  # noqa: S603


@contextlib.contextmanager
def private_stack() -> Iterator[PrivateStack]:
    """Kafka and PostgreSQL of their own, stopped and removed at the end."""
    state = Path(tempfile.mkdtemp(prefix="cc-private-stack-"))
    env = {**stack_on_free_ports(state, kafka=True, postgres=True), "CC_KAFKA_HEAP": "512m"}
    components = ("kafka", "postgres")
    try:
        subprocess.run([str(STACK), "start", *components], env=env, check=True)  # noqa: S603
        servers = Servers(
            f"127.0.0.1:{env['CC_KAFKA_PORT']}",
            "private local stack",
            stack_environment(env)["CC_POSTGRES_URL"],
            "private local stack",
        )
        yield PrivateStack(servers, env)
    finally:
        subprocess.run([str(STACK), "stop", *components], env=env, check=False)  # noqa: S603
        shutil.rmtree(state, ignore_errors=True)

"""deploy/local/stack's postgres component: a taken port gives way to a free one, kept for the
next start and printed by `stack env`; starting what runs is a no-op with the same URL; Keycloak
has its own role and database in the cluster."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

STACK = Path(__file__).resolve().parents[1] / "local" / "stack"

pytestmark = pytest.mark.infra


@pytest.fixture
def stack_env() -> Iterator[dict[str, str]]:
    state = Path(tempfile.mkdtemp(prefix="cc-stack-test-"))
    state.chmod(0o711)  # the server's user (`postgres` when run as root) enters it
    env = {k: v for k, v in os.environ.items() if k != "CC_POSTGRES_PORT"}
    env.update(CC_STATE_DIR=str(state), CC_POSTGRES_FSYNC="off")
    try:
        yield env
    finally:
        stack(env, "stop", "postgres")
        shutil.rmtree(state, ignore_errors=True)


def stack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [str(STACK), *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )


def postgres_url(env: dict[str, str]) -> str:
    lines = stack(env, "env").stdout.splitlines()
    return next(line for line in lines if "CC_POSTGRES_URL=" in line).split("=", 1)[1]


async def current_user(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SELECT current_user"))
    finally:
        await connection.close()


def test_a_taken_port_gives_way_to_a_free_one_that_the_next_start_keeps(
    stack_env: dict[str, str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        (Path(stack_env["CC_STATE_DIR"]) / "postgres.port").write_text(f"{taken_port}\n")

        first = stack(stack_env, "start", "postgres")
        url = postgres_url(stack_env)
        again = stack(stack_env, "start", "postgres")

    port = urlsplit(url).port
    assert f"port {taken_port} is taken; postgres takes 127.0.0.1:{port}" in first.stderr
    assert port != taken_port
    assert "already running" in again.stderr
    assert postgres_url(stack_env) == url
    assert asyncio.run(current_user(url)) == "contact_centre"


def test_a_stopped_cluster_starts_again_with_its_data(stack_env: dict[str, str]) -> None:
    stack(stack_env, "start", "postgres")
    url = postgres_url(stack_env)
    asyncio.run(execute(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"))

    stack(stack_env, "stop", "postgres")
    assert "postgres: stopped" in stack(stack_env, "status").stdout
    stack(stack_env, "start", "postgres")

    assert postgres_url(stack_env) == url
    assert asyncio.run(fetch_one(url, "SELECT n FROM kept")) == 7


async def execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def fetch_one(url: str, sql: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def test_keycloak_has_a_role_and_a_database_of_its_own_in_the_stacks_cluster(
    stack_env: dict[str, str],
) -> None:
    stack(stack_env, "start", "postgres")
    platform = urlsplit(postgres_url(stack_env))
    keycloak = platform._replace(netloc=f"keycloak:keycloak@{platform.hostname}:{platform.port}")

    user = asyncio.run(current_user(keycloak._replace(path="/keycloak").geturl()))

    assert user == "keycloak"

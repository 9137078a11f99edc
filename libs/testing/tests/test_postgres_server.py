"""Where the tests' servers come from: the environment first, else (without Docker), for
PostgreSQL, a throw-away cluster of the local stack that the harness starts and removes itself."""

import asyncio

import asyncpg
import pytest

from cc_testing import Servers, service_environment
from cc_testing.servers import (
    LocalStackPostgres,
    kafka_server,
    local_stack_postgres,
    postgres_server,
)


def test_an_address_in_the_environment_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC_TEST_POSTGRES_URL", "postgresql://u:p@db.example:5432/platform")

    with postgres_server() as server:
        assert (server.url, server.origin) == (
            "postgresql://u:p@db.example:5432/platform",
            "environment",
        )


def test_kafkas_address_in_the_environment_comes_first_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_TEST_KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")

    with kafka_server() as found:
        assert found == ("kafka.example:9092", "environment")


def test_a_service_gets_the_postgresql_url_of_the_servers() -> None:
    url = "postgresql://u:p@h/db"
    servers = Servers("k:9092", "environment", url, "environment")

    env = service_environment(servers, "t1")

    assert env["CC_KAFKA_BOOTSTRAP_SERVERS"] == "k:9092"
    assert env["CC_POSTGRES_URL"] == url
    assert env["CC_NAMESPACE"] == "t1"


async def user_and_fsync(url: str) -> tuple[str, str]:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow("SELECT current_user, current_setting('fsync')")
        return row[0], row[1]
    finally:
        await connection.close()


@pytest.mark.infra
def test_the_local_stack_gives_a_throw_away_cluster_of_the_platforms_role() -> None:
    with local_stack_postgres() as server:
        found = asyncio.run(user_and_fsync(server.url))

    assert (server.origin, found) == ("local stack", ("contact_centre", "off"))
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(user_and_fsync(server.url))


@pytest.mark.infra
def test_a_local_stack_cluster_stops_starts_again_and_leaves_nothing_behind() -> None:
    server = LocalStackPostgres()
    try:
        server.start()
        server.stop()
        server.start()
        assert asyncio.run(user_and_fsync(server.url)) == ("contact_centre", "off")
    finally:
        server.remove()

    assert not server.state.exists()

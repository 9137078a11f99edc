"""The services' PostgreSQL on the real server: a pool working in the service's schema, an
unreachable server reported as an outage, migrations at start-up and PostgreSQL in /readyz."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from cc_runtime import ServiceSpec, connect, create_http_app, readiness
from cc_runtime.dead_letter import INFRASTRUCTURE_ERRORS
from cc_runtime.postgres import Database, DatabaseUnavailable
from cc_runtime.settings import ServiceSettings
from cc_testing import Servers, free_ports

pytestmark = pytest.mark.infra


class DeskSettings(ServiceSettings):
    service_name: ClassVar[str] = "billing-desk"


@pytest.fixture
async def database(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, f"{namespace}_desk", max_size=2)
    await database.open()
    async with database.connection() as connection:
        await connection.execute(f'CREATE SCHEMA "{namespace}_desk"')
    yield database
    await database.close()


def unreachable_url() -> str:
    return f"postgresql://contact_centre:contact_centre@127.0.0.1:{free_ports(1)[0]}/x"


async def test_unqualified_tables_live_in_the_services_schema(
    database: Database, namespace: str
) -> None:
    async with database.transaction() as connection:
        await connection.execute("CREATE TABLE calls (id text PRIMARY KEY)")
        await connection.execute("INSERT INTO calls VALUES ('c1')")

    async with database.connection() as connection:
        schema = await connection.fetchval(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'calls'"
            " AND table_schema LIKE $1",
            f"{namespace}%",
        )
        assert await connection.fetchval("SELECT id FROM calls") == "c1"
    assert schema == f"{namespace}_desk"


async def test_a_transaction_that_fails_stores_nothing(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute("CREATE TABLE calls (id text PRIMARY KEY)")

    async def insert_then_fail() -> None:
        async with database.transaction() as connection:
            await connection.execute("INSERT INTO calls VALUES ('c1')")
            raise RuntimeError("the handler failed after its insert")

    with pytest.raises(RuntimeError, match="after its insert"):
        await insert_then_fail()

    async with database.connection() as connection:
        assert await connection.fetchval("SELECT count(*) FROM calls") == 0


async def test_an_unreachable_server_is_an_outage_to_wait_out_not_a_bad_message() -> None:
    database = Database(unreachable_url(), "desk", connect_timeout=2)

    with pytest.raises(DatabaseUnavailable) as raised:
        await database.open()

    assert isinstance(raised.value, INFRASTRUCTURE_ERRORS)
    assert not database.is_open


async def test_ping_answers_whether_the_server_does(database: Database) -> None:
    assert await database.ping(2.0) is True
    await database.close()
    assert await database.ping(2.0) is False


def settings_for(servers: Servers, namespace: str) -> DeskSettings:
    return DeskSettings(
        CC_KAFKA_BOOTSTRAP_SERVERS=servers.kafka_bootstrap_servers,
        CC_POSTGRES_URL=servers.postgres_url,
        CC_NAMESPACE=namespace,
    )


async def test_a_service_with_migrations_applies_them_at_start_up_and_reports_postgresql_ready(
    servers: Servers, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = f"desk_{namespace}"
    migrations = tmp_path / package / "migrations"
    migrations.mkdir(parents=True)
    (migrations.parent / "__init__.py").write_text("")
    (migrations / "0001_calls.sql").write_text("CREATE TABLE calls (id text PRIMARY KEY);")
    monkeypatch.syspath_prepend(str(tmp_path))
    infra = connect(settings_for(servers, namespace))
    app = create_http_app(infra, ServiceSpec("desk", "test", migrations=package))

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        ready = (await client.get("/readyz")).json()
        async with infra.postgres.connection() as connection:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
                f"{namespace}_billing_desk",
            )

    assert ready["checks"]["postgresql"] is True
    assert [t["tablename"] for t in tables] == ["calls", "schema_migrations"]
    assert not infra.postgres.is_open  # closed with the app


async def test_readiness_asks_kafka_alone_of_a_service_that_keeps_no_state(
    servers: Servers, namespace: str
) -> None:
    infra = connect(settings_for(servers, namespace))

    checks = await readiness(infra)

    assert sorted(checks) == ["kafka"]  # the broker was never started: not ready, but asked

"""Removing a namespace's topics and schemas from shared servers, and nothing else."""

import uuid

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from cc_runtime import ensure_topics
from cc_testing import Servers
from cc_testing.cleanup import remove_namespaces

pytestmark = pytest.mark.infra


async def test_a_namespace_is_removed_and_its_neighbour_kept(servers: Servers) -> None:
    gone, kept = "t" + uuid.uuid4().hex[:12], "t" + uuid.uuid4().hex[:12]
    await ensure_topics(servers.kafka_bootstrap_servers, [f"{gone}.a", f"{gone}.b", f"{kept}.a"], 1)
    assert servers.postgres_url is not None
    postgres = await asyncpg.connect(servers.postgres_url)
    for schema in (f"{gone}_kpi", f"{gone}_crm", f"{kept}_kpi"):
        await postgres.execute(f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".x (n int)')

    await remove_namespaces(servers, [gone])

    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    topics = set(await admin.list_topics())
    await admin.close()
    assert not {f"{gone}.a", f"{gone}.b"} & topics
    assert f"{kept}.a" in topics
    schemas = await postgres.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname IN ($1, $2, $3)",
        f"{gone}_kpi",
        f"{gone}_crm",
        f"{kept}_kpi",
    )
    assert [row["nspname"] for row in schemas] == [f"{kept}_kpi"]
    await remove_namespaces(servers, [kept])
    await postgres.close()

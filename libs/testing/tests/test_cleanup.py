"""Removing a namespace's topics and databases from shared servers, and nothing else."""

import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from cc_runtime import ensure_topics
from cc_testing import Servers
from cc_testing.cleanup import remove_namespaces

pytestmark = pytest.mark.infra


async def test_a_namespace_is_removed_and_its_neighbour_kept(servers: Servers) -> None:
    gone, kept = "t" + uuid.uuid4().hex[:12], "t" + uuid.uuid4().hex[:12]
    await ensure_topics(servers.kafka_bootstrap_servers, [f"{gone}.a", f"{gone}.b", f"{kept}.a"], 1)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    for database in (f"{gone}_kpi", f"{kept}_kpi"):
        await client[database]["x"].insert_one({"n": 1})

    await remove_namespaces(servers, [gone])

    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    topics = set(await admin.list_topics())
    await admin.close()
    assert not {f"{gone}.a", f"{gone}.b"} & topics
    assert f"{kept}.a" in topics
    assert await client[f"{gone}_kpi"].list_collection_names() == []  # dropped
    assert await client[f"{kept}_kpi"].list_collection_names() == ["x"]
    await remove_namespaces(servers, [kept])
    await client.close()

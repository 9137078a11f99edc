"""Removing what tests and benchmarks leave on shared servers: the topics and PostgreSQL
schemas of their namespaces. Servers a session started itself go away with it; shared ones
(`CC_TEST_*`, the dev stack) would otherwise collect thousands of topics and hundreds of
schemas, which slow the broker and the database for every later run. Consumer
groups are left to the broker, which expires their offsets (`offsets.retention.minutes`)."""

from collections.abc import Collection

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from cc_testing.servers import Servers

TOPICS_PER_REQUEST = 200


async def remove_namespaces(servers: Servers, namespaces: Collection[str]) -> None:
    """Delete the topics (`<namespace>.…`) and drop the PostgreSQL schemas (`<namespace>_…`)."""
    if not namespaces:
        return
    await _delete_topics(servers.kafka_bootstrap_servers, tuple(f"{n}." for n in namespaces))
    if servers.postgres_url is not None:
        await drop_schemas(servers.postgres_url, tuple(f"{n}_" for n in namespaces))


async def _delete_topics(bootstrap_servers: str, prefixes: tuple[str, ...]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        for start in range(0, len(topics), TOPICS_PER_REQUEST):
            await admin.delete_topics(topics[start : start + TOPICS_PER_REQUEST])
    finally:
        await admin.close()


async def drop_schemas(postgres_url: str, prefixes: tuple[str, ...]) -> None:
    """Drop the schemas whose names start with one of the prefixes, with what they hold."""
    connection = await asyncpg.connect(postgres_url)
    try:
        names = await connection.fetch("SELECT nspname FROM pg_namespace")
        for (name,) in names:
            if name.startswith(prefixes):
                await connection.execute(f"DROP SCHEMA {_quoted(name)} CASCADE")
    finally:
        await connection.close()


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'

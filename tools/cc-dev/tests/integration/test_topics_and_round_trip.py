"""On the real broker: `topics create` is idempotent and `topics` shows sizes and lag; a record ->
replay round trip gives back the same messages, keys and headers in the same order per partition."""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner

from cc_dev.cli import app
from cc_schemas import TOPICS
from cc_testing import Servers, read_records

pytestmark = pytest.mark.infra
runner = CliRunner()


def cli(servers: Servers, namespace: str, *arguments: str) -> str:
    result = runner.invoke(
        app, [*arguments, "-b", servers.kafka_bootstrap_servers, "-n", namespace]
    )
    assert result.exit_code == 0, result.output
    return result.output


async def produce_spread(bootstrap: str, topic: str, count: int) -> None:
    """`count` messages over 3 partitions, with text and binary values and repeated headers."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        sent = []
        for n in range(count):
            value = b"\x00\xff binary %d" % n if n % 7 == 0 else b'{"n": %d}' % n
            headers = [("trace", b"t%d" % n), ("trace", b"again"), ("bin", b"\x80\x81")]
            sent.append(
                await producer.send(
                    topic, value, key=b"key-%d" % (n % 40), partition=n % 3, headers=headers
                )
            )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): offset})
    finally:
        await consumer.stop()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def per_partition(records: list) -> dict[tuple[str, int], list[tuple]]:  # type: ignore[type-arg]
    grouped: dict[tuple[str, int], list[tuple]] = {}  # type: ignore[type-arg]
    for r in records:
        topic = r.topic.split(".", 1)[1]
        grouped.setdefault((topic, r.partition), []).append((r.key, r.value, list(r.headers)))
    return grouped


def test_creating_the_topics_twice_creates_each_once(servers: Servers, namespace: str) -> None:
    first = cli(servers, namespace, "topics", "create", "--partitions", "2")
    second = cli(servers, namespace, "topics", "create")

    assert f"{2 * len(TOPICS)} created, 0 already there" in first
    assert f"0 created, {2 * len(TOPICS)} already there" in second
    assert f"created {namespace}.call-events.dlq" in first


def test_the_topic_list_shows_partitions_message_counts_and_group_lag(
    servers: Servers, namespace: str
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    cli(servers, namespace, "topics", "create", "--partitions", "3")
    topic = f"{namespace}.call-events"
    asyncio.run(produce_spread(bootstrap, topic, 30))
    asyncio.run(commit(bootstrap, f"{namespace}.kpi", topic, 4))

    listed = cli(servers, namespace, "topics")

    lines = [" ".join(line.replace("│", " ").split()) for line in listed.splitlines()]
    assert f"{topic} 3 30" in lines
    assert f"{topic}.dlq 3 0" in lines
    # partition 0 holds 10 messages, 4 committed; partitions 1 and 2 never committed: 20
    assert f"{namespace}.kpi {topic} 26" in lines


def test_a_recording_replayed_gives_back_the_same_messages_in_the_same_order_per_partition(
    servers: Servers, namespace: str, tmp_path: Path
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    cli(servers, namespace, "topics", "create", "--partitions", "3")
    asyncio.run(produce_spread(bootstrap, f"{namespace}.call-events", 900))
    asyncio.run(produce_spread(bootstrap, f"{namespace}.cart-events", 300))
    recording = tmp_path / "day.jsonl.gz"

    recorded = cli(servers, namespace, "record", "call-events", "cart-events", "-o", str(recording))
    target = namespace + "r"
    replayed = cli(servers, target, "replay", str(recording), "--as-fast-as-possible")

    assert "recorded 1200 messages" in recorded
    assert "replayed 1200 messages" in replayed
    for topic, count in (("call-events", 900), ("cart-events", 300)):
        original = asyncio.run(
            read_records(bootstrap, f"{namespace}.{topic}", until=lambda r, c=count: len(r) >= c)
        )
        copied = asyncio.run(
            read_records(bootstrap, f"{target}.{topic}", until=lambda r, c=count: len(r) >= c)
        )
        assert len(copied) == count
        assert per_partition(copied) == per_partition(original)


def test_recording_a_time_range_takes_only_the_messages_stamped_in_it(
    servers: Servers, namespace: str, tmp_path: Path
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    cli(servers, namespace, "topics", "create", "--partitions", "1")
    topic = f"{namespace}.call-events"

    base_ms = (int(time.time()) - 3600) * 1000

    async def stamped() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for second in range(10):
                ts = base_ms + second * 1000
                await producer.send_and_wait(topic, b"%d" % second, timestamp_ms=ts)
        finally:
            await producer.stop()

    asyncio.run(stamped())
    path = tmp_path / "range.jsonl"

    cli(
        servers,
        namespace,
        "record",
        "call-events",
        "-o",
        str(path),
        "--since",
        iso(base_ms + 3000),
        "--until",
        iso(base_ms + 5000),
    )

    assert [line.split('"value": ')[1][:3] for line in path.read_text().splitlines()] == [
        '"3"',
        '"4"',
        '"5"',
    ]


def test_recording_an_unknown_topic_exits_with_2(servers: Servers, namespace: str) -> None:
    result = runner.invoke(
        app,
        [
            "record",
            "no-such-topic",
            "-o",
            "/tmp/unused.jsonl",
            "-b",
            servers.kafka_bootstrap_servers,
            "-n",
            namespace,
        ],
    )

    assert result.exit_code == 2
    assert "no such topic" in result.output

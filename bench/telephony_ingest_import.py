"""Bulk import of a generated 1,000,000-line Asterisk queue_log into the real broker, next to a
raw aiokafka producer sending as many pre-serialised messages to the same broker in the same run.

    uv run python bench/telephony_ingest_import.py [--lines 1000000]

Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL when set, else the harness starts
its own (cc_testing.real_servers). Ends with `ratio: X.XX` = import lines/s / raw messages/s.
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from cc_runtime import ensure_topics
from cc_testing import Servers, real_servers
from cc_testing.cleanup import remove_namespaces
from telephony_ingest.bulk import import_queue_log_files
from telephony_ingest.settings import Settings

PARTITIONS = 6


def call_lines(rng: random.Random, epoch: int, n: int) -> list[str]:
    """The lines of one queue call: offered, sometimes a ring with no answer, then answered and
    ended, or abandoned."""
    uid = f"{epoch}.{n}"
    agent = f"PJSIP/{1000 + rng.randrange(40)}"
    caller = f"0{rng.randrange(2, 9)}{rng.randrange(10**7, 10**8)}"
    lines = [f"{epoch}|{uid}|sales|NONE|ENTERQUEUE||{caller}|{rng.randrange(1, 6)}"]
    if rng.random() < 0.2:
        lines.append(f"{epoch + 15}|{uid}|sales|{agent}|RINGNOANSWER|15000")
    if rng.random() < 0.1:
        lines.append(f"{epoch + 40}|{uid}|sales|NONE|ABANDON|1|2|40")
        return lines
    wait, talk = rng.randrange(1, 60), rng.randrange(20, 600)
    lines.append(f"{epoch + wait}|{uid}|sales|{agent}|CONNECT|{wait}|{uid}9|3")
    verb = "COMPLETECALLER" if rng.random() < 0.6 else "COMPLETEAGENT"
    lines.append(f"{epoch + wait + talk}|{uid}|sales|{agent}|{verb}|{wait}|{talk}|1")
    return lines


def generate(path: Path, total: int) -> None:
    rng = random.Random(7)
    written, n, epoch = 0, 0, 1_700_000_000
    with path.open("w") as out:
        while written < total:
            lines = call_lines(rng, epoch, n)[: total - written]
            if n % 50 == 0 and written + len(lines) < total:
                lines.append(f"{epoch}|NONE|sales|PJSIP/{1000 + n % 40}|PAUSE|wrapup")
            out.write("\n".join(lines) + "\n")
            written += len(lines)
            n, epoch = n + 1, epoch + rng.randrange(1, 4)


async def raw_producer(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Seconds for a plain producer to send pre-serialised messages and have them acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def run(total: int, servers: Servers, workdir: Path) -> None:
    namespace = "bench" + uuid.uuid4().hex[:8]
    try:
        await measure(total, servers, workdir, namespace)
    finally:
        await remove_namespaces(servers, [namespace])


async def measure(total: int, servers: Servers, workdir: Path, namespace: str) -> None:
    assert servers.postgres_url is not None
    bootstrap = servers.kafka_bootstrap_servers
    os.environ.update(
        CC_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        CC_POSTGRES_URL=servers.postgres_url,
        CC_NAMESPACE=namespace,
        CC_TOPIC_PARTITIONS=str(PARTITIONS),
    )
    settings = Settings()
    path = workdir / "queue_log"
    started = time.perf_counter()
    generate(path, total)
    print(f"generated {total:,} lines ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    sample = [line.encode() for line in path.read_text().splitlines()[:1000]]
    value = b'{"event_type":"call.answered","payload":"' + b"x" * 250 + b'"}'
    messages = [(sample[i % len(sample)].split(b"|")[1], value) for i in range(total)]
    raw_topic = f"{namespace}.raw-baseline"
    await ensure_topics(bootstrap, [raw_topic], PARTITIONS)
    raw_seconds = await raw_producer(bootstrap, raw_topic, messages)
    del messages
    raw_rate = total / raw_seconds
    print(f"raw aiokafka producer : {total:>9,} messages in {raw_seconds:6.1f} s = "
          f"{raw_rate:>9,.0f} msg/s")  # fmt: skip

    started = time.perf_counter()
    [report] = await import_queue_log_files([path], settings)
    seconds = time.perf_counter() - started
    assert report is not None
    assert report.lines == total, report
    rate = total / seconds
    print(f"telephony-ingest import: {total:>9,} lines    in {seconds:6.1f} s = "
          f"{rate:>9,.0f} lines/s  ({report.published:,} events, {report.ignored} ignored, "
          f"{sum(report.rejected.values())} rejected)")  # fmt: skip
    started = time.perf_counter()
    [again] = await import_queue_log_files([path], settings)
    assert again is not None
    assert again.published == 0
    print(f"re-import of the same file: {again.published} events in "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    print(f"ratio: {rate / raw_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with real_servers() as servers, tempfile.TemporaryDirectory() as workdir:
        asyncio.run(run(args.lines, servers, Path(workdir)))


if __name__ == "__main__":
    main()

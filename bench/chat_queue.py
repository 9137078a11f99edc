"""chat's contact-request queue: requests consumed per second against the raw produce rate,
the live queue over HTTP against its bare SELECT, and accepts per second, in the same run.

    uv run python bench/chat_queue.py [--requests 5000] [--pages 500] [--accepts 1000]

Starts `cc-chat` as its own process (it migrates its schema and consumes contact-requests),
produces `--requests` pre-serialised contact.requested (random priority and strategic level,
expiring in an hour) with a plain aiokafka producer and times until every one is queued in
PostgreSQL. Then, with them all waiting, times `GET /v1/contact-requests?limit=100` one at a
time over one kept-alive connection, and the same page's bare SELECT over asyncpg. Then
`--accepts` accepts, 8 at a time (each a row-locked transaction writing the request, its
outbox event and its audit row), and 200 races of two operators on one request (exactly one
must win each). Prints rates and p50 / p99; ends with `ratio:` = SQL p99 / HTTP p99 of the
queue page (target: HTTP p99 < 100 ms). Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS /
CC_TEST_POSTGRES_URL, or the local stack started as the tests do. The schema and topics are
dropped at the end.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from cc_runtime.settings import schema_name
from cc_schemas import (
    CONTACT_REQUESTS,
    ContactChannel,
    ContactPriority,
    ContactRequested,
    StrategicLevel,
    encode,
    make_event_id,
)
from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces

PAGE_SQL = (
    "SELECT * FROM contact_requests WHERE state = 'waiting' AND expires_at > $1 "
    "ORDER BY priority_rank DESC, strategic_rank DESC NULLS LAST, requested_at, request_id "
    "LIMIT 100"
)


def messages(count: int) -> list[tuple[bytes, bytes]]:
    rng = random.Random(19)
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        event = ContactRequested(
            event_id=make_event_id("bench", n),
            occurred_at=now - timedelta(seconds=rng.randrange(600)),
            source="proactive-engine",
            request_id=f"B-{n}",
            session_id=f"S-{n}",
            rule="abandoned_cart",
            reason="Cart left for 30 minutes",
            priority=rng.choice(list(ContactPriority)),
            strategic_level=rng.choice([None, *StrategicLevel]),
            channel=ContactChannel.CHAT,
            expires_at=now + timedelta(hours=1),
        )
        out.append((event.request_id.encode(), encode(event)))
    return out


async def produce_all(bootstrap: str, topic: str, batch: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all")
    await producer.start()
    try:
        began = time.perf_counter()
        sent = [await producer.send(topic, value, key=key) for key, value in batch]
        await asyncio.gather(*sent)
        return time.perf_counter() - began
    finally:
        await producer.stop()


async def wait_queued(url: str, schema: str, count: int) -> float:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        began = time.perf_counter()
        # Another process fills the table: polled, as there is nothing in this one to await.
        while await connection.fetchval("SELECT count(*) FROM contact_requests") < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return time.perf_counter() - began
    finally:
        await connection.close()


async def sql_pages(url: str, schema: str, pages: int) -> list[float]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        times = []
        for _ in range(pages):
            began = time.perf_counter()
            await connection.fetch(PAGE_SQL, datetime.now(UTC))
            times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        await connection.close()


def http_pages(url: str, issuer: TestIssuer, pages: int) -> list[float]:
    headers = issuer.bearer(["operator"], subject="bench")
    times = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(pages):
            began = time.perf_counter()
            response = client.get("/v1/contact-requests", params={"limit": 100})
            assert response.status_code == 200, response.text
            times.append((time.perf_counter() - began) * 1000)
    return times


async def accepts(url: str, issuer: TestIssuer, ids: list[str]) -> float:
    headers = issuer.bearer(["operator"], subject="bench")
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def accept(request_id: str) -> None:
            async with limit:
                response = await client.post(f"/v1/contact-requests/{request_id}/accept")
                assert response.status_code == 200, response.text

        began = time.perf_counter()
        await asyncio.gather(*(accept(i) for i in ids))
        return time.perf_counter() - began


async def races(url: str, issuer: TestIssuer, ids: list[str]) -> list[list[int]]:
    anna = issuer.bearer(["operator"], subject="anna")
    marco = issuer.bearer(["operator"], subject="marco")
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        answers = []
        for request_id in ids:
            pair = await asyncio.gather(
                client.post(f"/v1/contact-requests/{request_id}/accept", headers=anna),
                client.post(f"/v1/contact-requests/{request_id}/accept", headers=marco),
            )
            answers.append(sorted(a.status_code for a in pair))
        return answers


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--accepts", type=int, default=1000)
    args = parser.parse_args()
    assert args.accepts + 200 <= args.requests, "--requests must cover the accepts and races"
    issuer = TestIssuer()
    batch = messages(args.requests)
    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        assert servers.postgres_url is not None
        namespace = "bench" + str(time.monotonic_ns())[-8:]
        schema = schema_name("chat", namespace)
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            "CC_POSTGRES_URL": servers.postgres_url,
            "CC_NAMESPACE": namespace,
            "CC_LOG_LEVEL": "WARNING",
            **issuer.env(),
        }
        try:
            (port,) = free_ports(1)
            with service_process("chat", port, env, Path(logs)) as chat:
                topic = f"{namespace}.{CONTACT_REQUESTS}"
                produced = asyncio.run(produce_all(servers.kafka_bootstrap_servers, topic, batch))
                queued = asyncio.run(wait_queued(servers.postgres_url, schema, args.requests))
                sql = asyncio.run(sql_pages(servers.postgres_url, schema, args.pages))
                http = http_pages(chat.url, issuer, args.pages)
                ids = [f"B-{n}" for n in range(args.accepts + 200)]
                accepted = asyncio.run(accepts(chat.url, issuer, ids[: args.accepts]))
                raced = asyncio.run(races(chat.url, issuer, ids[args.accepts :]))
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    sql_p50, sql_p99 = percentiles(sql)
    http_p50, http_p99 = percentiles(http)
    print(f"produced {args.requests:,} requests in {produced:.2f} s (raw)")
    print(
        f"queued {args.requests:,} requests {queued:.2f} s after the last was sent "
        f"(from the first send: {args.requests / (produced + queued):,.0f} requests/s)"
    )
    print(f"raw SQL queue page of 100 ({len(sql)}): p50 {sql_p50:.2f} ms, p99 {sql_p99:.2f} ms")
    print(
        f"HTTP queue page of 100 ({len(http)}): p50 {http_p50:.2f} ms, p99 {http_p99:.2f} ms "
        "(target p99 < 100 ms)"
    )
    print(f"{args.accepts:,} accepts, 8 at a time: {args.accepts / accepted:,.0f} accepts/s")
    wins = sum(pair == [200, 409] for pair in raced)
    print(f"races of two operators on one request: {wins} of {len(raced)} with one winner")
    assert wins == len(raced), raced
    print(f"ratio: {sql_p99 / http_p99:.2f}")


if __name__ == "__main__":
    main()

"""Signed webhook throughput and latency of telephony-ingest, run as its own process on the real
broker and database, next to the same server's no-op `/healthz` under the same load in the same
run (the HTTP floor: what the server costs before validation, signature, replay check and publish).

    uv run python bench/telephony_ingest_webhook.py [--requests 5000] [--concurrency 16]

Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_MONGO_URL when set, else the harness starts
its own (cc_testing.real_servers). Ends with `ratio: X.XX` = webhook events/s / /healthz req/s.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from cc_testing import free_ports, real_servers, service_environment, service_process
from telephony_ingest.signing import sign

SECRET = "bench-webhook-secret"


def call_offered(n: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{n}",
            "event_type": "call.offered",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "pbx-webhook",
            "call_id": f"1700000000.{n}",
            "queue": "sales",
            "caller": {"number_raw": "+39 02 1234 5678"},
            "position": 1,
        }
    ).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "content-type": "application/json",
        "x-timestamp": str(timestamp),
        "x-signature": sign(SECRET, timestamp, body),
    }


async def load(
    requests: int, concurrency: int, send: Callable[[int], Awaitable[httpx.Response]]
) -> tuple[float, list[float]]:
    """Send `requests` requests from `concurrency` workers; wall seconds and each latency."""
    latencies: list[float] = []
    counter = iter(range(requests))

    async def worker() -> None:
        for n in counter:
            started = time.perf_counter()
            response = await send(n)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                raise RuntimeError(f"request {n}: {response.status_code} {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def report(name: str, count: int, seconds: float, latencies: list[float]) -> float:
    rate = count / seconds
    print(
        f"{name:<24} {rate:>9,.0f} /s   p50 {percentile(latencies, 50) * 1000:6.1f} ms"
        f"   p99 {percentile(latencies, 99) * 1000:6.1f} ms"
    )
    return rate


async def measure(url: str, requests: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await load(200, concurrency, lambda n: client.get("/healthz"))  # warm-up

        async def healthz(n: int) -> httpx.Response:
            return await client.get("/healthz")

        async def webhook(n: int) -> httpx.Response:
            body = call_offered(n)
            return await client.post("/v1/call-events", content=body, headers=signed_headers(body))

        floor = report("/healthz (baseline)", requests, *await load(requests, concurrency, healthz))
        events = report("signed webhook", requests, *await load(requests, concurrency, webhook))
    return events / floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        env = service_environment(servers, "bench_webhook_" + uuid.uuid4().hex[:8])
        env |= {"TELEPHONY_INGEST_WEBHOOK_SECRET": SECRET, "CC_LOG_LEVEL": "WARNING"}
        (port,) = free_ports(1)
        with service_process("telephony-ingest", port, env, Path(logs)) as service:
            print(f"{args.requests} requests, {args.concurrency} concurrent, on {servers.origin}")
            ratio = asyncio.run(measure(service.url, args.requests, args.concurrency))
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()

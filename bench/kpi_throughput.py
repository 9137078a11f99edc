"""kpi throughput: call events through the real broker into a running kpi process, next to the
plain reference computation over the same events in memory, in the same run; then the latency of
a one-year report query (checked equal to the reference).

    uv run python bench/kpi_throughput.py [--events 1000000]

Uses the servers in CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_MONGO_URL, else starts its own
(cc_testing). The events are published first; kpi's time runs from its readiness to the last
distinct event stored (draining a backlog, the CPU not shared with the publisher). Its database
and topics are deleted at the end.
Ends with `ratio: X.XX` = kpi events/s / reference events/s.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaProducer

from cc_runtime import ensure_topics
from cc_schemas import encode
from cc_testing import free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces
from kpi_oracle import reference
from kpi_oracle.simulation import Message, iter_call_stream

ROME = ZoneInfo("Europe/Rome")
YEAR = (date(2025, 1, 1), date(2026, 1, 1))
PARTITIONS = 6  # the platform's default
EVENTS_PER_CALL = 2.7  # offered + outcome events, + 5 % duplicates, as the simulation makes them


async def publish(bootstrap: str, topic: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, max_batch_size=1 << 20)
    await producer.start()
    try:
        pending = []
        for _, key, event in messages:
            pending.append(await producer.send(topic, encode(event), key=key.encode()))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def stored(url: str) -> float:
    lines = httpx.get(f"{url}/metrics", timeout=30).text.splitlines()
    return sum(float(x.split()[-1]) for x in lines if x.startswith("kpi_events_total{"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    messages = list(iter_call_stream(7, round(args.events / EVENTS_PER_CALL), start, 365))
    events = [event for _, _, event in messages]
    unique = len({e.event_id for e in events})
    print(f"generated {len(messages)} call events ({unique} distinct) over one year")

    began = time.perf_counter()
    expected = reference.call_kpis(events, ROME, *YEAR, ("month", "queue"))
    reference_seconds = time.perf_counter() - began
    reference_rate = len(events) / reference_seconds
    print(f"reference in memory: {reference_seconds:.2f} s, {reference_rate:,.0f} events/s")

    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        namespace = "bench" + str(time.monotonic_ns())[-8:]
        bootstrap, topic = servers.kafka_bootstrap_servers, f"{namespace}.call-events"
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "CC_MONGO_URL": servers.mongo_url,
            "CC_NAMESPACE": namespace,
            "CC_TOPIC_PARTITIONS": str(PARTITIONS),
        }
        try:
            asyncio.run(ensure_topics(bootstrap, [topic, f"{topic}.dlq"], PARTITIONS))
            began = time.perf_counter()
            asyncio.run(publish(bootstrap, topic, messages))
            print(f"published in {time.perf_counter() - began:.1f} s, before kpi starts")
            (port,) = free_ports(1)
            with service_process("kpi", port, env, Path(logs)) as kpi:
                began = time.perf_counter()
                while (done := stored(kpi.url)) < unique:
                    time.sleep(1)
                    elapsed = time.perf_counter() - began
                    print(f"  {done:,.0f}/{unique:,} after {elapsed:.0f} s", end="\r", flush=True)
                service_seconds = time.perf_counter() - began
                service_rate = len(events) / service_seconds
                print(f"\nkpi through the broker: {service_seconds:.1f} s, ", end="")
                print(f"{service_rate:,.0f} events/s")

                params = {
                    "from": YEAR[0].isoformat(),
                    "to": YEAR[1].isoformat(),
                    "group_by": "month,queue",
                }
                latencies = []
                for _ in range(5):
                    began = time.perf_counter()
                    rows = httpx.get(
                        f"{kpi.url}/v1/reports/calls", params=params, timeout=60
                    ).json()
                    latencies.append(time.perf_counter() - began)
                picked = [{k: r[k] for k in e} for r, e in zip(rows, expected, strict=True)]
                print(
                    f"one-year report (month x queue, {len(rows)} rows): median "
                    f"{statistics.median(latencies) * 1000:.1f} ms; equals the reference: "
                    f"{picked == expected}"
                )
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    print(f"kpi / reference: {service_rate / reference_rate:.4f}")
    print(f"ratio: {service_rate / reference_rate:.2f}")


if __name__ == "__main__":
    main()

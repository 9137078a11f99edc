"""kpi throughput: call events through the real broker into a running kpi process on
PostgreSQL, next to two baselines measured in the same run: a raw consumer that only parses the
events and COPYs them into PostgreSQL, and the plain reference computation in memory; then the
latency of a one-year report (checked equal to the reference) and kpi's start-up time on the
stored events (the run is the million-row seed: `--events 1051000` stores about 1,000,000
distinct events).

    uv run python bench/kpi_throughput.py [--events 1051000] [--reports 100]

Uses the servers in CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, else starts its own
(cc_testing). The events are published first; each consumer's time runs from its start to the
last event read (raw) or distinct event stored (kpi): both drain the same backlog, the CPU not
shared with the publisher; the raw consumer runs once before kpi and once after, and its rate
is the mean of the two (this shared machine's speed drifts over minutes). The run's schemas and
topics are deleted at the end.
Prints kpi / in-memory reference, and ends with `ratio: X.XX` = kpi events/s / raw events/s.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from cc_runtime import ensure_topics
from cc_schemas import CALL_EVENTS, Event, encode, parser
from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces
from kpi_oracle import reference
from kpi_oracle.simulation import Message, iter_call_stream

ROME = ZoneInfo("Europe/Rome")
YEAR = (date(2025, 1, 1), date(2026, 1, 1))
PARTITIONS = 6  # the platform's default
EVENTS_PER_CALL = 2.7  # offered + outcome events, + 5 % duplicates, as the simulation makes them
BATCH = 2000  # records per poll, as kpi's KPI_BATCH_MAX_RECORDS
ISSUER = TestIssuer()  # kpi trusts its key; the reports take a supervisor's token
RAW_TABLE = """
CREATE TABLE events (event_id text NOT NULL, topic text NOT NULL, event_type text NOT NULL,
                     occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL,
                     body jsonb NOT NULL)
"""


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


async def raw_consume(bootstrap: str, topic: str, postgres_url: str, schema: str, n: int) -> float:
    """Read the topic from the start, parse each record by the contract and COPY each batch
    into a table like kpi's (no index, no deduplication); seconds until all n are copied."""
    parse = parser(CALL_EVENTS)
    connection = await asyncpg.connect(postgres_url)
    await connection.execute(f'CREATE SCHEMA "{schema}"; SET search_path = "{schema}"')
    await connection.execute(RAW_TABLE)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{schema}-raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=BATCH,
    )
    began = time.perf_counter()
    await consumer.start()
    try:
        copied = 0
        while copied < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            for records in batches.values():
                now = datetime.now(UTC)
                rows = []
                for record in records:
                    event = parse(record.value)
                    body = record.value.decode()
                    rows.append(
                        (
                            event.event_id,
                            CALL_EVENTS,
                            event.event_type,
                            event.occurred_at,
                            now,
                            body,
                        )
                    )
                await connection.copy_records_to_table("events", records=rows)
                copied += len(rows)
                await consumer.commit()
        return time.perf_counter() - began
    finally:
        await consumer.stop()
        await connection.close()


def raw_pass(
    postgres_url: str, bootstrap: str, topic: str, namespace: str, n: int, events: list[Event]
) -> float:
    """One pass of the raw consumer in a group and schema of its own; its events/s."""
    schema = f"{namespace}_raw{n}"
    seconds = asyncio.run(raw_consume(bootstrap, topic, postgres_url, schema, len(events)))
    rate = len(events) / seconds
    print(f"raw consumer (parse + COPY), pass {n}: {seconds:.1f} s, {rate:,.0f} events/s")
    return rate


def stored(url: str) -> float:
    lines = httpx.get(f"{url}/metrics", timeout=30).text.splitlines()
    return sum(float(x.split()[-1]) for x in lines if x.startswith("kpi_events_total{"))


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--events", type=int, default=1_051_000)
    arguments.add_argument("--reports", type=int, default=100, help="year reports timed")
    args = arguments.parse_args()
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
        assert servers.postgres_url is not None
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "CC_POSTGRES_URL": servers.postgres_url,
            "CC_NAMESPACE": namespace,
            "CC_TOPIC_PARTITIONS": str(PARTITIONS),
            **ISSUER.env(),
        }
        try:
            asyncio.run(ensure_topics(bootstrap, [topic, f"{topic}.dlq"], PARTITIONS))
            began = time.perf_counter()
            asyncio.run(publish(bootstrap, topic, messages))
            print(f"published in {time.perf_counter() - began:.1f} s, before the consumers start")

            raw_rates = [raw_pass(servers.postgres_url, bootstrap, topic, namespace, 1, events)]

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

            raw_rates.append(raw_pass(servers.postgres_url, bootstrap, topic, namespace, 2, events))
            raw_rate = statistics.mean(raw_rates)
            print(f"raw consumer, the mean of a pass before kpi and one after: {raw_rate:,.0f}")

            empty = {**env, "CC_NAMESPACE": f"{namespace}e"}
            (Path(logs) / "empty").mkdir()
            began = time.perf_counter()
            with service_process("kpi", port, empty, Path(logs) / "empty"):
                fixed = time.perf_counter() - began
            began = time.perf_counter()
            with service_process("kpi", port, env, Path(logs)) as kpi:
                startup = time.perf_counter() - began
                print(
                    f"kpi start-up to ready: {startup:.2f} s on {unique:,} stored events, "
                    f"{fixed:.2f} s on none (the process's imports and its Kafka group joins)"
                )
                year_report(kpi.url, expected, args.reports)
        finally:
            asyncio.run(remove_namespaces(servers, [namespace, f"{namespace}e"]))
    print(f"kpi / in-memory reference: {service_rate / reference_rate:.4f}")
    print(f"kpi / raw parse + COPY: {service_rate / raw_rate:.4f}")
    print(f"ratio: {service_rate / raw_rate:.2f}")


def year_report(url: str, expected: list[dict[str, object]], times: int) -> None:
    """Time the one-year report (month x queue) `times` times; check it equals the reference."""
    params = {"from": YEAR[0].isoformat(), "to": YEAR[1].isoformat(), "group_by": "month,queue"}
    latencies = []
    with httpx.Client(timeout=60, headers=ISSUER.bearer(["supervisor"])) as client:
        for _ in range(times):
            began = time.perf_counter()
            response = client.get(f"{url}/v1/reports/calls", params=params)
            rows = response.raise_for_status().json()
            latencies.append(time.perf_counter() - began)
    picked = [{k: r[k] for k in e} for r, e in zip(rows, expected, strict=True)]
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"one-year report (month x queue, {len(rows)} rows, {times} times): "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; "
        f"equals the reference: {picked == expected}"
    )


if __name__ == "__main__":
    main()

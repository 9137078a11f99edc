"""crm's caller recognition at 1,000,000 customers: HTTP identify against a raw indexed SQL
lookup on the same database, in the same run.

    uv run python bench/crm_identify.py [--customers 1000000] [--lookups 5000]

Starts `cc-crm` as its own process (it migrates its schema), seeds the customers with COPY
(one phone each, Italian mobiles; 1 in 100 numbers shared by two customers, as households
are; an e-mail each), ANALYZEs, then times, one request at a time over one kept-alive
connection, `GET /v1/identify?phone=...` for numbers of which 90 % are known (ambiguous ones
among them) and 10 % unknown, written in national form (the service normalises them), and the
same numbers' bare `SELECT customer_id FROM customer_phones WHERE e164 = $1` over asyncpg. The
HTTP path also verifies the token, ranks the candidates and reads their summary (orders, claims,
contacts, duplicates). Prints p50 / p99 of both; ends with `ratio:` = SQL p99 / HTTP p99 (the
share of an identify that is the lookup itself; the target is HTTP p99 < 10 ms).
Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, or the
local stack started as the tests do. The schema and topics are dropped at the end.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from cc_runtime.settings import schema_name
from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces

SHARED_EVERY = 100  # one number in 100 is also another customer's


def mobile(n: int) -> str:
    """The n-th customer's national mobile number: 3 followed by nine digits, all valid."""
    return f"3{20 + n % 70}{n // 70:07d}"


def copy_rows(count: int) -> tuple[list[tuple[object, ...]], ...]:
    now = datetime.now(UTC)
    customers, phones, emails = [], [], []
    for n in range(count):
        customer_id = f"C{n:07d}"
        national = mobile(n if n % SHARED_EVERY else n + 1)  # shared with the next customer
        customers.append((customer_id, f"Name{n}", "it", "none", "{}", "bench", now))
        phones.append((customer_id, "+39" + national, national, national, 0))
        emails.append((customer_id, f"customer{n}@example{n % 50}.it", f"c{n}@x.it", 0))
    return customers, phones, emails


async def seed(url: str, schema: str, count: int) -> None:
    customers, phones, emails = copy_rows(count)
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.copy_records_to_table(
            "customers",
            records=customers,
            columns=[
                "customer_id",
                "first_name",
                "language",
                "loyalty_tier",
                "profile",
                "source",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "customer_phones",
            records=phones,
            columns=["customer_id", "e164", "national", "raw", "position"],
        )
        await connection.copy_records_to_table(
            "customer_emails",
            records=emails,
            columns=["customer_id", "address", "raw", "position"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def numbers(count: int, lookups: int) -> list[str]:
    rng = random.Random(7)
    known = [mobile(rng.randrange(count)) for _ in range(lookups * 9 // 10)]
    unknown = [f"39{rng.randrange(10**8):08d}" for _ in range(lookups - len(known))]
    mixed = known + unknown
    rng.shuffle(mixed)
    return mixed


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def http_latencies(url: str, token: str, national: list[str]) -> list[float]:
    latencies = []
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for number in national[:200]:  # warm the pool, the caches and the planner
            client.get("/v1/identify", params={"phone": number}).raise_for_status()
        for number in national:
            began = time.perf_counter()
            client.get("/v1/identify", params={"phone": number}).raise_for_status()
            latencies.append(time.perf_counter() - began)
    return latencies


async def sql_latencies(url: str, schema: str, national: list[str]) -> list[float]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    query = "SELECT customer_id FROM customer_phones WHERE e164 = $1"
    latencies = []
    try:
        for number in national[:200]:
            await connection.fetch(query, "+39" + number)
        for number in national:
            began = time.perf_counter()
            await connection.fetch(query, "+39" + number)
            latencies.append(time.perf_counter() - began)
    finally:
        await connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=5000)
    args = parser.parse_args()
    issuer = TestIssuer()
    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        assert servers.postgres_url is not None
        namespace = "bench" + str(time.monotonic_ns())[-8:]
        schema = schema_name("crm", namespace)
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            "CC_POSTGRES_URL": servers.postgres_url,
            "CC_NAMESPACE": namespace,
            "CC_LOG_LEVEL": "WARNING",
            **issuer.env(),
        }
        try:
            (port,) = free_ports(1)
            with service_process("crm", port, env, Path(logs)) as crm:
                began = time.perf_counter()
                asyncio.run(seed(servers.postgres_url, schema, args.customers))
                print(
                    f"seeded {args.customers:,} customers with COPY in "
                    f"{time.perf_counter() - began:.1f} s"
                )
                national = numbers(args.customers, args.lookups)
                sql = asyncio.run(sql_latencies(servers.postgres_url, schema, national))
                http = http_latencies(crm.url, issuer.token(["operator"]), national)
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    sql_p50, sql_p99 = percentiles(sql)
    http_p50, http_p99 = percentiles(http)
    print(f"raw SQL lookup ({len(sql)}): p50 {sql_p50:.2f} ms, p99 {sql_p99:.2f} ms")
    print(
        f"HTTP identify ({len(http)}): p50 {http_p50:.2f} ms, p99 {http_p99:.2f} ms "
        f"(target p99 < 10 ms)"
    )
    print(f"ratio: {sql_p99 / http_p99:.2f}")


if __name__ == "__main__":
    main()

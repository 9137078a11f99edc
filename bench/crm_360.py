"""crm's customer 360 for a customer with 200 contacts, 30 orders and 10 cases, among 100,000
other customers with their own contacts: HTTP against the raw SQL of its biggest read (the
first page of contacts) on the same database, in the same run.

    uv run python bench/crm_360.py [--customers 100000] [--heavy 50] [--reads 2000]

Starts `cc-crm` as its own process (it migrates its schema), seeds with COPY: `--customers`
customers with 2 calls each, and `--heavy` customers with 200 contacts (calls and chats over a
year), 30 orders (half in progress) and 10 cases (5 open) holding 40 of those contacts;
ANALYZEs; then times, one request at a time over one kept-alive connection,
`GET /v1/customers/{id}?limit=20` for random heavy customers (profile, strategic level and its
reason from orders, claims and contacts, duplicates, orders in progress, open cases, the first
page of contacts), and the bare contacts page SQL for the same customers over asyncpg. Prints
p50 / p99 of both; ends with `ratio:` = SQL p99 / HTTP p99 (target: HTTP p99 < 50 ms).
Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, or the local stack started
as the tests do. The schema and topics are dropped at the end.
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

from cc_runtime.settings import schema_name
from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces

CONTACTS, ORDERS, CASES, OPEN_CASES, CASE_CONTACTS = 200, 30, 10, 5, 4
STATUSES = ("placed", "shipped", "delayed", "delivered", "returned", "cancelled")
CONTACTS_PAGE = """
    SELECT contact_id, channel, direction, level, presented, queue, agent, started_at,
           answered_at, first_response_at, ended_at, wait_seconds, talk_seconds, outcome,
           resolved, reason, notes, order_id, product, case_id, version, linked_by
    FROM contacts
    WHERE customer_id = $1 AND (started_at, contact_id) < ($2, $3)
    ORDER BY started_at DESC, contact_id DESC
    LIMIT 21
"""


class Rows:
    """The COPY rows of every table, by table."""

    def __init__(self) -> None:
        self.customers: list[tuple[object, ...]] = []
        self.contacts: list[tuple[object, ...]] = []
        self.orders: list[tuple[object, ...]] = []
        self.cases: list[tuple[object, ...]] = []


def customer(rows: Rows, customer_id: str, now: datetime) -> None:
    rows.customers.append((customer_id, f"Name {customer_id}", "it", "none", "{}", "bench", now))


def contact(rows: Rows, n: str, customer_id: str, at: datetime, case_id: str | None) -> None:
    channel = "chat" if hash(n) % 4 == 0 else "phone"
    rows.contacts.append(
        (n, channel, customer_id, "known", "support", at, at + timedelta(minutes=4), case_id)
    )


def heavy(rows: Rows, rng: random.Random, customer_id: str, now: datetime) -> None:
    customer(rows, customer_id, now)
    moments = sorted(now - timedelta(minutes=rng.randrange(525_600)) for _ in range(CONTACTS))
    for c in range(CASES):
        state = "open" if c < OPEN_CASES else "resolved"
        last = moments[-1 - c * CASE_CONTACTS]
        rows.cases.append(
            (f"{customer_id}-K{c}", customer_id, f"Case {c}", state, last, "op", last, last)
        )
    for n, at in enumerate(moments):
        in_case = n // CASE_CONTACTS if n < CASES * CASE_CONTACTS else None
        case_id = f"{customer_id}-K{in_case}" if in_case is not None else None
        contact(rows, f"{customer_id}-c{n}", customer_id, at, case_id)
    for o in range(ORDERS):
        placed = now - timedelta(days=rng.randrange(365))
        status = STATUSES[o % len(STATUSES)]
        rows.orders.append(
            (f"{customer_id}-O{o}", customer_id, status, placed, placed, 4990, "EUR")
        )


def seed_rows(count: int, heavies: list[str]) -> Rows:
    rng, now, rows = random.Random(7), datetime.now(UTC), Rows()
    for n in range(count):
        customer_id = f"C{n:07d}"
        customer(rows, customer_id, now)
        for k in range(2):
            at = now - timedelta(minutes=rng.randrange(525_600))
            contact(rows, f"{customer_id}-c{k}", customer_id, at, None)
    for customer_id in heavies:
        heavy(rows, rng, customer_id, now)
    return rows


async def seed(url: str, schema: str, rows: Rows) -> None:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        copies = {
            "customers": (
                rows.customers,
                [
                    "customer_id",
                    "first_name",
                    "language",
                    "loyalty_tier",
                    "profile",
                    "source",
                    "updated_at",
                ],
            ),
            "cases": (
                rows.cases,
                [
                    "case_id",
                    "customer_id",
                    "title",
                    "state",
                    "opened_at",
                    "opened_by",
                    "last_contact_at",
                    "ended_at",
                ],
            ),
            "contacts": (
                rows.contacts,
                [
                    "contact_id",
                    "channel",
                    "customer_id",
                    "level",
                    "queue",
                    "started_at",
                    "ended_at",
                    "case_id",
                ],
            ),
            "orders": (
                rows.orders,
                [
                    "order_id",
                    "customer_id",
                    "status",
                    "status_at",
                    "placed_at",
                    "total_cents",
                    "currency",
                ],
            ),
        }
        for table, (records, columns) in copies.items():
            await connection.copy_records_to_table(table, records=records, columns=columns)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def http_latencies(url: str, token: str, reads: list[str]) -> list[float]:
    latencies = []
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for customer_id in reads[:100]:  # warm the pool, the caches and the planner
            check(client.get(f"/v1/customers/{customer_id}", params={"limit": 20}))
        for customer_id in reads:
            began = time.perf_counter()
            answer = client.get(f"/v1/customers/{customer_id}", params={"limit": 20})
            latencies.append(time.perf_counter() - began)
            check(answer)
    return latencies


def check(answer: httpx.Response) -> None:
    answer.raise_for_status()
    body = answer.json()
    shown = (len(body["contacts"]["contacts"]), len(body["open_cases"]))
    if shown != (20, OPEN_CASES):
        raise SystemExit(f"the 360 shows {shown} contacts and open cases, not (20, {OPEN_CASES})")


async def sql_latencies(url: str, schema: str, reads: list[str]) -> list[float]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    first_page = (datetime.max.replace(tzinfo=UTC), "")
    latencies = []
    try:
        for customer_id in reads[:100]:
            await connection.fetch(CONTACTS_PAGE, customer_id, *first_page)
        for customer_id in reads:
            began = time.perf_counter()
            await connection.fetch(CONTACTS_PAGE, customer_id, *first_page)
            latencies.append(time.perf_counter() - began)
    finally:
        await connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=50)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    issuer = TestIssuer()
    heavies = [f"H{n:04d}" for n in range(args.heavy)]
    rng = random.Random(11)
    reads = [rng.choice(heavies) for _ in range(args.reads)]
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
                rows = seed_rows(args.customers, heavies)
                asyncio.run(seed(servers.postgres_url, schema, rows))
                print(
                    f"seeded {len(rows.customers):,} customers, {len(rows.contacts):,} "
                    f"contacts, {len(rows.orders):,} orders, {len(rows.cases):,} cases with "
                    f"COPY in {time.perf_counter() - began:.1f} s"
                )
                sql = asyncio.run(sql_latencies(servers.postgres_url, schema, reads))
                http = http_latencies(crm.url, issuer.token(["operator"]), reads)
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    sql_p50, sql_p99 = percentiles(sql)
    http_p50, http_p99 = percentiles(http)
    print(f"raw SQL contacts page ({len(sql)}): p50 {sql_p50:.2f} ms, p99 {sql_p99:.2f} ms")
    print(
        f"HTTP customer 360 ({len(http)}): p50 {http_p50:.2f} ms, p99 {http_p99:.2f} ms "
        f"(target p99 < 50 ms)"
    )
    print(f"ratio: {sql_p99 / http_p99:.2f}")


if __name__ == "__main__":
    main()

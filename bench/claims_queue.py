"""claims at 1,000,000 tickets: the queue views over HTTP against the same pages read by raw
SQL, and ticket commands per second against bare version-checked updates, in the same run.

    uv run python bench/claims_queue.py [--tickets 1000000] [--pages 2000] [--commands 1000]

Starts `cc-claims` as its own process (it migrates its schema), seeds the tickets with COPY
(ids B-n, apart from the service's T-n; 30 % live, the rest closed; five teams, 200 people, 1
live ticket in 10 unassigned, SLA deadlines spread over the next ten days, one stint each),
ANALYZEs, then times, one request at
a time over one kept-alive connection, `GET /v1/tickets` pages of 50 for a random view (mine,
a team's, unassigned, pending, all; one in four the page after a cursor), and the same pages'
bare `SELECT` over asyncpg. Then it times ticket commands (assign back and forth, each with its
If-Match, its timeline, SLA recomputation and outbox row) against bare
`UPDATE ... WHERE version = $n` transactions. Prints p50 / p99 and rates; ends with `ratio:` =
SQL p99 / HTTP p99 of the queue (the target is HTTP p99 < 100 ms). Servers:
CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, or the local stack started as the tests
do. The schema and topics are dropped at the end.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from cc_runtime.settings import schema_name
from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces
from claims.repository import QUEUE_ORDER

TEAMS = (
    ("contact_centre", 60),
    ("marketing", 15),
    ("logistics", 10),
    ("quality", 10),
    ("supplier", 5),
)
PEOPLE = 200
PRIORITIES = (("low", 0, 20), ("normal", 1, 55), ("high", 2, 20), ("urgent", 3, 5))
LIVE_STATES = ("open", "open", "open", "pending_customer", "pending_team", "pending_supplier")
COLUMNS = [
    "ticket_id", "version", "state", "customer_id", "channel", "cluster", "priority",
    "priority_rank", "subject", "description", "tags", "opened_at", "opened_by", "assignee",
    "team", "resolution", "closed_at", "sla_policy", "sla_due_at", "sla_check_at",
]  # fmt: skip


def person(team: str, n: int) -> str:
    return f"{team}-{n % (PEOPLE // len(TEAMS)):02d}"


def rows(count: int, now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(7)
    tickets, stints = [], []
    for n in range(count):
        team = rng.choices([t for t, _ in TEAMS], [w for _, w in TEAMS])[0]
        priority, rank, _ = rng.choices(PRIORITIES, [w for *_, w in PRIORITIES])[0]
        opened = now - timedelta(minutes=rng.randrange(60 * 24 * 365))
        live = rng.random() < 0.3
        holder = None if live and rng.random() < 0.1 else person(team, n)
        due = now + timedelta(minutes=rng.randrange(-60 * 24, 60 * 24 * 10)) if live else None
        tickets.append((
            f"B-{n}", 3, rng.choice(LIVE_STATES) if live else "closed", f"C{n % 300_000:07d}",
            "phone", "return", priority, rank, "Wheel broke off", "", [], opened, "op",
            holder, team, None if live else "resolved",
            None if live else opened + timedelta(days=2), "default", due, due,
        ))  # fmt: skip
        if holder is not None:
            stints.append((f"B-{n}", 0, holder, team, opened, None if live else opened, "op"))
    return tickets, stints


async def seed(url: str, schema: str, count: int) -> None:
    tickets, stints = rows(count, datetime.now(UTC))
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.copy_records_to_table("tickets", records=tickets, columns=COLUMNS)
        await connection.copy_records_to_table(
            "ticket_stints",
            records=stints,
            columns=[
                "ticket_id",
                "position",
                "person",
                "team",
                "started_at",
                "ended_at",
                "assigned_by",
            ],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def views(pages: int) -> list[dict[str, str]]:
    rng = random.Random(11)
    chosen = []
    for _ in range(pages):
        team = rng.choices([t for t, _ in TEAMS], [w for _, w in TEAMS])[0]
        view = rng.choice(["mine", "team", "unassigned", "pending", "all"])
        params = {"view": view, "limit": "50"}
        if view in ("team", "unassigned", "pending"):
            params["team"] = team
        if view == "mine":
            params["as"] = person(team, rng.randrange(PEOPLE))
        chosen.append(params)
    return chosen


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def http_queue(url: str, issuer: TestIssuer, chosen: list[dict[str, str]]) -> list[float]:
    tokens = {p["as"]: issuer.token(["operator"], subject=p["as"]) for p in chosen if "as" in p}
    team_token = issuer.token(["operator"], subject="sup")
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for n, params in enumerate([*chosen[:100], *chosen]):  # the first 100 warm up
            query = {k: v for k, v in params.items() if k != "as"}
            token = tokens.get(params.get("as", ""), team_token)
            headers = {"authorization": f"Bearer {token}"}
            began = time.perf_counter()
            page = client.get("/v1/tickets", params=query, headers=headers)
            page.raise_for_status()
            cursor = page.json()["next_cursor"]
            if n % 4 == 0 and cursor:  # one in four reads on
                client.get("/v1/tickets", params=query | {"cursor": cursor}, headers=headers)
            if n >= 100:
                latencies.append(time.perf_counter() - began)
    return latencies


async def sql_queue(url: str, schema: str, chosen: list[dict[str, str]]) -> list[float]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    live = "state NOT IN ('closed', 'merged')"
    latencies = []
    try:
        for n, params in enumerate([*chosen[:100], *chosen]):
            view = params["view"]
            where, args = [live], []
            if "team" in params:
                args.append(params["team"])
                where.append(f"team = ${len(args)}")
            if view == "mine":
                args.append(params["as"])
                where.append(f"assignee = ${len(args)}")
            if view == "unassigned":
                where.append("assignee IS NULL")
            if view == "pending":
                where.append("state LIKE 'pending%'")
            sql = (
                f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY {QUEUE_ORDER} LIMIT 50"  # noqa: S608
            )
            began = time.perf_counter()
            await connection.fetch(sql, *args)
            if n >= 100:
                latencies.append(time.perf_counter() - began)
    finally:
        await connection.close()
    return latencies


def http_commands(url: str, issuer: TestIssuer, count: int) -> float:
    """Commands per second: tickets opened, then handed between two people `count` times."""
    headers = {"authorization": f"Bearer {issuer.token(['operator'], subject='anna')}"}
    claim = {"customer_id": "C1", "channel": "phone", "cluster": "return", "subject": "bench"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        tickets = [client.post("/v1/tickets", json=claim).json() for _ in range(20)]
        began = time.perf_counter()
        for n in range(count):
            ticket = tickets[n % len(tickets)]
            held_by_marco = (ticket["responsible"] or {}).get("person") == "marco"
            to = {"person": "anna" if held_by_marco else "marco", "team": "marketing"}
            answer = client.post(
                f"/v1/tickets/{ticket['ticket_id']}/assign",
                json=to,
                headers={"if-match": f'"{ticket["version"]}"'},
            )
            answer.raise_for_status()
            tickets[n % len(tickets)] = answer.json()
        return count / (time.perf_counter() - began)


async def sql_commands(url: str, schema: str, count: int) -> float:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        began = time.perf_counter()
        for n in range(count):
            async with connection.transaction():
                version = await connection.fetchval(
                    "SELECT version FROM tickets WHERE ticket_id = $1", f"B-{n}"
                )
                await connection.execute(
                    "UPDATE tickets SET version = $2 + 1 WHERE ticket_id = $1 AND version = $2",
                    f"B-{n}",
                    version,
                )
        return count / (time.perf_counter() - began)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--commands", type=int, default=1000)
    args = parser.parse_args()
    issuer = TestIssuer()
    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        assert servers.postgres_url is not None
        namespace = "bench" + str(time.monotonic_ns())[-8:]
        schema = schema_name("claims", namespace)
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            "CC_POSTGRES_URL": servers.postgres_url,
            "CC_NAMESPACE": namespace,
            "CC_LOG_LEVEL": "WARNING",
            **issuer.env(),
        }
        try:
            (port,) = free_ports(1)
            with service_process("claims", port, env, Path(logs)) as claims:
                began = time.perf_counter()
                asyncio.run(seed(servers.postgres_url, schema, args.tickets))
                seconds = time.perf_counter() - began
                print(f"seeded {args.tickets:,} tickets with COPY in {seconds:.1f} s")
                chosen = views(args.pages)
                sql = asyncio.run(sql_queue(servers.postgres_url, schema, chosen))
                http = http_queue(claims.url, issuer, chosen)
                sql_rate = asyncio.run(sql_commands(servers.postgres_url, schema, args.commands))
                http_rate = http_commands(claims.url, issuer, args.commands)
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    sql_p50, sql_p99 = percentiles(sql)
    http_p50, http_p99 = percentiles(http)
    print(f"raw SQL queue page ({len(sql)}): p50 {sql_p50:.2f} ms, p99 {sql_p99:.2f} ms")
    print(
        f"HTTP queue page ({len(http)}): p50 {http_p50:.2f} ms, p99 {http_p99:.2f} ms "
        "(target p99 < 100 ms)"
    )
    print(
        f"commands: {http_rate:,.0f}/s over HTTP (If-Match, timeline, SLA, outbox) against "
        f"{sql_rate:,.0f}/s bare version-checked updates ({http_rate / sql_rate:.2f})"
    )
    print(f"ratio: {sql_p99 / http_p99:.2f}")


if __name__ == "__main__":
    main()

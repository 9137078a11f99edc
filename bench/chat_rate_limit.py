"""chat's customer-side rate limit: what its PostgreSQL token bucket costs a customer's message,
against an operator's message (the same transaction, no bucket) in the same run.

    uv run python bench/chat_rate_limit.py [--chats 20] [--messages 25]

Starts `cc-chat` as its own process (rate limits set wide enough never to refuse), opens
`--chats` customer chats an operator joins, then sends `--messages` per chat and side, all
chats at once over HTTP, in two halves alternating the sides (after a short warm-up): as the
operator (baseline: the message's row-locked transaction and its outbox event) and as the
customers (the same, after the chat's bucket is taken under its row lock in a transaction of
its own). Prints rates and p50 / p99 of each; ends with `ratio:` =
customer p50 / operator p50 (target: the bucket adds less than half, ratio < 1.5). Servers:
CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, or the local stack started as the tests
do. The schema and topics are dropped at the end.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from cc_testing import TestIssuer, free_ports, real_servers, service_process
from cc_testing.cleanup import remove_namespaces


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[98]


async def open_chats(url: str, operator: dict[str, str], count: int) -> list[dict[str, str]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        tickets = []
        for _ in range(count):
            ticket = (await client.post("/v1/widget/chats")).json()
            joined = await client.post(f"/v1/chats/{ticket['chat_id']}/join", headers=operator)
            assert joined.status_code == 200, joined.text
            tickets.append(ticket)
        return tickets


async def write_all(
    url: str, tickets: list[dict[str, str]], messages: int, operator: dict[str, str] | None
) -> tuple[float, list[float]]:
    """Every chat's messages at once (one writer per chat); wall seconds and each latency."""
    times: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def writer(ticket: dict[str, str]) -> None:
            if operator is not None:
                path, headers = f"/v1/chats/{ticket['chat_id']}/messages", operator
            else:
                path, headers = "/v1/widget/messages", {"Authorization": f"Chat {ticket['token']}"}
            for n in range(messages):
                began = time.perf_counter()
                sent = await client.post(path, json={"text": f"m{n}"}, headers=headers)
                times.append((time.perf_counter() - began) * 1000)
                assert sent.status_code == 201, sent.text

        began = time.perf_counter()
        await asyncio.gather(*(writer(t) for t in tickets))
        return time.perf_counter() - began, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--messages", type=int, default=25)
    args = parser.parse_args()
    issuer = TestIssuer()
    half = max(args.messages // 2, 1)
    with real_servers() as servers, tempfile.TemporaryDirectory() as logs:
        assert servers.postgres_url is not None
        namespace = "bench" + str(time.monotonic_ns())[-8:]
        env = {
            "CC_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            "CC_POSTGRES_URL": servers.postgres_url,
            "CC_NAMESPACE": namespace,
            "CC_LOG_LEVEL": "WARNING",
            "CHAT_CUSTOMER_MESSAGES_BURST": "100000",
            "CHAT_PUBLIC_CALLS_BURST": "100000",
            "CHAT_ATTACHMENTS_DIR": str(Path(logs) / "files"),
            **issuer.env(),
        }
        try:
            (port,) = free_ports(1)
            with service_process("chat", port, env, Path(logs)) as chat:
                operator = issuer.bearer(["operator"], subject="bench")
                tickets = asyncio.run(open_chats(chat.url, operator, args.chats))
                asyncio.run(write_all(chat.url, tickets, 3, None))  # warm-up, not counted
                agent_wall, customer_wall = 0.0, 0.0
                agent: list[float] = []
                customer: list[float] = []
                for _ in range(2):  # alternated: a load that comes and goes hits both sides
                    wall, times = asyncio.run(write_all(chat.url, tickets, half, operator))
                    agent_wall, agent = agent_wall + wall, agent + times
                    wall, times = asyncio.run(write_all(chat.url, tickets, half, None))
                    customer_wall, customer = customer_wall + wall, customer + times
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    total = args.chats * half * 2
    agent_p50, agent_p99 = percentiles(agent)
    customer_p50, customer_p99 = percentiles(customer)
    print(f"{total} messages over {args.chats} chats at once, each side")
    print(
        f"operator (no bucket): {total / agent_wall:,.0f}/s, "
        f"p50 {agent_p50:.1f} ms, p99 {agent_p99:.1f} ms"
    )
    print(
        f"customer (bucket + message): {total / customer_wall:,.0f}/s, "
        f"p50 {customer_p50:.1f} ms, p99 {customer_p99:.1f} ms"
    )
    print(f"ratio: {customer_p50 / agent_p50:.2f}")


if __name__ == "__main__":
    main()

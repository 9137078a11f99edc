"""Throughput of the proactive engine against a read-and-parse baseline, on the real broker.

Generates shop events (cart adds and product views) across sessions, then in the same run:
a baseline consumer that only reads and parses them, and the engine (one process, in-process
app, wall clock) folding them into MongoDB and firing one abandoned-cart request per session.
Prints events/s of both, the p50/p99 delay between a deadline and the published request
(Kafka timestamp of the request), and `ratio: X.XX` (engine / baseline events/s).

    uv run python bench/proactive_engine_throughput.py --events 1000000 --sessions 100000
Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_MONGO_URL when set, else the harness starts
its own (cc_testing.real_servers), as the other benchmarks do.

    uv run python bench/proactive_engine_throughput.py --probe-store
measures only the database calls a batched design would rely on (insert_many, replace_one at
two collection sizes, find by _id, find by a partition field) and prints their rates.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import ASCENDING, AsyncMongoClient, ReplaceOne

from cc_runtime import ensure_topics
from cc_schemas import CartItemAdded, ContactRequested, ProductViewed, encode, parse
from cc_testing import real_servers
from proactive_engine.app import create_app
from proactive_engine.config import load_config
from proactive_engine.settings import Settings

# Set by `run()` from the servers the harness picks.
KAFKA = ""
MONGO = ""


def shop_event(n: int, sessions: int, now: datetime) -> tuple[str, bytes, bytes]:
    session = f"s{n % sessions}"
    base = {"event_id": f"e{n}", "occurred_at": now, "source": "bench", "session_id": session}
    if n < sessions:  # every session's first event fills its cart
        cart = CartItemAdded(
            **base,
            product_id="p",
            quantity=1,
            unit_price_cents=2500,
            currency="EUR",
            cart_value_cents=2500,
        )
        return "cart-events", session.encode(), encode(cart)
    view = ProductViewed(
        **base, product_id=f"p{n % 97}", name="toy", price_cents=2500, currency="EUR"
    )
    return "browse-events", session.encode(), encode(view)


async def produce_all(ns: str, events: int, sessions: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, linger_ms=20, max_batch_size=256_000)
    await producer.start()
    try:
        now = datetime.now(UTC)
        pending = []
        for n in range(events):
            topic, key, value = shop_event(n, sessions, now)
            pending.append(await producer.send(f"{ns}.{topic}", value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def baseline(ns: str, events: int) -> float:
    consumer = AIOKafkaConsumer(
        f"{ns}.browse-events",
        f"{ns}.cart-events",
        bootstrap_servers=KAFKA,
        group_id=f"{ns}.baseline",
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < events:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    parse(record.topic.split(".", 1)[1], record.value)
                    seen += 1
    finally:
        await consumer.stop()
    return events / (time.perf_counter() - started)


def counter(metrics: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )


async def engine_run(ns: str, events: int, sessions: int, idle: float) -> tuple[float, list[float]]:
    config = load_config()
    rules = {
        **config.rules,
        "abandoned_cart": {**config.rules["abandoned_cart"], "inactivity_minutes": idle / 60},
    }
    config = config.model_copy(update={"rules": {"abandoned_cart": rules["abandoned_cart"]}})
    settings = Settings(
        CC_KAFKA_BOOTSTRAP_SERVERS=KAFKA,
        CC_MONGO_URL=MONGO,
        CC_NAMESPACE=ns,
    )
    app = create_app(settings, config=config)
    expires = timedelta(minutes=config.rules["abandoned_cart"]["expires_minutes"])
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e")
        started = time.perf_counter()
        while (  # noqa: ASYNC110 (polling a metric of the app under test)
            counter((await client.get("/metrics")).text, "proactive_engine_events_total") < events
        ):
            await asyncio.sleep(0.2)
        rate = events / (time.perf_counter() - started)
        print(f"engine folded {events} events at {rate:,.0f} events/s; waiting for requests")
        delays = await request_delays(ns, sessions, expires)
    return rate, delays


async def request_delays(ns: str, sessions: int, expires: timedelta) -> list[float]:
    consumer = AIOKafkaConsumer(
        f"{ns}.contact-requests",
        bootstrap_servers=KAFKA,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    delays: dict[str, float] = {}
    try:
        while len(delays) < sessions:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    request = ContactRequested.model_validate_json(record.value)
                    deadline = request.expires_at - expires
                    delays[request.request_id] = record.timestamp / 1000 - deadline.timestamp()
    finally:
        await consumer.stop()
    return sorted(delays.values())


async def timed(label: str, count: int, call: Any, limit: float = 60) -> None:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(call, limit)
    except TimeoutError:
        print(f"{label}: no answer within {limit:.0f}s")
        return
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds * 1000:,.0f} ms, {count / seconds:,.0f} documents/s")


async def probe_store() -> None:
    """Rates of the database calls a batched engine would use, on a throwaway database."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO, tz_aware=True)
    db = client["probe" + uuid.uuid4().hex[:8]]
    state = {"state": "x" * 1500}  # about the size of a stored session
    try:
        for size in (10, 5000, 20000):
            col = db[f"sessions{size}"]
            await col.create_index([("partition", ASCENDING)])
            docs = [{"_id": f"s{i}", "partition": i % 6, **state} for i in range(size)]
            await timed(
                f"insert_many {size} (new _ids)", size, col.insert_many(docs, ordered=False)
            )
            first = [f"s{i}" for i in range(10)]
            await timed(
                f"10 x replace_one in a collection of {size}",
                10,
                asyncio.gather(*(col.replace_one({"_id": s}, {"v": 1, **state}) for s in first)),
            )
            replaces = [ReplaceOne({"_id": s}, {"v": 2, **state}, upsert=True) for s in first]
            await timed(
                f"bulk_write of 10 ReplaceOne upserts in a collection of {size}",
                10,
                col.bulk_write(replaces, ordered=False),
            )
            await timed(
                f"10 x find_one by _id in a collection of {size}",
                10,
                asyncio.gather(*(col.find_one({"_id": s}) for s in first)),
            )
            await timed(
                f"find by partition (1 of 6) in a collection of {size}",
                size // 6,
                col.find({"partition": 0}).to_list(),
            )
    finally:
        await client.drop_database(db.name)
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="abandoned-cart inactivity; default: long enough for ingestion",
    )
    parser.add_argument("--probe-store", action="store_true", help="only the database rates")
    args = parser.parse_args()
    if args.probe_store:
        await probe_store()
        return
    ns = "bench" + uuid.uuid4().hex[:8]
    topics = [f"{ns}.{t}" for t in ("browse-events", "cart-events", "contact-requests")]
    await ensure_topics(KAFKA, topics, 6)
    started = time.perf_counter()
    await produce_all(ns, args.events, args.sessions)
    print(
        f"produced {args.events} events across {args.sessions} sessions "
        f"in {time.perf_counter() - started:.1f}s"
    )
    base_rate = await baseline(ns, args.events)
    print(f"baseline read+parse: {base_rate:,.0f} events/s")
    idle = args.idle_seconds or max(30.0, 3 * args.events / 1000)
    rate, delays = await engine_run(ns, args.events, args.sessions, idle)
    print(f"engine: {rate:,.0f} events/s (one process); {len(delays)} requests")
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"deadline-to-publish delay: p50 {p50:.3f}s, p99 {p99:.3f}s (idle {idle:.0f}s)")
    print(f"ratio: {rate / base_rate:.2f}")


def run() -> None:
    global KAFKA, MONGO
    with real_servers() as servers:
        KAFKA, MONGO = servers.kafka_bootstrap_servers, servers.mongo_url
        asyncio.run(main())


if __name__ == "__main__":
    run()

"""crm's manual identification at 1,000,000 customers: HTTP search against the raw trigram SQL
on the same database, in the same run.

    uv run python bench/crm_search.py [--customers 1000000] [--searches 2000]

Starts `cc-crm` as its own process (it migrates its schema: pg_trgm, unaccent, the trigram and
postcode indexes), seeds the customers with COPY (Italian first names, 48,000 surnames made of
syllables, one in five first names accented, a Milan or Rome postcode, an e-mail, a phone; the
indexes exist during the COPY, as in production), ANALYZEs, then times, one request at a time
over one kept-alive connection, `GET /v1/search/customers` the way operators type: a name with
one typo and accents dropped (60 %), the same with the postcode (20 %), an e-mail with one typo
(20 %); and the name searches' bare SQL (the query the service runs, without the summaries)
over asyncpg. Prints p50 / p99 of both and how often the customer sought came first; ends with
`ratio:` = SQL p99 / HTTP p99 (target HTTP p99 < 50 ms).
Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL, or the local stack started as
the tests do. The schema and topics are dropped at the end.
"""

import argparse
import asyncio
import json
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
from crm.repository import SEARCH_BY_NAME

FIRST = [
    "Anna",
    "Marco",
    "Giulia",
    "Luca",
    "Sara",
    "Matteo",
    "Chiara",
    "Andrea",
    "Francesca",
    "Giuseppe",
    "Elena",
    "Alessandro",
    "Martina",
    "Lorenzo",
    "Valentina",
    "Davide",
    "Federica",
    "Simone",
    "Alessia",
    "Riccardo",
    "Giorgia",
    "Stefano",
    "Paola",
    "Nicola",
    "Silvia",
    "Fabio",
    "Laura",
    "Roberto",
    "Elisa",
    "Paolo",
]
ACCENTED = ("Niccolò", "Mattìa", "Noè", "Zoè", "Andrè", "Irène", "Gioè", "Lucìa")
SYLLABLES = [
    "Ro",
    "Bi",
    "Fe",
    "Co",
    "Ma",
    "Ri",
    "Gal",
    "Lom",
    "Mar",
    "Ver",
    "Ne",
    "Pe",
    "Sa",
    "Ca",
    "Mo",
    "De",
    "Fa",
    "Gi",
    "Lu",
    "Pa",
    "Ba",
    "Ce",
    "Do",
    "Ga",
    "Le",
    "Mi",
    "No",
    "Ta",
    "Vi",
    "Ze",
    "Bru",
    "Cri",
    "Fra",
    "Gra",
    "Pro",
    "Stra",
    "Tre",
    "Zan",
    "Bel",
    "Cor",
]
MIDDLE = [
    "s",
    "cc",
    "nd",
    "rr",
    "ll",
    "tt",
    "rd",
    "mb",
    "ss",
    "gn",
    "sc",
    "nz",
    "lt",
    "rt",
    "st",
    "ch",
    "gh",
    "pp",
    "ff",
    "vv",
    "bb",
    "mm",
    "nn",
    "zz",
    "rg",
    "rc",
    "lc",
    "nt",
    "mp",
]
ENDINGS = [
    "i",
    "ini",
    "etti",
    "oni",
    "ari",
    "elli",
    "otti",
    "ucci",
    "ani",
    "ardi",
    "asso",
    "ese",
    "one",
    "uzzi",
    "ieri",
    "igi",
    "ola",
    "ato",
    "erti",
    "azzi",
    "engo",
    "ozzi",
    "illo",
    "acchi",
    "etto",
    "ulli",
    "aldi",
    "ento",
    "ori",
    "ondi",
    "iello",
    "ulo",
    "astro",
    "ini",
    "elo",
    "aro",
    "ista",
]
POSTCODES = ("20121", "20122", "20123", "00184", "00185", "00186")


def customer(n: int, rng: random.Random) -> tuple[str, str, str, str]:
    first = ACCENTED[n % len(ACCENTED)] if n % 5 == 0 else FIRST[n % len(FIRST)]
    last = rng.choice(SYLLABLES) + rng.choice(MIDDLE) + rng.choice(ENDINGS)
    return f"C{n:07d}", first, last, POSTCODES[n % len(POSTCODES)]


def email_of(n: int, first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower()}{n}@example{n % 40}.it"


def copy_rows(count: int) -> tuple[list[tuple[object, ...]], ...]:
    now, rng = datetime.now(UTC), random.Random(11)
    customers, emails, people = [], [], []
    for n in range(count):
        customer_id, first, last, postcode = customer(n, rng)
        address = {"line1": "Via Roma 1", "postcode": postcode, "city": "Milano", "country": "IT"}
        profile = json.dumps({"addresses": [address]})
        customers.append((customer_id, first, last, "it", "none", profile, "bench", now))
        address_n = email_of(n, first, last)
        emails.append((customer_id, address_n, address_n, 0))
        people.append((customer_id, first, last, postcode))
    return customers, emails, people


async def seed(url: str, schema: str, customers: list, emails: list) -> None:  # type: ignore[type-arg]
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.copy_records_to_table(
            "customers",
            records=customers,
            columns=[
                "customer_id",
                "first_name",
                "last_name",
                "language",
                "loyalty_tier",
                "profile",
                "source",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "customer_emails", records=emails, columns=["customer_id", "address", "raw", "position"]
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def typo(text: str, rng: random.Random) -> str:
    """One letter dropped, doubled or swapped with the next, accents dropped."""
    plain = text.translate(str.maketrans("òìèéàù", "oieeau"))
    i = rng.randrange(1, len(plain) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return plain[:i] + plain[i + 1 :]
    if kind == 1:
        return plain[:i] + plain[i] + plain[i:]
    return plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :]


def searches(people: list, count: int) -> list[tuple[str, dict[str, str]]]:  # type: ignore[type-arg]
    rng = random.Random(7)
    made = []
    for _ in range(count):
        n = rng.randrange(len(people))
        customer_id, first, last, postcode = people[n]
        roll = rng.random()
        if roll < 0.6:
            made.append((customer_id, {"name": f"{first} {typo(last, rng)}"}))
        elif roll < 0.8:
            made.append((customer_id, {"name": f"{typo(first, rng)} {last}", "postcode": postcode}))
        else:
            made.append((customer_id, {"email": typo(email_of(n, first, last), rng)}))
    return made


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def http_latencies(url: str, token: str, made: list) -> tuple[list[float], int]:  # type: ignore[type-arg]
    latencies, first = [], 0
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for _, params in made[:100]:  # warm the pool, the caches and the planner
            client.get("/v1/search/customers", params=params).raise_for_status()
        for customer_id, params in made:
            began = time.perf_counter()
            response = client.get("/v1/search/customers", params=params)
            latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            results = response.json()["results"]
            first += bool(results) and results[0]["customer"]["customer_id"] == customer_id
    return latencies, first


async def sql_latencies(url: str, schema: str, made: list) -> list[float]:  # type: ignore[type-arg]
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    names = [p for _, p in made if "name" in p]
    latencies = []
    try:
        for params in names[:100]:
            await connection.fetch(SEARCH_BY_NAME, params["name"], params.get("postcode"), 10)
        for params in names:
            began = time.perf_counter()
            await connection.fetch(SEARCH_BY_NAME, params["name"], params.get("postcode"), 10)
            latencies.append(time.perf_counter() - began)
    finally:
        await connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=2000)
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
                customers, emails, people = copy_rows(args.customers)
                began = time.perf_counter()
                asyncio.run(seed(servers.postgres_url, schema, customers, emails))
                print(
                    f"seeded {args.customers:,} customers with COPY in "
                    f"{time.perf_counter() - began:.1f} s"
                )
                made = searches(people, args.searches)
                sql = asyncio.run(sql_latencies(servers.postgres_url, schema, made))
                http, first = http_latencies(crm.url, issuer.token(["operator"]), made)
        finally:
            asyncio.run(remove_namespaces(servers, [namespace]))
    sql_p50, sql_p99 = percentiles(sql)
    http_p50, http_p99 = percentiles(http)
    print(f"raw SQL name search ({len(sql)}): p50 {sql_p50:.2f} ms, p99 {sql_p99:.2f} ms")
    print(
        f"HTTP search ({len(http)}): p50 {http_p50:.2f} ms, p99 {http_p99:.2f} ms "
        f"(target p99 < 50 ms); the customer sought first in {first / len(http):.1%}"
    )
    print(f"ratio: {sql_p99 / http_p99:.2f}")


if __name__ == "__main__":
    main()

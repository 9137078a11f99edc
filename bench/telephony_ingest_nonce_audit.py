"""What auditing each signed webhook request costs telephony-ingest's replay check, on the real
database: the statement that records the nonces of requests arriving together, which since issue
16 also writes their audit rows (`repository.FIRST_USE`), against the nonce insert alone as it
was before (the baseline), in the same run, on the same server, alternating.

    uv run python bench/telephony_ingest_nonce_audit.py [--requests 20000] [--together 8]

Each statement records `--together` requests' nonces (what concurrent webhook requests share at
load); the figures are statements/s and requests/s of each, and `ratio:` is the audited
statement's requests/s over the baseline's (1.00: auditing is free). The webhook's own time per
request (validation, signature, publish) is not in it: see telephony_ingest_webhook.py for the
whole route. Servers: CC_TEST_POSTGRES_URL when set, else the harness starts its own.
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from cc_testing import real_servers, service_environment
from telephony_ingest import repository as sql
from telephony_ingest.bulk import open_database
from telephony_ingest.settings import Settings

NONCES_ONLY = """
    INSERT INTO webhook_nonces (nonce, expires_at)
    SELECT nonce, expires_at FROM unnest($1::text[], $2::timestamptz[]) AS new (nonce, expires_at)
    ORDER BY nonce
    ON CONFLICT (nonce) DO NOTHING
    RETURNING nonce
"""
ROUNDS = 4  # each statement's share of the requests, alternating, so load changes hit both


async def run(requests: int, together: int) -> None:
    with real_servers() as servers:
        env = service_environment(servers, f"bench_{uuid.uuid4().hex[:8]}")
        database = await open_database(Settings(**env))  # type: ignore[arg-type]
        now = datetime.now(UTC)
        expires = [now + timedelta(minutes=10)] * together
        statements = requests // together // ROUNDS
        spent = {"nonces only": 0.0, "nonces + audit": 0.0}
        try:
            async with database.connection() as connection:
                for _ in range(ROUNDS):
                    for name in spent:
                        started = time.perf_counter()
                        for _ in range(statements):
                            nonces = [uuid.uuid4().hex for _ in range(together)]
                            if name == "nonces only":
                                await connection.fetch(NONCES_ONLY, nonces, expires)
                            else:
                                await connection.fetch(
                                    sql.FIRST_USE,
                                    nonces,
                                    expires,
                                    [now] * together,
                                    ["pbx"] * together,
                                    ["POST /v1/call-events"] * together,
                                    "pbx-hmac",
                                )
                        spent[name] += time.perf_counter() - started
                audited = await connection.fetchval("SELECT count(*) FROM audit")
        finally:
            await database.close()
    done = statements * ROUNDS
    for name, seconds in spent.items():
        print(
            f"{name:16} {done / seconds:8,.0f} statements/s  "
            f"{done * together / seconds:9,.0f} requests/s  ({seconds:.2f} s)"
        )
    print(f"audit rows written: {audited:,} (expected {done * together:,})")
    baseline, project = (done / spent[n] for n in spent)
    print(f"ratio: {project / baseline:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--together", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.requests, arguments.together))


if __name__ == "__main__":
    main()

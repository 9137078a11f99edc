"""Customers reach crm's PostgreSQL from customer-events (once per event_id, newest version
kept, bad messages dead-lettered) and from a streamed CSV import (bad rows reported by line, the
rest imported, shared phones and e-mails flagged); each write over HTTP is audited with who did
it: real broker, real database."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import CUSTOMER_EVENTS, CustomerRegistered, CustomerUpdated, encode, key_of
from cc_testing import Servers, TestIssuer, eventually_async, headers_of, produce, read_records
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def app(service_env: dict[str, str]) -> AsyncIterator[FastAPI]:
    settings = Settings(**service_env, **ISSUER.env(), import_batch_rows=2)  # type: ignore[arg-type]
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, schema_name("crm", namespace))
    await database.open()
    yield database
    await database.close()


async def phones_of(db: Database, customer_id: str) -> list[tuple[str, str]]:
    async with db.connection() as connection:
        rows = await connection.fetch(
            "SELECT e164, national FROM customer_phones WHERE customer_id = $1 ORDER BY position",
            customer_id,
        )
    return [(r["e164"], r["national"]) for r in rows]


async def customer_row(db: Database, customer_id: str) -> dict[str, Any] | None:
    async with db.connection() as connection:
        row = await connection.fetchrow(
            "SELECT first_name, loyalty_tier, updated_at FROM customers WHERE customer_id = $1",
            customer_id,
        )
    return dict(row) if row else None


async def audit_rows(db: Database) -> list[tuple[Any, ...]]:
    """Who did each write, without its time: subject, roles, client, credential, action, target."""
    async with db.connection() as connection:
        rows = await connection.fetch(
            "SELECT subject, roles, client_id, credential, action, target FROM audit ORDER BY id"
        )
    return [tuple(r) for r in rows]


def registered(customer_id: str, minutes: int, event_id: str, **fields: Any) -> CustomerRegistered:
    return CustomerRegistered(
        event_id=event_id,
        occurred_at=T0 + timedelta(minutes=minutes),
        source="shop",
        customer_id=customer_id,
        **fields,
    )


async def test_customer_events_are_stored_once_newest_first_and_bad_ones_dead_lettered(
    app: FastAPI, servers: Servers, namespace: str, db: Database
) -> None:
    topic = f"{namespace}.{CUSTOMER_EVENTS}"
    first = registered("C-1", 0, "e-1", first_name="Anna", phones=("02 1234 5678",))
    update = CustomerUpdated(
        event_id="e-2",
        occurred_at=T0 + timedelta(minutes=5),
        source="shop",
        customer_id="C-1",
        first_name="Anna Maria",
        phones=("347 123 4567",),
    )
    stale = update.model_copy(update={"event_id": "e-3", "occurred_at": T0, "first_name": "Old"})
    replayed = first.model_copy(update={"first_name": "Replayed"})  # same event_id: ignored
    messages = [(key_of(e).encode(), encode(e)) for e in (first, update, stale, replayed)]

    await produce(servers.kafka_bootstrap_servers, topic, [*messages, (b"C-9", b"{not json")])

    async def stored_newest() -> None:
        row = await customer_row(db, "C-1")
        assert row == {
            "first_name": "Anna Maria",
            "loyalty_tier": "none",
            "updated_at": T0 + timedelta(minutes=5),
        }
        assert await phones_of(db, "C-1") == [("+393471234567", "3471234567")]

    await eventually_async(stored_newest)
    dead = await read_records(servers.kafka_bootstrap_servers, f"{topic}.dlq", until=len)
    # A set: at least once, a rebalance may dead-letter the record a second time.
    assert {(r.key, r.value) for r in dead} == {(b"C-9", b"{not json")}
    assert "Invalid JSON" in headers_of(dead[0])["x-dlq-error"]


CSV = (
    "customer_id,first_name,last_name,phones,emails,social_handles,loyalty_tier,consents\n"
    "C-1,Anna,Rossi,02 1234 5678|347 123 4567,Anna@Example.IT,instagram:@anna,gold,newsletter:yes\n"
    "C-2,Marco,,12ab,,,,\n"
    'C-3,"Luca, Jr.","Bianchi\nsecond line",0039 347 123 4567,luca@example.it,,silver,\n'
    ",nobody,,,,,,\n"
    "C-4,Sara,Verdi,,ANNA@example.it,,platinum,newsletter:maybe\n"
    "C-5,Sara,Neri,+49 30 1234567,sara@example.de,,,\n"
)


async def chunks(text: str, size: int) -> AsyncIterator[bytes]:
    data = text.encode()
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_csv_import_stores_good_rows_reports_bad_ones_by_line_and_flags_duplicates(
    app: FastAPI, db: Database
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm"
    ) as client:
        response = await client.post(
            "/v1/customers/imports",
            content=chunks(CSV, 17),
            headers={"content-type": "text/csv", **ISSUER.bearer(["admin"])},
        )

    assert response.status_code == 200, response.text
    report = response.json()
    assert {k: report[k] for k in ("lines", "rows", "imported", "rejected")} == {
        "lines": 8,
        "rows": 6,
        "imported": 3,
        "rejected": 3,
    }
    assert report["rejections"] == [
        {
            "line": 3,
            "reason": "phone '12ab' is not a number: The string supplied did not seem "
            "to be a phone number.",
        },
        {"line": 6, "reason": "customer_id is empty"},
        {
            "line": 7,
            "reason": "consent 'newsletter:maybe' is not written purpose:yes or purpose:no",
        },
    ]
    assert report["possible_duplicates"] == 2  # C-1 and C-3 share +393471234567
    assert report["duplicate_examples"] == {"C-1": ["C-3"], "C-3": ["C-1"]}
    assert await phones_of(db, "C-1") == [
        ("+390212345678", "0212345678"),
        ("+393471234567", "3471234567"),
    ]
    assert await phones_of(db, "C-5") == [("+49301234567", "301234567")]


async def test_a_csv_without_customer_id_is_refused_with_the_reason(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm"
    ) as client:
        response = await client.post(
            "/v1/customers/imports",
            content=b"name,phone\nAnna,02 1234 5678\n",
            headers={"content-type": "text/csv", **ISSUER.bearer(["admin"])},
        )

    assert response.status_code == 422
    assert "the header must name the column(s) ['customer_id']" in response.json()["detail"]


async def test_each_write_is_audited_with_its_subject_roles_and_time(
    app: FastAPI, db: Database
) -> None:
    before = datetime.now(UTC)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm"
    ) as client:
        imported = await client.post(
            "/v1/customers/imports",
            content=b"customer_id,first_name\nC-9,Anna\n",
            headers={
                "content-type": "text/csv",
                **ISSUER.bearer(["admin"], subject="adm-paola", azp="cc-dev"),
            },
        )
        operator = ISSUER.bearer(["supervisor"], subject="sup-marta", azp="console")
        set_ = await client.put(
            "/v1/customers/C-9/competence", json={"competence_needed": "b2b"}, headers=operator
        )
        unknown = await client.put(
            "/v1/customers/C-404/competence", json={"competence_needed": "b2b"}, headers=operator
        )

    assert (imported.status_code, set_.status_code, unknown.status_code) == (200, 200, 404)
    assert await audit_rows(db) == [
        ("adm-paola", ["admin"], "cc-dev", "bearer", "POST /v1/customers/imports", None),
        (
            "sup-marta",
            ["supervisor"],
            "console",
            "bearer",
            "PUT /v1/customers/{customer_id}/competence",
            "C-9",
        ),
    ]  # the refused write (unknown customer) is not in it
    async with db.connection() as connection:
        times = await connection.fetch("SELECT at FROM audit")
    assert all(before <= r["at"] <= datetime.now(UTC) for r in times)

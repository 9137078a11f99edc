"""The mining input on the real broker and database: crm's resolved cases and claims' resolved
tickets arrive scrubbed, a mining run stores topic candidates that editors list with the cases
behind them, and customer.erased takes the customer's cases out of the input and the topics."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.settings import schema_name
from cc_schemas import (
    CaseOutcome,
    CaseReopened,
    CaseResolved,
    ClaimOutcome,
    CustomerErased,
    Event,
    Resolution,
    TicketClosed,
    TicketOpened,
    encode,
    key_of,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce
from cc_testing.kafka import headers_of, read_records
from knowledge.app import create_app
from knowledge.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def editor() -> dict[str, str]:
    """Minted per call: a token minted at import expires before a long run reaches it."""
    return ISSUER.bearer(["back-office"], subject="erica")


PROBLEMS = {
    "battery": (
        [
            "Hi, the remote car battery does not charge. Mario Rossi, +39 333 123 4567",
            "The car battery will not charge at all",
            "My son's remote car: battery not charging, order ORD-2026-1188",
            "battery of the racing car does not charge any more",
        ],
        "Charge it for 8 hours with the switch off before the first use.",
    ),
    "delivery": (
        [
            "Where is my parcel? It has not arrived, write to anna.verdi@example.com",
            "parcel not arrived yet after ten days",
            "The parcel has still not arrived at Via Roma 12",
            "my parcel never arrived",
        ],
        "The carrier delivered it to the pickup point: collect it with the code in the e-mail.",
    ),
}


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://knowledge") as client:
            yield client


async def publish(servers: Servers, namespace: str, *events: Event) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


def resolved_case(n: int, customer: str, problem: str, resolution: str) -> CaseResolved:
    at = T0 + timedelta(hours=n)
    return CaseResolved(
        event_id=f"case-{n}-resolved",
        occurred_at=at,
        source="crm",
        case_id=f"K-{n}",
        customer_id=customer,
        outcome=CaseOutcome.RESOLVED,
        close_reason="solved",
        problem=problem,
        resolution=resolution,
        opened_at=at - timedelta(hours=1),
        contacts=(),
    )


async def input_cases(service_env: dict[str, str]) -> dict[str, dict[str, Any]]:
    connection = await asyncpg.connect(service_env["CC_POSTGRES_URL"])
    try:
        schema = schema_name("knowledge", service_env["CC_NAMESPACE"])
        rows = await connection.fetch(f'SELECT * FROM "{schema}".mining_cases')  # noqa: S608
    finally:
        await connection.close()
    return {r["case_id"]: dict(r) for r in rows}


async def test_resolved_cases_and_claims_become_topics_and_an_erasure_takes_its_cases_out(
    client: httpx.AsyncClient, servers: Servers, namespace: str, service_env: dict[str, str]
) -> None:
    events: list[Event] = []
    n = 0
    for problems, resolution in PROBLEMS.values():
        for problem in problems:
            n += 1
            events.append(resolved_case(n, f"C-{n}", problem, resolution))
    reopened = resolved_case(99, "C-99", "battery does not charge", "Charged it.")
    events += [reopened, CaseReopened(
        event_id="case-99-reopened", occurred_at=T0 + timedelta(days=5), source="crm",
        case_id="K-99", customer_id="C-99",
    )]  # fmt: skip
    # A claim: its subject on ticket-opened, its decision on ticket-closed, closing first.
    events += [
        TicketClosed(
            event_id="T-7-closed", occurred_at=T0 + timedelta(days=1), source="claims",
            ticket_id="T-7", resolution=Resolution.RESOLVED, outcome=ClaimOutcome.REPLACEMENT,
            closed_by="anna",
        ),
        TicketOpened(
            event_id="T-7-opened", occurred_at=T0, source="claims", ticket_id="T-7",
            customer_id="C-1", channel="phone", cluster="damaged_on_arrival",
            subject="Battery of the car does not charge, call Mario on 3331234567",
            opened_by="anna", team="contact_centre",
        ),
    ]  # fmt: skip
    await publish(servers, namespace, *events)

    async def all_arrived() -> dict[str, dict[str, Any]]:
        cases = await input_cases(service_env)
        assert sorted(cases) == sorted([f"case:K-{i}" for i in range(1, 9)] + ["claim:T-7"])
        return cases

    cases = await eventually_async(all_arrived)
    assert cases["claim:T-7"]["resolution"] == "We sent a replacement."
    assert cases["claim:T-7"]["customer_id"] == "C-1"
    words = " ".join(f"{c['question']} {c['resolution']}" for c in cases.values())
    for personal in ("Mario", "Rossi", "333", "1188", "anna.verdi", "Roma 12"):
        assert personal not in words

    run = await client.post("/v1/mining-runs", headers=editor())
    assert run.status_code == 201, run.text
    assert run.json()["cases"] == 9
    topics = (await client.get("/v1/topics", headers=editor())).json()
    by_cases = {tuple(sorted(t["case_ids"])): t for t in topics}
    battery = ("case:K-1", "case:K-2", "case:K-3", "case:K-4", "claim:T-7")
    assert sorted(by_cases) == [battery, ("case:K-5", "case:K-6", "case:K-7", "case:K-8")]
    assert by_cases[battery]["answer"] == PROBLEMS["battery"][1]
    assert "battery" in " ".join(by_cases[battery]["key_phrases"])
    assert [t["cases"] for t in topics] == [5, 4]

    # Customer C-1 asked to be forgotten: their case and their claim leave input and topic.
    await publish(servers, namespace, CustomerErased(
        event_id="C-1-erased", occurred_at=T0 + timedelta(days=9), source="crm", customer_id="C-1",
    ))  # fmt: skip

    async def erased() -> list[dict[str, Any]]:
        listed = (await client.get("/v1/topics", headers=editor())).json()
        assert [sorted(t["case_ids"]) for t in listed] == [
            ["case:K-2", "case:K-3", "case:K-4"],
            ["case:K-5", "case:K-6", "case:K-7", "case:K-8"],
        ] or [sorted(t["case_ids"]) for t in listed] == [
            ["case:K-5", "case:K-6", "case:K-7", "case:K-8"],
            ["case:K-2", "case:K-3", "case:K-4"],
        ]
        return listed

    listed = await eventually_async(erased)
    assert [t["cases"] for t in listed] == [4, 3]
    assert "claim:T-7" not in await input_cases(service_env)


async def test_editors_only_read_topics_and_start_runs(client: httpx.AsyncClient) -> None:
    operator = ISSUER.bearer(["operator"], subject="otto")
    assert (await client.get("/v1/topics")).status_code == 401
    assert (await client.get("/v1/topics", headers=operator)).status_code == 403
    assert (await client.post("/v1/mining-runs", headers=operator)).status_code == 403
    assert (await client.get("/v1/topics", headers=editor())).json() == []


async def test_a_record_that_breaks_its_contract_is_dead_lettered_and_the_next_one_still_counts(
    client: httpx.AsyncClient, servers: Servers, namespace: str, service_env: dict[str, str]
) -> None:
    topic = f"{namespace}.cases"
    without_problem = resolved_case(1, "C-1", "x", "y").model_dump(mode="json")
    del without_problem["problem"]
    await produce(
        servers.kafka_bootstrap_servers,
        topic,
        [(b"K-0", b"{not json"), (b"K-1", json.dumps(without_problem).encode())],
    )
    await publish(servers, namespace, resolved_case(2, "C-2", "battery will not charge", "Charge"))

    async def good_one_stored() -> None:
        assert list(await input_cases(service_env)) == ["case:K-2"]

    await eventually_async(good_one_stored)
    dead = await read_records(
        servers.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 2
    )
    assert {r.key for r in dead} == {b"K-0", b"K-1"}
    errors = {r.key: headers_of(r)["x-dlq-error"] for r in dead}
    assert "Invalid JSON" in errors[b"K-0"]
    assert "problem" in errors[b"K-1"]

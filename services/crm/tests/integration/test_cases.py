"""Cases on the real broker and database: a contact is proposed the open case it most likely
belongs to, the operator confirms it, picks another or opens one; cases are merged (the merged
one redirects, its history kept), split, related, resolved with the problem and its resolution
in words; two operators writing one case at once never lose a write; full-text search in
Italian and English with accents folded; every lifecycle step published on `cases`."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    CASES,
    CONTACT_IDENTIFICATIONS,
    Caller,
    CallOffered,
    CaseContactLinked,
    CaseResolved,
    ContactIdentified,
    CustomerRegistered,
    Event,
    encode,
    key_of,
    parse,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce, read_records
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC).replace(microsecond=0)


def operator(subject: str = "op-anna") -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject=subject)


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            yield client


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, schema_name("crm", namespace))
    await database.open()
    yield database
    await database.close()


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def anna_calls(
    client: httpx.AsyncClient, servers: Servers, namespace: str, count: int
) -> list[str]:
    """Anna (C-1) calls `count` times, an hour apart; the calls' ids once all are recorded."""
    anna = CustomerRegistered(
        event_id="reg-1",
        occurred_at=NOW - timedelta(days=30),
        source="shop",
        customer_id="C-1",
        first_name="Anna",
        phones=("02 1234 5678",),
    )
    await send(servers, namespace, [anna])

    async def known() -> None:
        found = await client.get("/v1/identify?phone=0212345678", headers=operator())
        assert found.json()["customer_id"] == "C-1"

    await eventually_async(known)
    calls = [
        CallOffered(
            event_id=f"off-{n}",
            occurred_at=NOW - timedelta(hours=count - n),
            source="asterisk-queue-log",
            call_id=f"call-{n}",
            queue="support",
            caller=Caller(number_raw="+390212345678"),
        )
        for n in range(1, count + 1)
    ]
    await send(servers, namespace, list(calls))
    ids = [c.call_id for c in calls]

    async def recorded() -> None:
        page = (await client.get(f"/v1/customers/C-1?limit={count}", headers=operator())).json()
        assert sorted(c["contact_id"] for c in page["contacts"]["contacts"]) == ids

    await eventually_async(recorded)
    return ids


async def note(client: httpx.AsyncClient, contact: str, **fields: Any) -> None:
    read = await client.get(f"/v1/interactions/{contact}", headers=operator())
    written = await client.patch(
        f"/v1/interactions/{contact}",
        json=fields,
        headers=operator() | {"If-Match": read.headers["etag"]},
    )
    assert written.status_code == 200, written.text


async def link(client: httpx.AsyncClient, contact: str, body: dict[str, Any]) -> dict[str, Any]:
    linked = await client.put(f"/v1/interactions/{contact}/case", json=body, headers=operator())
    assert linked.status_code == 200, linked.text
    return dict(linked.json()) | {"etag": linked.headers["etag"]}


async def test_a_case_gathers_repeat_contacts_is_merged_split_resolved_and_published(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    c1, c2, c3, c4, c5 = await anna_calls(client, servers, namespace, 5)
    await note(client, c1, reason="delivery", order_id="O-7", notes="Il pacco non è arrivato")
    opened = await link(client, c1, {"new": {"title": "Pacco in ritardo", "language": "it"}})
    assert (opened["order_id"], opened["reason"], opened["customer_id"]) == (
        "O-7",
        "delivery",
        "C-1",
    )
    k1 = opened["case_id"]

    await note(client, c2, order_id="O-7")
    proposed = (
        await client.get(f"/v1/interactions/{c2}/case-proposals", headers=operator())
    ).json()
    assert [(p["case_id"], p["why"][:2]) for p in proposed["proposals"]] == [
        (k1, ["same customer", "same order O-7"])
    ]
    confirmed = await link(client, c2, {"case_id": k1})
    assert [c["contact_id"] for c in confirmed["contacts"]] == [c1, c2]

    other = await link(client, c3, {"new": {"title": "Ruota rotta", "product": "SKU-TRAIN"}})
    k2 = other["case_id"]
    merged = await client.post(
        f"/v1/cases/{k2}/merge",
        json={"into_case_id": k1},
        headers=operator() | {"If-Match": other["etag"]},
    )
    assert merged.status_code == 200, merged.text
    assert [c["contact_id"] for c in merged.json()["contacts"]] == [c1, c2, c3]
    redirect = await client.get(f"/v1/cases/{k2}", headers=operator())
    assert (redirect.status_code, redirect.headers["location"]) == (308, f"/v1/cases/{k1}")
    # a contact linked to the merged case lands in the case it went to (the one proposed)
    chosen = await link(client, c4, {"case_id": k2})
    assert (chosen["case_id"], len(chosen["contacts"])) == (k1, 4)

    split = await client.post(
        f"/v1/cases/{k1}/split",
        json={"interaction_ids": [c3], "new": {"title": "Ruota rotta", "language": "it"}},
        headers=operator() | {"If-Match": chosen["etag"]},
    )
    assert split.status_code == 201, split.text
    k3 = split.json()["case_id"]
    assert [c["contact_id"] for c in split.json()["contacts"]] == [c3]
    # the operator picks another case than the one crm proposes first
    await note(client, c5, reason="delivery")
    proposed = (
        await client.get(f"/v1/interactions/{c5}/case-proposals", headers=operator())
    ).json()
    assert [p["case_id"] for p in proposed["proposals"]] == [k1, k3]
    picked = await link(client, c5, {"case_id": k3})
    assert [c["contact_id"] for c in picked["contacts"]] == [c3, c5]
    related = await client.post(
        f"/v1/cases/{k1}/related", json={"related_case_id": k3}, headers=operator()
    )
    assert related.json()["related"] == [k3]

    resolved = await client.post(
        f"/v1/cases/{k1}/resolve",
        json={
            "outcome": "resolved",
            "close_reason": "solved",
            "problem": "Il pacco è arrivato in ritardo e la scatola era danneggiata",
            "resolution": "Rimborsate le spese di spedizione",
        },
        headers=operator() | {"If-Match": related.headers["etag"]},
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["state"], [c["contact_id"] for c in resolved.json()["contacts"]]) == (
        "resolved",
        [c1, c2, c4],
    )
    c360 = (await client.get("/v1/customers/C-1", headers=operator())).json()
    assert [(c["case_id"], c["contacts"]) for c in c360["open_cases"]] == [(k3, 2)]
    async with db.connection() as connection:
        kept = await connection.fetch(
            "SELECT what FROM case_history WHERE case_id = $1 ORDER BY id", k2
        )
    assert [r["what"] for r in kept] == ["opened", "contact_linked", "merged"]

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CASES}",
        until=lambda got: any(b"case.resolved" in r.value for r in got),
    )
    events = [parse(CASES, r.value) for r in records]
    steps = sorted(
        (e.event_type, e.case_id, e.how.value if isinstance(e, CaseContactLinked) else "")  # type: ignore[attr-defined]
        for e in events
    )
    assert steps == sorted(
        [
            ("case.opened", k1, ""),
            ("case.contact_linked", k1, "opened"),
            ("case.contact_linked", k1, "proposed"),
            ("case.opened", k2, ""),
            ("case.contact_linked", k2, "opened"),
            ("case.merged", k2, ""),
            ("case.contact_linked", k1, "proposed"),
            ("case.contact_linked", k3, "chosen"),
            ("case.opened", k3, ""),
            ("case.contact_linked", k3, "split"),
            ("case.split", k3, ""),
            ("case.related", k1, ""),
            ("case.resolved", k1, ""),
        ]
    )
    (done,) = [e for e in events if isinstance(e, CaseResolved)]
    assert (done.problem, done.resolution, done.language, done.order_id, done.customer_id) == (
        "Il pacco è arrivato in ritardo e la scatola era danneggiata",
        "Rimborsate le spese di spedizione",
        "it",
        "O-7",
        "C-1",
    )
    assert [c.interaction_id for c in done.contacts] == [c1, c2, c4]
    assert done.actor is not None
    assert done.actor.subject == "op-anna"


async def test_two_operators_writing_one_case_at_once_never_lose_a_write(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    c1, c2, c3 = await anna_calls(client, servers, namespace, 3)
    case = await link(client, c1, {"new": {"title": "Gioco difettoso"}})
    case_id, read_etag = case["case_id"], case["etag"]

    async def write(subject: str, fields: dict[str, str]) -> httpx.Response:
        return await client.patch(
            f"/v1/cases/{case_id}",
            json=fields,
            headers=operator(subject) | {"If-Match": read_etag},
        )

    first, second = await asyncio.gather(
        write("op-anna", {"problem": "Non si accende"}),
        write("op-bruno", {"product": "SKU-ROBOT"}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = second if second.status_code == 409 else first
    # the loser sees the case as it now is, and writes again on that version
    retried = await client.patch(
        f"/v1/cases/{case_id}",
        json={"product": "SKU-ROBOT"} if loser is second else {"problem": "Non si accende"},
        headers=operator() | {"If-Match": loser.headers["etag"]},
    )
    assert retried.status_code == 200, retried.text
    assert (retried.json()["problem"], retried.json()["product"]) == ("Non si accende", "SKU-ROBOT")

    # two contacts linked to one case at once (no version asked): both are in it
    both = await asyncio.gather(
        client.put(f"/v1/interactions/{c2}/case", json={"case_id": case_id}, headers=operator()),
        client.put(f"/v1/interactions/{c3}/case", json={"case_id": case_id}, headers=operator()),
    )
    assert [r.status_code for r in both] == [200, 200]
    now = (await client.get(f"/v1/cases/{case_id}", headers=operator())).json()
    assert [c["contact_id"] for c in now["contacts"]] == [c1, c2, c3]


async def test_cases_and_notes_are_found_in_italian_and_english_accents_folded(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    c1, c2 = await anna_calls(client, servers, namespace, 2)
    await link(client, c1, {"new": {"title": "Consegna in ritardo a Forlì", "language": "it"}})
    await note(client, c2, notes="The customer says the wheels were damaged on arrival")
    await link(client, c2, {"new": {"title": "Broken toy train", "language": "en"}})

    async def found(words: str) -> tuple[list[str], list[str]]:
        answer = await client.get("/v1/search/cases", params={"q": words}, headers=operator())
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return [c["title"] for c in body["cases"]], [n["contact_id"] for n in body["notes"]]

    assert await found("consegne ritardate forli") == (["Consegna in ritardo a Forlì"], [])
    assert await found("damaged wheel") == ([], [c2])
    assert await found("trains broken") == (["Broken toy train"], [])
    assert await found("nothing matches this") == ([], [])
    refused = await client.get("/v1/search/cases", params={"q": "x"}, headers=operator())
    assert refused.status_code == 422


async def test_what_a_case_cannot_do_is_a_4xx_with_the_reason(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    (c1, c2) = await anna_calls(client, servers, namespace, 2)
    case = await link(client, c1, {"new": {"title": "Reso"}})
    case_id = case["case_id"]

    answers = [
        await client.get("/v1/cases/nope", headers=operator()),
        await client.put(f"/v1/interactions/{c2}/case", json={}, headers=operator()),
        await client.put(
            f"/v1/interactions/{c2}/case", json={"case_id": "nope"}, headers=operator()
        ),
        await client.post(
            f"/v1/cases/{case_id}/merge", json={"into_case_id": case_id}, headers=operator()
        ),
        await client.post(
            f"/v1/cases/{case_id}/merge",
            json={"into_case_id": case_id},
            headers=operator() | {"If-Match": case["etag"]},
        ),
        await client.post(
            f"/v1/cases/{case_id}/split",
            json={"interaction_ids": [c1], "new": {"title": "x"}},
            headers=operator() | {"If-Match": case["etag"]},
        ),
        await client.get("/v1/customers/C-1/cases?state=lost", headers=operator()),
    ]

    assert [r.status_code for r in answers] == [404, 422, 404, 428, 422, 422, 422]
    assert "into itself" in answers[4].json()["detail"]
    assert "at least one contact" in answers[5].json()["detail"]
    listed = (await client.get("/v1/customers/C-1/cases", headers=operator())).json()
    assert [(c["case_id"], c["contacts"]) for c in listed] == [(case_id, 1)]


async def test_an_erased_customers_cases_stay_counted_without_their_words(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    (c1,) = await anna_calls(client, servers, namespace, 1)
    case = await link(client, c1, {"new": {"title": "Anna Rossi, via Roma 12: pacco perso"}})
    exported = await client.get("/v1/customers/C-1/export", headers=ISSUER.bearer(["admin"]))
    assert [c["title"] for c in exported.json()["tables"]["cases"]] == [
        "Anna Rossi, via Roma 12: pacco perso"
    ]

    erased = await client.post("/v1/customers/C-1/erase", headers=ISSUER.bearer(["admin"]))

    assert erased.status_code == 200, erased.text
    async with db.connection() as connection:
        row = await connection.fetchrow(
            "SELECT customer_id, title, problem FROM cases WHERE case_id = $1", case["case_id"]
        )
    assert (row["customer_id"].startswith("erased-"), row["title"], row["problem"]) == (
        True,
        "[erased]",
        None,
    )
    found = await client.get("/v1/search/cases", params={"q": "pacco"}, headers=operator())
    assert found.json()["cases"] == []


async def test_a_new_contact_about_a_resolved_case_reopens_it_and_a_relink_changes_nothing(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    c1, c2 = await anna_calls(client, servers, namespace, 2)
    case = await link(client, c1, {"new": {"title": "Pezzo mancante"}})
    case_id = case["case_id"]
    resolved = await client.post(
        f"/v1/cases/{case_id}/resolve",
        json={
            "outcome": "resolved",
            "close_reason": "solved",
            "problem": "Manca un pezzo",
            "resolution": "Spedito il pezzo",
        },
        headers=operator() | {"If-Match": case["etag"]},
    )
    assert resolved.json()["state"] == "resolved"

    relinked = await link(client, c1, {"case_id": case_id})
    assert (relinked["state"], relinked["etag"]) == ("resolved", resolved.headers["etag"])

    again = await link(client, c2, {"case_id": case_id})
    assert (again["state"], [c["contact_id"] for c in again["contacts"]]) == ("open", [c1, c2])
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CASES}",
        until=lambda got: any(b"case.reopened" in r.value for r in got),
    )
    assert [parse(CASES, r.value).event_type for r in records] == [
        "case.opened",
        "case.contact_linked",
        "case.resolved",
        "case.reopened",
        "case.contact_linked",
    ]


async def test_the_case_proposal_travels_with_the_next_calls_identification(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    c1, c2 = await anna_calls(client, servers, namespace, 2)
    older = await link(client, c1, {"new": {"title": "Treno rotto"}})
    latest = await link(client, c2, {"new": {"title": "Pacco in ritardo"}})
    async with db.connection() as connection:  # the broken train was last talked of 3 days ago
        await connection.execute(
            "UPDATE cases SET last_contact_at = $2 WHERE case_id = $1",
            older["case_id"],
            NOW - timedelta(days=3),
        )

    def offered(call_id: str, number: str) -> CallOffered:
        return CallOffered(
            event_id=f"off-{call_id}",
            occurred_at=NOW,
            source="asterisk-queue-log",
            call_id=call_id,
            queue="support",
            caller=Caller(number_raw=number),
        )

    await send(servers, namespace, [offered("call-9", "02 1234 5678"), offered("call-x", "")])
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_IDENTIFICATIONS}",
        until=lambda got: len(got) >= 4,
    )
    identified = {r.key.decode(): parse(CONTACT_IDENTIFICATIONS, r.value) for r in records}
    proposals = {k: v.case_proposal for k, v in identified.items()}  # type: ignore[attr-defined]
    nine = identified["call-9"]
    assert isinstance(nine, ContactIdentified)
    assert nine.case_proposal is not None
    assert older["case_id"] != latest["case_id"]
    # Only the customer and the time are known at the call's start: the latest case wins.
    assert (
        nine.case_proposal.case_id,
        nine.case_proposal.title,
        nine.case_proposal.why[0],
        nine.case_proposal.why[1].endswith(" min before"),  # linked moments before the call
        nine.case_proposal.score,
    ) == (latest["case_id"], "Pacco in ritardo", "same customer", True, 0.5)
    # before any case, and for a withheld number: none
    assert (proposals["call-1"], proposals["call-2"], proposals["call-x"]) == (None, None, None)

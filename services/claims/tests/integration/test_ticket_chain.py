"""Claims on the real broker and database: a claim runs the chain contact centre -> marketing
-> contact centre, waits on a supplier, is decided and closed; its chain, timeline and events
say who did what; two people acting on the same version -> exactly one wins; bad input is a 4xx
with the reason, and the outbox publishes what an earlier process left behind."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    CUSTOMER_NOTIFICATIONS,
    ORDER_COMMANDS,
    ORDER_EVENTS,
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    OrderShipped,
    TicketStateChanged,
    encode,
    parse,
)
from cc_testing import Servers, TestIssuer, produce, read_records
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


def marco() -> dict[str, str]:
    return ISSUER.bearer(["back-office"], subject="marco", team="marketing")


def supervisor() -> dict[str, str]:
    return ISSUER.bearer(["supervisor"], subject="sara")


class FakeStock:
    """The shop's availability, as the tests want it: unknown for every other product."""

    def __init__(self, in_stock: dict[str, bool]) -> None:
        self.in_stock_by_product = in_stock

    async def in_stock(self, product_id: str) -> bool | None:
        return self.in_stock_by_product.get(product_id)


STOCK = FakeStock({"TRN-OOS": False, "TRN-OOS-2": False, "TRN-3000": True, "TRN-OUT": False})
UPGRADES = '[products]\n"TRN-OOS" = ["TRN-OOS-2", "TRN-3000"]\n"TRN-OUT" = ["TRN-OOS-2"]\n'


@pytest.fixture
async def app(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[FastAPI]:
    upgrades = tmp_path / "upgrades.toml"
    upgrades.write_text(UPGRADES, encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        **service_env, **ISSUER.env(), attachments_dir=tmp_path / "blobs", upgrades_file=upgrades
    )
    application = create_app(settings, availability=STOCK)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
        yield client


CLAIM = {
    "customer_id": "C-1",
    "channel": "phone",
    "cluster": "warranty_replacement",
    "subject": "Train does not move",
    "description": "Bought in March, the engine does not start.",
    "priority": "high",
    "order_id": "O-13",
    "product_code": "TRN-2040",
    "assignee": {"person": "anna", "team": "contact_centre"},
}


async def step(
    client: httpx.AsyncClient, ticket: dict[str, Any], action: str, who: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/{action}",
        json=body,
        headers=who | {"If-Match": f'"{ticket["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_claim_runs_the_chain_and_publishes_each_step(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    opened = await client.post("/v1/tickets", json=CLAIM, headers=anna())
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["state"], ticket["responsible"], opened.headers["ETag"]) == (
        "open",
        {"person": "anna", "team": "contact_centre"},
        '"1"',
    )
    ticket = await step(
        client, ticket, "assign", anna(), person="marco", team="marketing", reason="instructions?"
    )
    ticket = await step(client, ticket, "wait", marco(), waiting_for="supplier", reason="asked")
    ticket = await step(client, ticket, "resume", marco(), reason="supplier says: user error")
    ticket = await step(
        client, ticket, "assign", marco(), person="anna", team="contact_centre", reason="pdf"
    )
    ticket = await step(
        client, ticket, "resolve", anna(), outcome="no_fault_found", reason="isolating tab"
    )
    ticket = await step(client, ticket, "close", anna(), resolution="resolved")

    found = (await client.get(f"/v1/tickets/{ticket['ticket_id']}", headers=anna())).json()
    assert [(s["person"], s["team"], s["ended_at"] is not None) for s in found["chain"]] == [
        ("anna", "contact_centre", True),
        ("marco", "marketing", True),
        ("anna", "contact_centre", True),
    ]
    assert [(c["kind"], c["by_subject"], c["by_role"]) for c in found["timeline"]] == [
        ("opened", "anna", "operator"),
        ("assigned", "anna", "operator"),
        ("assigned", "anna", "operator"),
        ("waiting", "marco", "back-office"),
        ("resumed", "marco", "back-office"),
        ("assigned", "marco", "back-office"),
        ("resolved", "anna", "operator"),
        ("closed", "anna", "operator"),
    ]
    assert (found["state"], found["resolution"], found["decision"]["outcome"]) == (
        "closed",
        "resolved",
        "no_fault_found",
    )

    topics = (TICKET_OPENED, TICKET_ASSIGNED, TICKET_CHANGES, TICKET_CLOSED)
    expected = {TICKET_OPENED: 1, TICKET_ASSIGNED: 2, TICKET_CHANGES: 3, TICKET_CLOSED: 1}
    published = {}
    for topic in topics:
        records = await read_records(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic}",
            until=lambda got, n=expected[topic]: len(got) >= n,
        )
        published[topic] = [parse(topic, r.value) for r in records]
    assert {t: len(events) for t, events in published.items()} == expected
    assigned = published[TICKET_ASSIGNED]
    assert [(e.assignee, e.previous_assignee, e.actor.subject) for e in assigned] == [  # type: ignore[attr-defined,union-attr]
        ("marco", "anna", "anna"),
        ("anna", "marco", "marco"),
    ]
    changes = published[TICKET_CHANGES]
    assert [
        (e.to_state.value, e.outcome) for e in changes if isinstance(e, TicketStateChanged)
    ] == [("pending_supplier", None), ("open", None), ("resolved", "no_fault_found")]
    closed = published[TICKET_CLOSED][0]
    assert (closed.resolution.value, closed.outcome.value, closed.closed_by) == (  # type: ignore[attr-defined]
        "resolved",
        "no_fault_found",
        "anna",
    )


async def test_of_two_people_acting_on_the_same_version_exactly_one_wins(
    client: httpx.AsyncClient,
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    headers = {"If-Match": f'"{ticket["version"]}"'}

    async def take(person: str, team: str) -> httpx.Response:
        return await client.post(
            f"/v1/tickets/{ticket['ticket_id']}/assign",
            json={"person": person, "team": team},
            headers=anna() | headers,
        )

    answers = await asyncio.gather(take("marco", "marketing"), take("lia", "logistics"))

    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()
    loser = next(a for a in answers if a.status_code == 409).json()
    seen = (loser, winner)  # shown when the assertions fail
    assert loser["ticket"]["responsible"] == winner["responsible"], seen
    assert loser["ticket"]["version"] == winner["version"] == ticket["version"] + 1, seen
    assert "changed since version 1" in loser["detail"]


async def test_bad_commands_get_a_4xx_with_the_reason(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        "/v1/tickets", json=CLAIM | {"cluster": "teleportation"}, headers=anna()
    )
    assert (unknown.status_code, "unknown cluster 'teleportation'" in unknown.text) == (422, True)
    extra = await client.post("/v1/tickets", json=CLAIM | {"colour": "red"}, headers=anna())
    assert extra.status_code == 422

    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    path = f"/v1/tickets/{ticket['ticket_id']}"
    no_version = await client.post(f"{path}/close", json={"resolution": "resolved"}, headers=anna())
    assert no_version.status_code == 428
    undecided = await client.post(
        f"{path}/close", json={"resolution": "resolved"}, headers=anna() | {"If-Match": '"1"'}
    )
    assert (undecided.status_code, undecided.json()["detail"]) == (
        409,
        f"cannot close as resolved (it needs a decision first): ticket {ticket['ticket_id']} "
        "is open",
    )
    missing = await client.post(
        "/v1/tickets/T-404/resume", json={}, headers=anna() | {"If-Match": '"1"'}
    )
    assert missing.status_code == 404
    into_nothing = await client.post(
        f"{path}/merge", json={"into": "T-404"}, headers=supervisor() | {"If-Match": '"1"'}
    )
    assert into_nothing.status_code == 422
    forbidden = await client.post(
        f"{path}/close",
        json={"resolution": "unresolved", "reason": "x"},
        headers=marco() | {"If-Match": '"1"'},
    )
    assert forbidden.status_code == 403


async def test_time_per_responsible_counts_each_stint(client: httpx.AsyncClient) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    ticket = await step(client, ticket, "assign", anna(), person="marco", team="marketing")
    await step(client, ticket, "assign", marco(), person="anna", team="contact_centre")

    rows = (await client.get("/v1/reports/responsibles", headers=supervisor())).json()

    assert [(r["person"], r["team"], r["stints_begun"], r["tickets"]) for r in rows] == [
        ("anna", "contact_centre", 2, 1),
        ("marco", "marketing", 1, 1),
    ]
    assert all(r["held_seconds"] >= 0 for r in rows)


async def test_the_relay_publishes_what_an_earlier_process_left_in_the_outbox(
    service_env: dict[str, str], servers: Servers, namespace: str
) -> None:
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]
    first = create_app(settings)
    async with first.router.lifespan_context(first):
        pass  # migrated; nothing written yet
    database = Database(servers.postgres_url or "", schema_name("claims", namespace))
    await database.open()
    async with database.connection() as connection:  # as if a process died after commit
        await connection.execute(
            "INSERT INTO outbox (topic, key, value) VALUES ($1, 'T-1', $2)",
            TICKET_CLOSED,
            b'{"left": "behind"}',
        )
    await database.close()

    second = create_app(settings)
    async with second.router.lifespan_context(second):
        records = await read_records(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{TICKET_CLOSED}",
            until=lambda got: len(got) >= 1,
        )
    assert [(r.key, r.value) for r in records] == [(b"T-1", b'{"left": "behind"}')]


async def test_a_replacement_taken_back_sends_its_order_commands_and_a_bad_one_changes_nothing(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    no_part = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/resolve",
        json={"outcome": "spare_part_sent", "reason": "wheel broke"},
        headers=anna() | {"If-Match": '"1"'},
    )
    assert (no_part.status_code, "needs the part's code" in no_part.text) == (422, True)
    unchanged = (await client.get(f"/v1/tickets/{ticket['ticket_id']}", headers=anna())).json()
    assert (unchanged["state"], unchanged["version"]) == ("open", 1)

    await step(
        client,
        ticket,
        "resolve",
        anna(),
        outcome="replacement",
        reason="engine dead on arrival",
        replacement_product="TRN-3000",
        take_back=True,
    )
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{ORDER_COMMANDS}",
        until=lambda got: len(got) >= 2,
    )
    sent = sorted((parse(ORDER_COMMANDS, r.value) for r in records), key=lambda e: e.event_type)
    assert [(e.event_type, e.order_id, e.ticket_id, e.requested_by) for e in sent] == [  # type: ignore[attr-defined]
        ("order.replacement_requested", "O-13", ticket["ticket_id"], "anna"),
        ("order.return_requested", "O-13", ticket["ticket_id"], "anna"),
    ]


async def test_the_product_feedback_report_gives_the_no_fault_found_share_and_its_checks(
    client: httpx.AsyncClient,
) -> None:
    train = CLAIM | {"product_code": "TRN-2040"}
    decisions = [
        ("no_fault_found", "isolating_tab"),
        ("no_fault_found", None),
        ("replacement", None),
    ]
    for outcome, explained_by in decisions:
        ticket = (await client.post("/v1/tickets", json=train, headers=anna())).json()
        if explained_by:
            answers = dict.fromkeys(
                ["isolating_tab", "track_joined", "batteries", "damage"], "fine"
            )
            ticket = (
                await client.post(
                    f"/v1/tickets/{ticket['ticket_id']}/warranty-check",
                    json={"answers": answers | {explained_by: "failed"}},
                    headers=anna() | {"If-Match": f'"{ticket["version"]}"'},
                )
            ).json()["ticket"]
        await step(
            client, ticket, "resolve", anna(), outcome=outcome, reason="seen", take_back=False
        )
    await client.post("/v1/tickets", json=CLAIM | {"product_code": "RC-7"}, headers=anna())
    marketing = ISSUER.bearer(["back-office"], subject="mk-1", team="marketing")

    rows = (await client.get("/v1/reports/products", headers=marketing)).json()

    assert [
        (
            r["product_code"],
            r["claims"],
            r["decided"],
            r["no_fault_found"],
            r["no_fault_found_share"],
            r["top_checks"],
        )
        for r in rows
    ] == [("RC-7", 1, 0, 0, None, []), ("TRN-2040", 3, 3, 2, 0.6667, ["isolating_tab"])]
    as_csv = await client.get("/v1/reports/products?format=csv", headers=marketing)
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.splitlines()
    assert lines[0].split(",")[:4] == ["product_code", "cluster", "period", "claims"]
    assert len(lines) == 3


async def test_full_text_search_finds_italian_and_english_words_by_their_stems(
    client: httpx.AsyncClient,
) -> None:
    texts = [
        ("Il trenino non parte", "Le ruote si sono staccate dopo due giorni"),
        ("Wheels fell off", "The wheels came off the wooden train"),
        ("Pacco in ritardo", "Il corriere non è passato"),
    ]
    ids = []
    for subject, description in texts:
        body = CLAIM | {"subject": subject, "description": description}
        ids.append(
            (await client.post("/v1/tickets", json=body, headers=anna())).json()["ticket_id"]
        )

    async def found(query: str) -> list[str]:
        answer = await client.get("/v1/search/tickets", params={"q": query}, headers=anna())
        assert answer.status_code == 200, answer.text
        return sorted(t["ticket_id"] for t in answer.json())

    assert await found("ruota") == [ids[0]]  # Italian stem: ruote
    assert await found("wheel") == [ids[1]]  # English stem: wheels
    assert await found("corrieri") == [ids[2]]
    assert await found("train -wooden") == []
    assert (await client.get("/v1/search/tickets", headers=anna())).status_code == 422


async def test_a_supervisor_reassigns_in_bulk_and_a_stale_version_is_reported(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    second = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    moved = await step(client, second, "assign", anna(), person="lia", team="logistics")
    assert moved["version"] == 2

    answer = await client.post(
        "/v1/reassignments",
        json={
            "person": "marco",
            "team": "marketing",
            "reason": "anna is away",
            "tickets": [
                {"ticket_id": first["ticket_id"], "version": 1},
                {"ticket_id": second["ticket_id"], "version": 1},
                {"ticket_id": "T-404", "version": 1},
            ],
        },
        headers=supervisor(),
    )

    assert answer.status_code == 200, answer.text
    assert [(r["ticket_id"], r["status"]) for r in answer.json()] == [
        (first["ticket_id"], 200),
        (second["ticket_id"], 409),
        ("T-404", 404),
    ]
    now = (await client.get(f"/v1/tickets/{first['ticket_id']}", headers=anna())).json()
    assert now["responsible"] == {"person": "marco", "team": "marketing"}
    refused = await client.post("/v1/reassignments", json={}, headers=anna())
    assert refused.status_code == 403


async def test_a_retried_opening_with_its_idempotency_key_opens_one_claim(
    client: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "form-submit-7f3a"}
    first = await client.post("/v1/tickets", json=CLAIM, headers=anna() | key)
    again = await client.post("/v1/tickets", json=CLAIM, headers=anna() | key)
    other = await client.post(
        "/v1/tickets", json=CLAIM, headers=ISSUER.bearer(["operator"], subject="lia") | key
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["ticket_id"] == first.json()["ticket_id"]
    assert other.json()["ticket_id"] != first.json()["ticket_id"]  # keys are each caller's own


async def test_a_merged_ticket_redirects_and_its_timeline_and_attachments_move(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    kept = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    twin = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
    attached = await client.post(
        f"/v1/tickets/{twin['ticket_id']}/attachments",
        files={"file": ("broken.png", png)},
        headers=anna(),
    )
    assert attached.status_code == 201
    twin = await step(client, twin, "wait", anna(), waiting_for="team", reason="ask logistics")
    twin = await step(client, twin, "resume", anna(), reason="logistics answered")
    await step(client, twin, "merge", supervisor(), into=kept["ticket_id"], reason="same order")

    followed = await client.get(f"/v1/tickets/{twin['ticket_id']}", headers=anna())
    assert (followed.status_code, followed.headers["location"]) == (
        308,
        f"/v1/tickets/{kept['ticket_id']}",
    )
    itself = (
        await client.get(f"/v1/tickets/{twin['ticket_id']}?follow=false", headers=anna())
    ).json()
    assert (itself["state"], itself["merged_into"]) == ("merged", kept["ticket_id"])
    carried = (await client.get(f"/v1/tickets/{kept['ticket_id']}", headers=anna())).json()
    assert carried["version"] == 2  # changed under its readers: they must read it again
    twin_id = twin["ticket_id"]
    assert [(c["kind"], c["reason"], c["from_ticket"]) for c in carried["timeline"]] == [
        ("opened", None, None),
        ("assigned", None, None),
        ("opened", None, twin_id),  # the merged ticket's history, copied and named
        ("assigned", None, twin_id),
        ("waiting", "ask logistics", twin_id),
        ("resumed", "logistics answered", twin_id),
        ("absorbed", f"{twin_id} merged into this ticket: same order", None),
    ]
    files = (
        await client.get(f"/v1/tickets/{kept['ticket_id']}/attachments", headers=anna())
    ).json()
    assert [f["filename"] for f in files] == ["broken.png"]


async def test_an_out_of_stock_replacement_is_refused_and_a_better_product_goes(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    claim = CLAIM | {"product_code": "TRN-OOS"}  # out of stock at the fake shop
    ticket = (await client.post("/v1/tickets", json=claim, headers=anna())).json()
    same = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/resolve",
        json={"outcome": "replacement", "reason": "dead engine"},
        headers=anna() | {"If-Match": '"1"'},
    )
    assert (same.status_code, same.json()["detail"]) == (
        409,
        "TRN-OOS is out of stock: send a better one (replacement_product: TRN-3000 is in stock), "
        "or credit its value",
    )
    offered = await client.get(f"/v1/tickets/{ticket['ticket_id']}/replacement", headers=anna())
    assert offered.json() == {
        "product_code": "TRN-OOS",
        "in_stock": False,
        "better": ["TRN-OOS-2", "TRN-3000"],
        "suggested_product": "TRN-3000",  # TRN-OOS-2 is out of stock too
    }
    better = await step(
        client,
        ticket,
        "resolve",
        anna(),
        outcome="replacement",
        reason="dead engine, out of stock",
        replacement_product="TRN-3000",
    )
    assert better["state"] == "resolved"
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{ORDER_COMMANDS}",
        until=lambda got: len(got) >= 1,
    )
    assert [parse(ORDER_COMMANDS, r.value).product_id for r in records] == ["TRN-3000"]  # type: ignore[union-attr]


async def test_an_out_of_stock_product_with_no_better_one_in_stock_offers_none(
    client: httpx.AsyncClient,
) -> None:
    claim = CLAIM | {"product_code": "TRN-OUT"}
    ticket = (await client.post("/v1/tickets", json=claim, headers=anna())).json()
    same = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/resolve",
        json={"outcome": "replacement", "reason": "dead engine"},
        headers=anna() | {"If-Match": '"1"'},
    )
    offered = await client.get(f"/v1/tickets/{ticket['ticket_id']}/replacement", headers=anna())

    assert (same.status_code, same.json()["detail"]) == (
        409,
        "TRN-OUT is out of stock: send a better one (replacement_product), or credit its value",
    )
    assert offered.json()["suggested_product"] is None


async def test_back_office_works_the_claims_its_team_holds_and_no_others(
    client: httpx.AsyncClient,
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    other = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    path = f"/v1/tickets/{ticket['ticket_id']}"
    not_yet = await client.get(path, headers=marco())
    assert (not_yet.status_code, not_yet.json()["detail"]) == (
        403,
        f"ticket {ticket['ticket_id']} is held by contact_centre, not your team (marketing)",
    )
    ticket = await step(client, ticket, "assign", anna(), person="marco", team="marketing")

    assert (await client.get(path, headers=marco())).status_code == 200
    listed = (await client.get("/v1/tickets?view=all", headers=marco())).json()
    assert [t["ticket_id"] for t in listed["tickets"]] == [ticket["ticket_id"]]
    nosy = await client.get("/v1/tickets?view=team&team=contact_centre", headers=marco())
    assert nosy.status_code == 403
    no_team = ISSUER.bearer(["back-office"], subject="nobody")
    assert (await client.get("/v1/tickets?view=all", headers=no_team)).json()["tickets"] == []
    refused = await client.post(
        f"/v1/tickets/{other['ticket_id']}/resolve",
        json={"outcome": "voucher", "reason": "late"},
        headers=marco() | {"If-Match": '"1"'},
    )
    assert refused.status_code == 403


async def test_the_customer_hears_when_a_decided_replacement_is_shipped_once(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    await step(client, ticket, "resolve", anna(), outcome="replacement", reason="dead engine")
    shipped = OrderShipped(
        event_id="ship-O-13",
        occurred_at=datetime.now(UTC),
        source="shop",
        order_id="O-13",
        customer_id="C-1",
        carrier="DHL",
        tracking_number="JD0042",
    )
    for _ in range(2):  # a redelivery tells nobody twice
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{ORDER_EVENTS}",
            [(b"O-13", encode(shipped))],
        )

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CUSTOMER_NOTIFICATIONS}",
        until=lambda got: any(b"shipped" in r.value for r in got),
    )
    told = [parse(CUSTOMER_NOTIFICATIONS, r.value) for r in records]
    assert [(n.kind.value, n.message) for n in told if n.kind.value == "shipped"] == [  # type: ignore[attr-defined]
        ("shipped", "DHL JD0042")
    ]

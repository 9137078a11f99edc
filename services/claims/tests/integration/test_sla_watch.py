"""The SLA watcher on the real broker and database: a claim nobody answers gets sla.warning,
then sla.breached, once each, on ticket-sla; the queue lists the nearest deadline first; a
response stops the first-response clock. Budgets of seconds on a calendar that never closes."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import TICKET_SLA, SlaBreached, SlaWarning, parse
from cc_testing import Servers, TestIssuer, read_records
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
ALWAYS_OPEN = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SECOND = 1 / 3600  # SLA budgets are in hours
POLICIES = f"""
[default]
first_response_hours = {3 * SECOND}
next_update_hours = 1
solution_hours = 1
warn_before_hours = {2 * SECOND}

[[policy]]
priority = "low"
first_response_hours = 1
"""


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


@pytest.fixture
async def client(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    policies = tmp_path / "sla.toml"
    policies.write_text(POLICIES, encoding="utf-8")
    settings = Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        sla_file=policies,
        sla_check_seconds=0.1,
        opening_hours=ALWAYS_OPEN,
        holidays_country="",
        zone="UTC",
    )
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
            yield client


CLAIM = {"customer_id": "C-1", "channel": "email", "cluster": "delivery", "subject": "Late"}


async def test_an_unanswered_claim_is_warned_then_breached_once_each(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    calm = (
        await client.post("/v1/tickets", json=CLAIM | {"priority": "low"}, headers=anna())
    ).json()
    late = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()

    queue = (await client.get("/v1/tickets?view=all", headers=anna())).json()
    assert [t["ticket_id"] for t in queue["tickets"]] == [late["ticket_id"], calm["ticket_id"]]
    assert (late["sla_policy"], calm["sla_policy"]) == ("default", "low")

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{TICKET_SLA}",
        until=lambda got: len(got) >= 2,
    )
    alerts = [parse(TICKET_SLA, r.value) for r in records]
    assert [(type(a), a.ticket_id, a.target.value) for a in alerts] == [  # type: ignore[union-attr]
        (SlaWarning, late["ticket_id"], "first_response"),
        (SlaBreached, late["ticket_id"], "first_response"),
    ]

    # The watcher keeps running every 0.1 s: in 1.5 s more nothing is alerted a second time.
    with pytest.raises(TimeoutError, match="condition not met"):
        await read_records(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{TICKET_SLA}",
            until=lambda got: len(got) > 2,
            seconds=1.5,
        )


async def test_a_response_stops_the_first_response_clock(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    ticket = (
        await client.post(
            "/v1/tickets",
            json=CLAIM | {"assignee": {"person": "anna", "team": "contact_centre"}},
            headers=anna(),
        )
    ).json()
    answered = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/wait",
        json={"waiting_for": "customer", "reason": "which parcel?"},
        headers=anna() | {"If-Match": f'"{ticket["version"]}"'},
    )
    assert (answered.status_code, answered.json()["sla_due_at"]) == (200, None)  # paused
    with pytest.raises(TimeoutError, match="condition not met"):
        await read_records(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{TICKET_SLA}",
            until=lambda got: len(got) > 0,
            seconds=4.0,  # past the 3 s first-response budget
        )

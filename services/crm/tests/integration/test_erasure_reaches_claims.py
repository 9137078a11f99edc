"""An erasure asked of crm reaches claims on the real broker: crm publishes customer.erased on
customer-events through its outbox, and claims (its app, in this process, in the same
namespace) pseudonymises the customer's tickets. chat does not honour customer.erased yet."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_testing import TestIssuer, eventually_async
from claims.app import create_app as create_claims
from claims.settings import Settings as ClaimsSettings
from crm.app import create_app as create_crm
from crm.settings import Settings as CrmSettings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


@pytest.fixture
async def clients(service_env: dict[str, str]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    apps: dict[str, FastAPI] = {
        "crm": create_crm(CrmSettings(**service_env, **ISSUER.env())),  # type: ignore[arg-type]
        "claims": create_claims(ClaimsSettings(**service_env, **ISSUER.env())),  # type: ignore[arg-type]
    }
    async with AsyncExitStack() as stack:
        found = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            found[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
        yield found


async def test_a_customer_erased_in_crm_is_pseudonymised_in_claims(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    crm, claims = clients["crm"], clients["claims"]
    admin, operator = ISSUER.bearer(["admin"]), ISSUER.bearer(["operator"], subject="anna")
    imported = await crm.post(
        "/v1/customers/imports",
        content="customer_id,first_name,phones\nC-1,Anna,02 1234 5678\n",
        headers={"content-type": "text/csv", **admin},
    )
    assert imported.json()["imported"] == 1, imported.text
    opened = await claims.post(
        "/v1/tickets",
        json={
            "customer_id": "C-1",
            "channel": "phone",
            "cluster": "warranty_replacement",
            "subject": "Anna's train does not move",
            "assignee": {"person": "anna", "team": "contact_centre"},
        },
        headers=operator,
    )
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["ticket_id"]

    erased = await crm.post("/v1/customers/C-1/erase", headers=admin)
    assert erased.status_code == 200, erased.text

    async def pseudonymised() -> dict[str, Any]:
        found = (await claims.get(f"/v1/tickets/{ticket_id}", headers=operator)).json()
        assert found["customer_id"].startswith("erased-"), found["customer_id"]
        return found  # type: ignore[no-any-return]

    ticket = await eventually_async(pseudonymised)
    assert (ticket["subject"], ticket["description"]) == ("[erased]", "")

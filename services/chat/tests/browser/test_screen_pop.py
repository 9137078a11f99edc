"""The screen pop in Debian's chromium, against chat and crm on the real broker and PostgreSQL:
a call offered from a known number and answered on the signed-in operator's id (their sign-in
subject, as telephony-ingest names agents) is recognised by crm (contact.identified) and the
operator's console shows the customer; a call from a number nobody has pops "unknown" with a
search box, which finds the customer through crm's search with the operator's own token."""

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from cc_schemas import (
    CALL_EVENTS,
    CallAnswered,
    Caller,
    CallOffered,
    encode,
    make_event_id,
)
from cc_testing import Servers, TestIssuer, free_ports, produce
from cc_testing.browser import screenshot, served, signed_in_page, watch_errors
from chat.app import create_app
from chat.settings import Settings
from crm.app import create_app as create_crm
from crm.settings import Settings as CrmSettings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CHAT_SCREENSHOTS_DIR"
OPERATOR = "giulia-sub"
CUSTOMERS = (
    "customer_id,first_name,last_name,phones,emails,address_line1,postcode,city,country\n"
    "C-1,Niccolò,Rossi,02 1234 5678,niccolo.rossi@example.it,Via Roma 1,20121,Milano,IT\n"
)


@pytest.fixture
async def console_url(service_env: dict[str, str]) -> AsyncIterator[str]:
    chat_port, crm_port = free_ports(2)
    crm_settings = CrmSettings(**service_env, **ISSUER.env(), http_port=crm_port)  # type: ignore[arg-type]
    async with served(create_crm(crm_settings), crm_port, "crm") as crm_url:
        async with httpx.AsyncClient(base_url=crm_url) as crm:
            imported = await crm.post(
                "/v1/customers/imports",
                content=CUSTOMERS.encode(),
                headers={"content-type": "text/csv", **ISSUER.bearer(["admin"])},
            )
            assert imported.json()["imported"] == 1, imported.text
        settings = Settings(  # type: ignore[call-arg]
            **service_env, **ISSUER.env(), http_port=chat_port, crm_url=crm_url
        )
        async with served(create_app(settings), chat_port, "chat") as base:
            yield f"{base}/console"


def call(call_id: str, number: str) -> list[tuple[bytes, bytes]]:
    now = datetime.now(UTC)
    offered = CallOffered(
        event_id=make_event_id("test", call_id, "offered"),
        occurred_at=now,
        source="telephony-ingest",
        call_id=call_id,
        queue="sales",
        caller=Caller(number_raw=number, e164=f"+39{number}"),
    )
    answered = CallAnswered(
        event_id=make_event_id("test", call_id, "answered"),
        occurred_at=now,
        source="telephony-ingest",
        call_id=call_id,
        queue="sales",
        agent=OPERATOR,
        pbx_agent="1127",
        wait_seconds=3,
    )
    return [(call_id.encode(), encode(offered)), (call_id.encode(), encode(answered))]


async def test_a_call_answered_by_the_operator_pops_the_customer_crm_recognised(
    console_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    token = ISSUER.token(
        ["operator"], subject=OPERATOR, name="Giulia Russo", preferred_username="giulia"
    )
    page = await signed_in_page(browser, token, height=900)
    errors = watch_errors(page)
    await page.goto(f"{console_url}?lang=en")
    await expect(page.get_by_role("heading", name="Caller", exact=True)).to_be_visible()
    pop = page.locator("#pop")
    await expect(pop).to_contain_text("No call on your phone.")

    started = time.monotonic()
    await produce(
        servers.kafka_bootstrap_servers, f"{namespace}.{CALL_EVENTS}", call("K-1", "0212345678")
    )
    await expect(pop).to_contain_text("On the phone: call K-1 from +390212345678", timeout=15_000)
    await expect(pop).to_contain_text("Known customer", timeout=15_000)
    print(f"pop shown {time.monotonic() - started:.2f} s after the call events were sent")
    card = pop.get_by_role("region", name="Niccolò Rossi")
    await expect(card).to_contain_text("strategic level standard")
    await expect(card).to_contain_text("orders in progress: 0")
    await expect(card).to_contain_text("open claims and cases: 0")
    await screenshot(page, "console-pop-known-en", tmp_path, SCREENSHOTS)

    await produce(
        servers.kafka_bootstrap_servers, f"{namespace}.{CALL_EVENTS}", call("K-2", "0299999999")
    )
    await expect(pop).to_contain_text("Nobody known has +390299999999.", timeout=15_000)
    await page.get_by_label("Search the customers (name, phone, e-mail or order)").fill(
        "nicolo rosi"
    )
    await page.get_by_role("button", name="Search").click()
    found = pop.get_by_role("region", name="Niccolò Rossi")
    await expect(found).to_contain_text("matched by name")
    await page.wait_for_timeout(1500)  # a pop refresh or two: the search and its hits stay
    await expect(found).to_be_visible()
    await expect(
        page.get_by_label("Search the customers (name, phone, e-mail or order)")
    ).to_have_value("nicolo rosi")
    await screenshot(page, "console-pop-search-en", tmp_path, SCREENSHOTS)
    assert errors == []

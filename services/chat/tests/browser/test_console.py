"""The operators' console in Debian's chromium (driven by Playwright, no browser downloaded),
against chat on the real broker and PostgreSQL: a contact request published on
contact-requests appears in the signed-in operator's queue, the operator accepts it with the
keyboard and declines another with a reason, and contact.accepted and contact.declined are on
contact-outcomes with the operator as actor.

The operator's token is a TestIssuer one the service trusts, put where console.js keeps the
token its sign-in obtains: the identity provider's login page is not driven here (see the
README). Set CHAT_SCREENSHOTS_DIR to keep the screenshots (services/chat/docs holds them)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from cc_schemas import (
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    ContactChannel,
    ContactContext,
    ContactPriority,
    ContactRequested,
    CustomerContext,
    encode,
    make_event_id,
    parse,
)
from cc_testing import Servers, TestIssuer, free_ports, produce, read_records
from cc_testing.browser import screenshot, served, signed_in_page, watch_errors
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CHAT_SCREENSHOTS_DIR"  # set, the screenshots are kept there


@pytest.fixture
async def console_url(service_env: dict[str, str]) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env, **ISSUER.env(), http_port=port, console_poll_seconds=0.5
    )
    async with served(create_app(settings), port, "chat") as base:
        yield f"{base}/console"


async def operator_page(browser: Browser, subject: str, name: str) -> Page:
    token = ISSUER.token(["operator"], subject=subject, name=name, preferred_username=subject)
    return await signed_in_page(browser, token, height=640)


def requested(request_id: str, priority: ContactPriority, reason: str) -> ContactRequested:
    now = datetime.now(UTC)
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=now - timedelta(seconds=95),
        source="proactive-engine",
        request_id=request_id,
        session_id=f"S-{request_id}",
        customer=CustomerContext(customer_id=f"C-{request_id}", contact_by_chat=True),
        rule="abandoned_cart",
        reason=reason,
        priority=priority,
        channel=ContactChannel.CHAT,
        context=ContactContext(
            cart_value_cents=8990, currency="EUR", product_ids=("TRN-2040", "BLK-0100")
        ),
        expires_at=now + timedelta(minutes=15),
    )


async def test_an_operator_sees_a_request_appear_accepts_one_and_declines_another(
    console_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    page = await operator_page(browser, "giulia-sub", "Giulia Russo")
    errors = watch_errors(page)
    await page.goto(f"{console_url}?lang=en")
    await expect(page.get_by_text("Signed in as Giulia Russo")).to_be_visible()
    await expect(page.get_by_text("No contact requests are waiting.")).to_be_visible()

    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [
            (b"R-7", encode(requested("R-7", ContactPriority.NORMAL, "Cart left for 30 min"))),
            (b"R-8", encode(requested("R-8", ContactPriority.URGENT, "Checkout failed twice"))),
        ],
    )
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2, timeout=15_000)
    await expect(rows.first).to_contain_text("Checkout failed twice")  # urgent first
    await expect(rows.nth(1)).to_contain_text("cart 89.90 EUR")
    await screenshot(page, "console-queue-en", tmp_path, SCREENSHOTS)

    await page.get_by_role("button", name="Accept request R-7").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text(
        "You accepted request R-7 (chat) for C-R-7."
    )
    await expect(rows).to_have_count(1)
    await screenshot(page, "console-accepted-en", tmp_path, SCREENSHOTS)

    await page.get_by_role("button", name="Decline request R-8").focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await page.get_by_label("Reason (required)").fill("customer already on the phone")
    await screenshot(page, "console-decline-en", tmp_path, SCREENSHOTS)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text(
        "You declined request R-8: customer already on the phone."
    )
    await expect(page.get_by_text("No contact requests are waiting.")).to_be_visible()

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= 2,
    )
    outcomes = sorted(
        (e.event_type, e.request_id, e.actor.subject if e.actor else None)
        for e in (parse(CONTACT_OUTCOMES, r.value) for r in records)
    )
    assert outcomes == [
        ("contact.accepted", "R-7", "giulia-sub"),
        ("contact.declined", "R-8", "giulia-sub"),
    ]
    assert errors == []


async def test_the_console_speaks_italian_and_asks_a_signed_out_visitor_to_sign_in(
    console_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    context = await browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 400})
    page = await context.new_page()

    response = await page.goto(console_url)

    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self' https://issuer.test;" in policy
    await expect(page.locator("html")).to_have_attribute("lang", "it")
    await expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    await expect(
        page.get_by_text("Accedi con il tuo account del contact centre per vedere la coda.")
    ).to_be_visible()
    await expect(page.locator("#desk")).to_be_hidden()
    await screenshot(page, "console-signed-out-it", tmp_path, SCREENSHOTS)

    signed_in = await operator_page(browser, "luca-sub", "Luca Bianchi")
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-9", encode(requested("R-9", ContactPriority.HIGH, "Carrello lasciato da 30 min")))],
    )
    await signed_in.goto(f"{console_url}?lang=it")
    await expect(signed_in.get_by_role("button", name="Accetta la richiesta R-9")).to_be_visible(
        timeout=15_000
    )
    await expect(signed_in.locator("tbody tr")).to_contain_text("Carrello abbandonato")
    await expect(signed_in.locator("tbody tr")).to_contain_text("carrello 89,90 EUR")
    await screenshot(signed_in, "console-queue-it", tmp_path, SCREENSHOTS)

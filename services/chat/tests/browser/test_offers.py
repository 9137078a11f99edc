"""An offer in the console, on the real broker and PostgreSQL and Debian's chromium: two
operators online, a request auto-assignment offers Anna says "Offered to you" in her queue only;
she passes it on with the keyboard and a reason, and it shows offered to Marco instead."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from cc_schemas import (
    CONTACT_REQUESTS,
    ContactChannel,
    ContactPriority,
    ContactRequested,
    CustomerContext,
    encode,
    make_event_id,
)
from cc_testing import Servers, TestIssuer, free_ports, produce
from cc_testing.browser import screenshot, served, signed_in_page, watch_errors
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CHAT_SCREENSHOTS_DIR"


@pytest.fixture
async def chat_url(service_env: dict[str, str]) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        console_poll_seconds=0.5,
        presence_check_seconds=0.3,
        offer_seconds=60,
    )
    async with served(create_app(settings), port, "chat") as base:
        yield base


async def console(browser: Browser, chat_url: str, subject: str, name: str) -> Page:
    token = ISSUER.token(["operator"], subject=subject, name=name, preferred_username=subject)
    page = await signed_in_page(browser, token, height=900)
    await page.goto(f"{chat_url}/console?lang=en")
    await expect(page.locator("#presence-state")).to_contain_text("Online")
    return page


async def test_an_offer_shows_to_its_operator_who_passes_it_on_to_a_colleague(
    chat_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    anna = await console(browser, chat_url, "anna-sub", "Anna Bianchi")
    marco = await console(browser, chat_url, "marco-sub", "Marco Ferri")
    anna_errors, marco_errors = watch_errors(anna), watch_errors(marco)
    now = datetime.now(UTC)
    request = ContactRequested(
        event_id=make_event_id("test", "R-offer"),
        occurred_at=now,
        source="proactive-engine",
        request_id="R-offer",
        session_id="S-offer",
        customer=CustomerContext(customer_id="C-9", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart of 89.90 EUR left for 30 minutes",
        priority=ContactPriority.HIGH,
        channel=ContactChannel.CALLBACK,
        expires_at=now + timedelta(minutes=10),
    )
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-offer", encode(request))],
    )
    row = anna.locator("#request-R-offer")
    await expect(row).to_contain_text("Offered to you")  # to anna first: ties go by id
    await expect(marco.locator("#request-R-offer")).to_be_visible()
    await expect(marco.locator("#request-R-offer")).not_to_contain_text("Offered to you")
    await screenshot(anna, "console-offer-en", tmp_path, SCREENSHOTS)

    pass_on = row.get_by_role("button", name="Pass the offer of request R-offer to a colleague")
    await pass_on.focus()
    await anna.keyboard.press("Enter")
    dialog = anna.get_by_role("dialog")
    await expect(dialog).to_contain_text("Pass the offer on to a colleague: R-offer")
    await dialog.get_by_label("Reason").fill("on a long call")
    await anna.keyboard.press("Enter")
    await expect(anna.get_by_role("status")).to_contain_text(
        "You passed the offer of request R-offer on: on a long call."
    )
    await expect(marco.locator("#request-R-offer")).to_contain_text("Offered to you")
    await expect(row).to_be_visible()  # still waiting, in everyone's queue
    await expect(row).not_to_contain_text("Offered to you")
    assert (anna_errors, marco_errors) == ([], [])

"""Live chat in Debian's chromium (Playwright, no browser downloaded), against chat on the real
broker and PostgreSQL: an operator accepts a chat request and the chat opens in the console; a
customer on a shop page (the widget's demo page, one script tag) in a second browser context is
invited to it, they exchange messages, the operator ends the chat and the customer answers
the satisfaction question; chat-events and csat-responses carry every step on the broker. A
customer also starts a chat of their own in Italian, which an operator takes.

The operator's token is a TestIssuer one put where console.js keeps the token its sign-in
obtains (as in test_console.py). Set CHAT_SCREENSHOTS_DIR to keep the screenshots."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from cc_schemas import (
    CHAT_EVENTS,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
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
async def chat_url(service_env: dict[str, str]) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        console_poll_seconds=0.5,
        widget_poll_seconds=0.3,
    )
    async with served(create_app(settings), port, "chat") as base:
        yield base


async def operator_page(browser: Browser, subject: str, name: str) -> Page:
    token = ISSUER.token(["operator"], subject=subject, name=name, preferred_username=subject)
    return await signed_in_page(browser, token, height=900)


def chat_request(request_id: str, session_id: str) -> ContactRequested:
    now = datetime.now(UTC)
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=now - timedelta(seconds=40),
        source="proactive-engine",
        request_id=request_id,
        session_id=session_id,
        customer=CustomerContext(customer_id="C-77", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart of 89.90 EUR left for 30 minutes",
        priority=ContactPriority.HIGH,
        channel=ContactChannel.CHAT,
        context=ContactContext(cart_value_cents=8990, currency="EUR", product_ids=("TRN-2040",)),
        expires_at=now + timedelta(minutes=15),
    )


async def test_an_operator_and_a_customer_in_the_shop_chat_and_the_customer_rates_it(
    chat_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    page = await operator_page(browser, "giulia-sub", "Giulia Russo")
    errors = watch_errors(page)
    await page.goto(f"{chat_url}/console?lang=en")
    shop_context = await browser.new_context(viewport={"width": 900, "height": 760})
    shop = await shop_context.new_page()
    shop_errors = watch_errors(shop)
    await shop.goto(f"{chat_url}/widget/demo?session=S-shop-21&lang=en")
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-21", encode(chat_request("R-21", "S-shop-21")))],
    )
    accept = page.get_by_role("button", name="Accept request R-21")
    await expect(accept).to_be_visible(timeout=15_000)
    await accept.focus()
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_contain_text("The chat is open below")
    await expect(page.get_by_role("heading", name="Chat with C-77")).to_be_visible()
    box = page.get_by_label("Your message")
    await expect(box).to_be_focused()
    await page.keyboard.type("Hello! Can I help with your cart?")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # Send
    transcript = page.get_by_role("list", name="Conversation")
    await expect(transcript.get_by_role("listitem")).to_have_count(1)
    await expect(box).to_have_value("")

    widget = shop.get_by_role("region", name="Chat with us")
    await expect(widget.get_by_role("status")).to_have_text(
        "An operator has started a chat with you."
    )
    shop_transcript = widget.get_by_role("list", name="Conversation")
    await expect(shop_transcript).to_contain_text("Operator: Hello! Can I help with your cart?")
    await widget.get_by_label("Your message").fill("Is shipping free?")
    await widget.get_by_label("Your message").press("Tab")
    await shop.keyboard.press("Enter")  # Send
    await expect(shop_transcript.get_by_role("listitem")).to_have_count(2)
    await expect(transcript.get_by_role("listitem")).to_have_count(2)
    await expect(transcript.get_by_role("listitem").nth(1)).to_contain_text("Is shipping free?")
    await box.fill("Yes, above 50 EUR: yours is 89.90.")
    await page.get_by_role("button", name="Send").click()
    await expect(shop_transcript.get_by_role("listitem")).to_have_count(3)
    await screenshot(page, "console-chat-en", tmp_path, SCREENSHOTS)
    await screenshot(shop, "widget-chat-en", tmp_path, SCREENSHOTS)

    await page.get_by_role("button", name="End chat").click()
    await expect(page.get_by_role("status")).to_contain_text("You ended the chat with C-77.")
    await expect(page.get_by_text("This chat has ended.")).to_be_visible()
    rating = widget.get_by_role("group", name="How was this chat?")
    await expect(rating).to_be_visible()
    await rating.get_by_label("4 - good").check()
    await widget.get_by_label("Anything to add? (optional)").fill("Quick and clear")
    await screenshot(shop, "widget-csat-en", tmp_path, SCREENSHOTS)
    await widget.get_by_role("button", name="Send my answer").click()
    await expect(widget.get_by_role("status")).to_have_text("Thank you for your answer.")

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: len(got) >= 6,
    )
    assert [
        (e.event_type, getattr(e, "sender", None))
        for e in (parse(CHAT_EVENTS, r.value) for r in records)
    ] == [
        ("chat.started", None),
        ("chat.agent_joined", None),
        ("chat.message_sent", "agent"),
        ("chat.message_sent", "customer"),
        ("chat.message_sent", "agent"),
        ("chat.ended", None),
    ]
    [answer] = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CSAT_RESPONSES}",
        until=lambda got: len(got) >= 1,
    )
    assert parse(CSAT_RESPONSES, answer.value).model_dump(
        include={"customer_id", "score", "comment", "channel"}, mode="json"
    ) == {"customer_id": "C-77", "score": 4, "comment": "Quick and clear", "channel": "chat"}
    assert (errors, shop_errors) == ([], [])


async def test_a_customer_starts_a_chat_in_italian_and_an_operator_takes_it(
    chat_url: str, browser: Browser, tmp_path: Path
) -> None:
    page = await operator_page(browser, "luca-sub", "Luca Bianchi")
    await page.goto(f"{chat_url}/console?lang=it")
    # Away: the chat is not given to him by the auto-assigner, he takes it himself.
    await page.get_by_label("Il tuo stato").select_option("away")
    await expect(page.locator("#presence-state")).to_contain_text("Assente")

    shop = await (await browser.new_context(locale="it-IT")).new_page()
    shop_errors = watch_errors(shop)
    await shop.goto(f"{chat_url}/widget/demo?session=S-shop-32&lang=it")
    await shop.get_by_role("button", name="Chatta con noi").click()
    widget = shop.get_by_role("region", name="Chatta con noi")
    await expect(widget.get_by_label("Il tuo messaggio")).to_be_focused()
    await shop.keyboard.type("Il treno TRN-2040 ha le batterie?")
    await widget.get_by_role("button", name="Invia").click()
    await expect(widget.get_by_role("list", name="Conversazione")).to_contain_text(
        "Tu: Il treno TRN-2040 ha le batterie?"
    )

    await page.get_by_role("button", name="Prendi la chat con visitatore anonimo").click()
    await expect(page.get_by_role("heading", name="Chat con visitatore anonimo")).to_be_visible()
    await expect(page.get_by_role("list", name="Conversazione")).to_contain_text(
        "Il treno TRN-2040 ha le batterie?"
    )
    await page.get_by_label("Il tuo messaggio").fill("Sì, due AA incluse.")
    await page.get_by_role("button", name="Invia").click()
    await expect(widget.get_by_role("list", name="Conversazione")).to_contain_text(
        "Operatore: Sì, due AA incluse."
    )
    await screenshot(shop, "widget-chat-it", tmp_path, SCREENSHOTS)
    assert shop_errors == []


async def test_a_widget_holding_a_token_the_service_refuses_forgets_it_and_starts_afresh(
    chat_url: str, browser: Browser
) -> None:
    context = await browser.new_context()
    stale = json.dumps({"chat_id": "gone", "token": "not-a-token-of-ours", "after": 4})
    await context.add_init_script(f"sessionStorage.setItem('cc-chat-widget', {stale!r})")
    shop = await context.new_page()
    await shop.goto(f"{chat_url}/widget/demo?lang=en")
    widget = shop.get_by_role("region", name="Chat with us")

    await expect(widget.get_by_role("status")).to_have_text(
        "Your earlier chat is no longer available: write to start a new one."
    )
    await widget.get_by_label("Your message").fill("Hello again")
    await widget.get_by_role("button", name="Send").click()

    await expect(widget.get_by_role("list", name="Conversation")).to_have_text("You: Hello again")
    stored = await shop.evaluate("JSON.parse(sessionStorage.getItem('cc-chat-widget'))")
    assert (stored["chat_id"] != "gone", stored["after"]) == (True, 1)

"""The operator desk's presence and what a waiting customer is told, in Debian's chromium
(Playwright, no browser downloaded) against chat on the real broker and PostgreSQL: with nobody
online the widget offers to leave a message, which an operator sees in the console and marks
answered; an operator online (one seat) is given a customer's chat by the auto-assigner, and
the next customer is told the wait the queue gives. The issue's path: an operator sees a
proactive request appear, accepts it, chats with the customer (a second browser context),
writes a note, transfers the chat to a colleague online (a third context) who reads the
conversation and the notes, answers and ends it; the customer rates it; chat-events and
csat-responses carry it. Set CHAT_SCREENSHOTS_DIR to keep the screenshots."""

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
SCREENSHOTS = "CHAT_SCREENSHOTS_DIR"


@pytest.fixture
async def chat_url(service_env: dict[str, str]) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        console_poll_seconds=0.5,
        widget_poll_seconds=0.3,
        presence_check_seconds=0.3,
        # Three shop pages from one address, each asking for its invitation every 0.3 s.
        public_calls_per_minute=6000,
        public_calls_burst=500,
    )
    async with served(create_app(settings), port, "chat") as base:
        yield base


async def operator_page(browser: Browser, subject: str, name: str, seats: str) -> Page:
    token = ISSUER.token(
        ["operator"],
        subject=subject,
        name=name,
        preferred_username=subject,
        chat_seat_limit=seats,
    )
    return await signed_in_page(browser, token, height=900)


async def shop_page(browser: Browser, chat_url: str) -> tuple[Page, list[str]]:
    shop = await (await browser.new_context(viewport={"width": 900, "height": 760})).new_page()
    errors = watch_errors(shop)
    await shop.goto(f"{chat_url}/widget/demo?lang=en")
    await shop.get_by_role("button", name="Chat with us").click()
    return shop, errors


async def test_nobody_online_a_message_is_left_then_an_online_operator_is_given_chats(
    chat_url: str, browser: Browser, tmp_path: Path
) -> None:
    shop, shop_errors = await shop_page(browser, chat_url)
    widget = shop.get_by_role("region", name="Chat with us")
    await expect(widget).to_contain_text(
        "Nobody is online right now. Leave a message and we will answer you."
    )
    await widget.get_by_label("Your name (optional)").fill("Anna")
    await widget.get_by_label("Your e-mail or phone").fill("anna@example.com")
    await widget.get_by_label("What would you like to ask us?").fill("Do you ship to Malta?")
    await screenshot(shop, "widget-leave-message-en", tmp_path, SCREENSHOTS)
    await widget.get_by_role("button", name="Leave my message").click()
    await expect(widget.get_by_role("status")).to_have_text(
        "Thank you: we will answer you at anna@example.com."
    )

    page = await operator_page(browser, "sara-sub", "Sara Conti", seats="1")
    errors = watch_errors(page)
    await page.goto(f"{chat_url}/console?lang=en")
    await expect(page.locator("#presence-state")).to_contain_text("Online")
    await expect(page.locator("#presence-state")).to_contain_text("0 of 1 chats")
    left = page.get_by_role("region", name="Messages left while nobody was online")
    await expect(left).to_contain_text("Anna (anna@example.com)")
    await expect(left).to_contain_text("Do you ship to Malta?")
    await screenshot(page, "console-left-message-en", tmp_path, SCREENSHOTS)
    await left.get_by_role("button", name="Mark the message from anna@example.com answered").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "The message from anna@example.com is marked answered."
    )
    await expect(left).to_contain_text("No messages waiting for an answer.")

    first, first_errors = await shop_page(browser, chat_url)
    first_widget = first.get_by_role("region", name="Chat with us")
    await first_widget.get_by_label("Your message").fill("Is the TRN-2040 in stock?")
    await first_widget.get_by_role("button", name="Send").click()
    # The auto-assigner gives it to Sara, the one online operator with a free seat.
    await page.get_by_role("button", name="Open the chat with anonymous visitor").click()
    await expect(page.locator("#presence-state")).to_contain_text("1 of 1 chats")
    await expect(page.get_by_role("list", name="Conversation")).to_contain_text(
        "Is the TRN-2040 in stock?"
    )

    second, second_errors = await shop_page(browser, chat_url)
    second_widget = second.get_by_role("region", name="Chat with us")
    await second_widget.get_by_label("Your message").fill("Hello?")
    await second_widget.get_by_role("button", name="Send").click()
    # One seat, taken; no chat ended lately: a chat is taken to last 5 minutes.
    await expect(second_widget).to_contain_text("An operator will answer in about 5 minutes.")
    await expect(second_widget.get_by_role("list", name="Conversation")).to_contain_text(
        "You: Hello?"
    )
    await screenshot(second, "widget-wait-en", tmp_path, SCREENSHOTS)
    await screenshot(page, "console-presence-en", tmp_path, SCREENSHOTS)
    assert (errors, shop_errors, first_errors, second_errors) == ([], [], [], [])


def chat_request(request_id: str, session_id: str) -> ContactRequested:
    now = datetime.now(UTC)
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=now - timedelta(seconds=20),
        source="proactive-engine",
        request_id=request_id,
        session_id=session_id,
        customer=CustomerContext(customer_id="C-51", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart of 129.00 EUR left for 30 minutes",
        priority=ContactPriority.HIGH,
        channel=ContactChannel.CHAT,
        context=ContactContext(
            cart_value_cents=12900, currency="EUR", product_ids=("TRN-2040",), order_id="O-5120"
        ),
        expires_at=now + timedelta(minutes=15),
    )


async def test_the_issues_path_accept_chat_note_transfer_end_and_rate(
    chat_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    marco = await operator_page(browser, "marco-sub", "Marco Ferri", seats="3")
    marco_errors = watch_errors(marco)
    await marco.goto(f"{chat_url}/console?lang=en")
    await expect(marco.locator("#presence-state")).to_contain_text("Online")
    giulia = await operator_page(browser, "giulia-sub", "Giulia Russo", seats="3")
    errors = watch_errors(giulia)
    await giulia.goto(f"{chat_url}/console?lang=en")
    shop = await (await browser.new_context(viewport={"width": 900, "height": 760})).new_page()
    shop_errors = watch_errors(shop)
    await shop.goto(f"{chat_url}/widget/demo?session=S-shop-51&lang=en")

    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-51", encode(chat_request("R-51", "S-shop-51")))],
    )
    accept = giulia.get_by_role("button", name="Accept request R-51")
    await expect(accept).to_be_visible(timeout=15_000)  # the proactive request appears
    await accept.click()
    await expect(giulia.get_by_role("heading", name="Chat with C-51")).to_be_visible()
    # A canned response, its placeholders filled from the request (order) and her name.
    await giulia.get_by_label("Canned response", exact=True).select_option(label="Greeting")
    await giulia.get_by_role("button", name="Put in the message box").click()
    await expect(giulia.get_by_label("Your message")).to_have_value(
        "Hello {customer_name}, I am Giulia Russo: how can I help?"  # crm not asked: no name
    )
    await giulia.get_by_label("Canned response", exact=True).select_option(label="Order status")
    await giulia.get_by_role("button", name="Put in the message box").click()
    await expect(giulia.get_by_label("Your message")).to_have_value(
        "I am looking at order O-5120 for you: one moment, please."
    )
    await giulia.get_by_role("button", name="Send", exact=True).click()
    await expect(giulia.get_by_label("Your message")).to_have_value("")  # sent: the box empties

    widget = shop.get_by_role("region", name="Chat with us")
    shop_transcript = widget.get_by_role("list", name="Conversation")
    await expect(shop_transcript).to_contain_text("Operator: I am looking at order O-5120 for you")
    await widget.get_by_label("Your message").fill("Can I return the TRN-2040 train?")
    await expect(giulia.locator(".chat-activity")).to_have_text("The customer is typing…")
    await widget.get_by_role("button", name="Send").click()
    transcript = giulia.get_by_role("list", name="Conversation")
    await expect(transcript).to_contain_text("Can I return the TRN-2040 train?")
    # Giulia's console has polled past it: the widget shows she has seen it.
    await expect(widget.locator(".ccw-activity")).to_have_text("Seen by the operator")

    await giulia.get_by_label("Note for operators (the customer never sees it)").fill(
        "Bought 3 weeks ago: inside the return window"
    )
    await giulia.get_by_role("button", name="Add note").click()
    notes = giulia.get_by_role("list", name="Notes for operators")
    await expect(notes).to_contain_text("Bought 3 weeks ago: inside the return window")
    await giulia.get_by_label("Transfer to").select_option("operator:marco-sub")
    await giulia.get_by_label("Note for your colleague (optional)").fill("Returns are yours")
    await screenshot(giulia, "console-transfer-en", tmp_path, SCREENSHOTS)
    await giulia.get_by_role("button", name="Transfer the chat").click()
    await expect(giulia.get_by_role("status")).to_contain_text("The chat is passed to marco-sub.")

    await marco.get_by_role("button", name="Open the chat with C-51").click()
    marco_transcript = marco.get_by_role("list", name="Conversation")
    await expect(marco_transcript).to_contain_text("Can I return the TRN-2040 train?")
    marco_notes = marco.get_by_role("list", name="Notes for operators")
    await expect(marco_notes).to_contain_text("inside the return window")
    await expect(marco_notes).to_contain_text("Returns are yours")
    await marco.get_by_label("Canned response", exact=True).select_option(label="Returns")
    await marco.get_by_role("button", name="Put in the message box").click()
    await expect(marco.get_by_label("Your message")).to_have_value(
        "You can return it within 30 days: I will send you the label."
    )
    await marco.get_by_role("button", name="Send", exact=True).click()
    await expect(shop_transcript).to_contain_text(
        "Operator: You can return it within 30 days: I will send you the label."
    )
    await screenshot(marco, "console-transferred-en", tmp_path, SCREENSHOTS)
    await marco.get_by_role("button", name="End chat").click()
    await expect(marco.get_by_text("This chat has ended.")).to_be_visible()

    rating = widget.get_by_role("group", name="How was this chat?")
    await rating.get_by_label("5 - very good").check()
    await widget.get_by_role("button", name="Send my answer").click()
    await expect(widget.get_by_role("status")).to_have_text("Thank you for your answer.")
    await expect(shop_transcript).not_to_contain_text("return window")  # notes stay internal
    await expect(shop_transcript).not_to_contain_text("Returns are yours")

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: any(b"chat.ended" in r.value for r in got),
    )
    steps = [parse(CHAT_EVENTS, r.value) for r in records]
    assert [(e.event_type, getattr(e, "agent", None)) for e in steps] == [
        ("chat.started", None),
        ("chat.agent_joined", "giulia-sub"),
        ("chat.message_sent", "giulia-sub"),
        ("chat.message_sent", None),
        ("chat.transferred", None),
        ("chat.agent_joined", "marco-sub"),
        ("chat.message_sent", "marco-sub"),
        ("chat.ended", None),
    ]
    csat = await read_records(
        servers.kafka_bootstrap_servers, f"{namespace}.{CSAT_RESPONSES}", until=bool
    )
    answer = parse(CSAT_RESPONSES, csat[0].value)
    assert (answer.customer_id, answer.score) == ("C-51", 5)
    assert (errors, marco_errors, shop_errors) == ([], [], [])

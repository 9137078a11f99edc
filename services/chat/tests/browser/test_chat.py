"""Live chat in Debian's chromium (Playwright, no browser downloaded), against chat on the real
broker and PostgreSQL: an operator accepts a chat request and the chat opens in the console;
operator and customer exchange messages, the operator ends the chat, and chat-events carry
every step on the broker.

The operator's token is a TestIssuer one put where console.js keeps the token its sign-in
obtains (as in test_console.py). Set CHAT_SCREENSHOTS_DIR to keep the screenshots."""

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from cc_schemas import (
    CHAT_EVENTS,
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
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
CHROMIUM = os.environ.get("CC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


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
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "chat stopped while starting"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
def chromium() -> str:
    assert Path(CHROMIUM).exists(), f"no chromium at {CHROMIUM}: make deps-debian installs it"
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        await launched.close()


async def operator_page(browser: Browser, subject: str, name: str) -> Page:
    token = ISSUER.token(["operator"], subject=subject, name=name, preferred_username=subject)
    stored = json.dumps({"access_token": token})
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(
        f"sessionStorage.setItem('cc-console-token', JSON.stringify("
        f"Object.assign({stored}, {{expires_at: Date.now() + 3600000}})))"
    )
    return await context.new_page()


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


async def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    directory = Path(os.environ.get("CHAT_SCREENSHOTS_DIR") or tmp_path)
    await page.screenshot(path=directory / f"{name}.png", full_page=True)


def watch_errors(page: Page) -> list[str]:
    errors: list[str] = []  # a script error, a failed load or a content-policy violation
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


async def test_an_accepted_chat_request_opens_a_chat_the_operator_works_in_the_console(
    chat_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    page = await operator_page(browser, "giulia-sub", "Giulia Russo")
    errors = watch_errors(page)
    await page.goto(f"{chat_url}/console?lang=en")
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

    async with httpx.AsyncClient(base_url=chat_url) as customer:
        invited = await customer.get("/v1/widget/invitation", params={"session_id": "S-shop-21"})
        token = {"Authorization": f"Chat {invited.json()['token']}"}
        sent = await customer.post(
            "/v1/widget/messages", json={"text": "Is shipping free?"}, headers=token
        )
        assert sent.status_code == 201, sent.text
    await expect(transcript.get_by_role("listitem")).to_have_count(2)
    await expect(transcript.get_by_role("listitem").nth(1)).to_contain_text("Is shipping free?")
    await screenshot(page, "console-chat-en", tmp_path)

    await page.get_by_role("button", name="End chat").click()
    await expect(page.get_by_role("status")).to_contain_text("You ended the chat with C-77.")
    await expect(page.get_by_text("This chat has ended.")).to_be_visible()

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: len(got) >= 5,
    )
    assert [parse(CHAT_EVENTS, r.value).event_type for r in records] == [
        "chat.started",
        "chat.agent_joined",
        "chat.message_sent",
        "chat.message_sent",
        "chat.ended",
    ]
    assert errors == []

"""Files in the shop's widget, in Debian's chromium against chat on the real broker and
PostgreSQL: the customer sends a photo from the widget, the operator (through the API: the
console offers no files yet) downloads it and sends a PDF back, and the customer saves it with
the widget's Download button; a file that is not a photo or PDF is refused with the reason.
Set CHAT_SCREENSHOTS_DIR to keep the screenshot."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from cc_testing import TestIssuer, free_ports
from cc_testing.browser import screenshot, served, watch_errors
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CHAT_SCREENSHOTS_DIR"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
async def chat_url(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        widget_poll_seconds=0.3,
        attachments_dir=tmp_path / "files",
    )
    async with served(create_app(settings), port, "chat") as base:
        yield base


async def test_a_customer_sends_a_photo_and_saves_the_operators_pdf_from_the_widget(
    chat_url: str, browser: Browser, tmp_path: Path
) -> None:
    anna = ISSUER.bearer(["operator"], subject="anna")
    shop = await (await browser.new_context(accept_downloads=True)).new_page()
    errors = watch_errors(shop)
    await shop.goto(f"{chat_url}/widget/demo?session=S-files&lang=en")
    await shop.get_by_role("button", name="Chat with us").click()
    widget = shop.get_by_role("region", name="Chat with us")
    conversation = widget.get_by_role("list", name="Conversation")
    await shop.keyboard.type("My toy arrived broken")
    await widget.get_by_role("button", name="Send").click()
    await expect(conversation).to_contain_text("You: My toy arrived broken")
    async with httpx.AsyncClient(base_url=chat_url, headers=anna) as operator:
        [waiting] = (await operator.get("/v1/chats")).json()["chats"]
        chat = f"/v1/chats/{waiting['chat_id']}"
        assert (await operator.post(f"{chat}/join")).status_code == 200

        await widget.get_by_label("Attach a photo or PDF").set_input_files(
            files=[{"name": "broken.png", "mimeType": "image/png", "buffer": PNG}]
        )
        await expect(conversation).to_contain_text("You: broken.png")
        await expect(widget.get_by_role("button", name="Download broken.png")).to_be_visible()
        messages = (await operator.get(f"{chat}/messages")).json()["messages"]
        photo = messages[-1]["attachment"]
        downloaded = await operator.get(f"{chat}/attachments/{photo['attachment_id']}")
        assert (downloaded.content, photo["content_type"]) == (PNG, "image/png")
        sent = await operator.post(
            f"{chat}/attachments", files={"file": ("invoice.pdf", PDF, "application/pdf")}
        )
        assert sent.status_code == 201, sent.text

    await expect(conversation).to_contain_text("Operator: invoice.pdf")
    async with shop.expect_download() as saving:
        await widget.get_by_role("button", name="Download invoice.pdf").click()
    saved = await saving.value
    assert saved.suggested_filename == "invoice.pdf"
    assert await asyncio.to_thread(Path(await saved.path()).read_bytes) == PDF
    await screenshot(shop, "widget-files-en", tmp_path, SCREENSHOTS)
    assert errors == []

    await widget.get_by_label("Attach a photo or PDF").set_input_files(
        files=[{"name": "page.png", "mimeType": "image/png", "buffer": b"<html></html>"}]
    )
    await expect(widget.get_by_role("status")).to_contain_text(
        "Not sent: a chat carries photos (JPEG, PNG, GIF, WebP, HEIC) and PDFs"
    )

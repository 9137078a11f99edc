"""The customer's claim page in Debian's chromium (Playwright, no browser downloaded), against
claims on the real broker and PostgreSQL: an operator asks the customer a question, the
customer opens the signed link from their notification, reads the claim in Italian, answers
with the keyboard (a plain form: no JavaScript is needed), and the claim is open again; a link
that is not ours is refused with the reason. Set CLAIMS_SCREENSHOTS_DIR to keep the
screenshots (services/claims/docs holds them)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from cc_schemas import CUSTOMER_NOTIFICATIONS, parse
from cc_testing import Servers, TestIssuer, free_ports, read_records
from cc_testing.browser import screenshot, served
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CLAIMS_SCREENSHOTS_DIR"  # set, the screenshots are kept there


@pytest.fixture
async def claims_url(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    base = f"http://127.0.0.1:{port}"
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        customer_page_url=f"{base}/claim",
        attachments_dir=tmp_path / "blobs",
    )
    async with served(create_app(settings), port, "claims") as served_at:
        yield served_at


async def operator_asks(base: str) -> dict[str, Any]:
    anna = ISSUER.bearer(["operator"], subject="anna")
    claim = {
        "customer_id": "C-77",
        "channel": "email",
        "cluster": "warranty_replacement",
        "subject": "Il trenino non parte",
        "assignee": {"person": "anna", "team": "contact_centre"},
    }
    async with httpx.AsyncClient(base_url=base, headers=anna) as client:
        ticket = (await client.post("/v1/tickets", json=claim)).json()
        asked = await client.post(
            f"/v1/tickets/{ticket['ticket_id']}/wait",
            json={"waiting_for": "customer", "reason": "Hai tolto la linguetta della batteria?"},
            headers={"If-Match": f'"{ticket["version"]}"'},
        )
        assert asked.status_code == 200, asked.text
        return asked.json()  # type: ignore[no-any-return]


async def test_the_customer_answers_from_the_link_and_the_claim_is_open_again(
    claims_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    ticket = await operator_asks(claims_url)
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CUSTOMER_NOTIFICATIONS}",
        until=lambda got: len(got) >= 2,
    )
    told = [parse(CUSTOMER_NOTIFICATIONS, r.value) for r in records]
    assert [(n.kind.value, n.customer_id) for n in told] == [  # type: ignore[attr-defined]
        ("claim_received", "C-77"),
        ("waiting_for_you", "C-77"),
    ]
    link = told[1].link  # type: ignore[attr-defined]
    assert link.startswith(f"{claims_url}/claim?token=")

    context = await browser.new_context(locale="it-IT", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Il trenino non parte")
    await expect(page.get_by_text("Aspettiamo una tua risposta")).to_be_visible()
    await expect(page.get_by_text("Hai tolto la linguetta della batteria?").first).to_be_visible()
    await screenshot(page, "customer-page-waiting", tmp_path, SCREENSHOTS)

    await page.get_by_label("Scrivici").focus()
    await page.keyboard.type("Sì, tolta: ora funziona, grazie!")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Messaggio ricevuto: grazie.")).to_be_visible()
    await expect(page.get_by_text("Ci stiamo lavorando")).to_be_visible()
    await expect(page.get_by_text("Sì, tolta: ora funziona, grazie!")).to_be_visible()
    await screenshot(page, "customer-page-answered", tmp_path, SCREENSHOTS)

    photo = tmp_path / "ruota.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    await page.get_by_label("Aggiungi una foto").set_input_files(photo)
    await page.get_by_role("button", name="Invia la foto").click()
    await expect(page.get_by_text("Messaggio ricevuto: grazie.")).to_be_visible()

    anna = ISSUER.bearer(["operator"], subject="anna")
    async with httpx.AsyncClient(base_url=claims_url, headers=anna) as client:
        now = (await client.get(f"/v1/tickets/{ticket['ticket_id']}")).json()
        photos = (await client.get(f"/v1/tickets/{ticket['ticket_id']}/attachments")).json()
    assert [(p["filename"], p["content_type"], p["uploaded_by"]) for p in photos] == [
        ("ruota.png", "image/png", "customer")
    ]
    assert now["state"] == "open"
    assert [(c["kind"], c["by_subject"]) for c in now["timeline"][-2:]] == [
        ("customer_message", "customer"),
        ("resumed", "customer"),
    ]


async def test_a_link_that_is_not_ours_is_refused_with_the_reason(
    claims_url: str, browser: Browser
) -> None:
    page = await (await browser.new_context(locale="en-GB")).new_page()
    answer = await page.goto(f"{claims_url}/claim?token=made-up")
    assert answer is not None
    assert answer.status == 401
    await expect(page.get_by_role("alert")).to_have_text("this link is not valid")

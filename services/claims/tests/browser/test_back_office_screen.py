"""The back-office screen in Debian's chromium (Playwright, no browser downloaded), against
claims on the real broker and PostgreSQL: a marketing user signs in (a TestIssuer token where
console.js keeps its sign-in's), sees their team's queue nearest deadline first (another team's
claim is not there), opens a claim with the keyboard, walks the warranty checklist, attaches
the instructions, hands it to a colleague with a note, is told the product is out of stock and
which better one the shop has, and records the decision; the timeline the API answers has each
step by them. A claim someone changed after it was opened comes back as it is now (409). A
claim waits for a supplier, is resumed and handed back to the contact centre, and leaves the
queue; the operator closes it. Set CLAIMS_SCREENSHOTS_DIR to keep the screenshots
(services/claims/docs holds them)."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from cc_schemas import OrderDelivered, OrderItem, OrderPlaced, encode, key_of, topic_of
from cc_testing import Servers, TestIssuer, eventually_async, free_ports, produce
from cc_testing.browser import screenshot, served, signed_in_page, watch_errors
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
SCREENSHOTS = "CLAIMS_SCREENSHOTS_DIR"  # set, the screenshots are kept there


class FakeStock:
    """The shop's availability lookup: the claimed train is out of stock, the flagship is not."""

    async def in_stock(self, product_id: str) -> bool | None:
        return {"TRN-2040": False, "TRN-3000": True}.get(product_id)


STOCK = FakeStock()


@pytest.fixture
async def claims_url(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    port = free_ports(1)[0]
    settings = Settings(  # type: ignore[call-arg]
        **service_env,
        **ISSUER.env(),
        http_port=port,
        console_poll_seconds=1.0,
        attachments_dir=tmp_path / "blobs",
    )
    async with served(create_app(settings, availability=STOCK), port, "claims") as base:
        yield base


def operator() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


async def marketing_page(browser: Browser, lang: str = "en") -> Page:
    token = ISSUER.token(
        ["back-office"],
        subject="marco",
        name="Marco Gallo",
        preferred_username="marco",
        team="marketing",
    )
    return await signed_in_page(
        browser, token, height=1000, locale="it-IT" if lang == "it" else None
    )


async def bought(servers: Servers, namespace: str, order_id: str) -> None:
    at = datetime.now(UTC) - timedelta(days=40)
    env = {"source": "shop", "order_id": order_id, "customer_id": "C-5"}
    placed = OrderPlaced(
        **env,
        event_id=f"{order_id}-placed",
        occurred_at=at - timedelta(days=2),
        total_cents=4990,
        currency="EUR",
        items=(OrderItem(product_id="TRN-2040", quantity=1, unit_price_cents=4990),),
    )
    delivered = OrderDelivered(**env, event_id=f"{order_id}-delivered", occurred_at=at)
    for event in (placed, delivered):
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def opened(
    client: httpx.AsyncClient, subject: str, team: str, person: str, **more: Any
) -> dict[str, Any]:
    """A claim the contact centre opened and handed to `person` of `team`, with a note."""
    body = {
        "customer_id": "C-5",
        "channel": "phone",
        "cluster": "warranty_replacement",
        "subject": subject,
        "assignee": {"person": "anna", "team": "contact_centre"},
        **more,
    }
    answer = await client.post("/v1/tickets", json=body)
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    handed = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/assign",
        json={"person": person, "team": team, "reason": "please look at the product"},
        headers={"If-Match": f'"{ticket["version"]}"'},
    )
    assert handed.status_code == 200, handed.text
    return handed.json()  # type: ignore[no-any-return]


async def test_a_marketing_user_works_a_claim_from_their_queue_to_a_decision(
    claims_url: str, browser: Browser, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    await bought(servers, namespace, "O-51")
    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        train = await opened(
            client,
            "The train does not move",
            "marketing",
            "marco",
            order_id="O-51",
            product_code="TRN-2040",
            priority="urgent",
        )
        later = await opened(client, "Missing instructions leaflet", "marketing", "giada")
        theirs = await opened(client, "Parcel never arrived", "logistics", "luca")

        async def purchase_known() -> bool:
            answer = await client.get(f"/v1/tickets/{train['ticket_id']}/warranty")
            return answer.json()["purchase"] is not None

        await eventually_async(purchase_known)

    page = await marketing_page(browser)
    errors = watch_errors(page)
    await page.goto(f"{claims_url}/console?lang=en")
    await expect(page.get_by_text("Signed in as Marco Gallo")).to_be_visible()
    rows = page.locator("#queue tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text(train["ticket_id"])  # urgent: the nearer deadline
    await expect(rows.first).to_contain_text("due in")
    await expect(rows.nth(1)).to_contain_text(later["ticket_id"])
    await expect(page.locator("#queue")).not_to_contain_text(theirs["ticket_id"])
    await screenshot(page, "back-office-queue-en", tmp_path, SCREENSHOTS)

    await page.get_by_role("button", name=f"Open ticket {train['ticket_id']}").focus()
    await page.keyboard.press("Enter")
    title = page.get_by_role(
        "heading", name=f"Ticket {train['ticket_id']}: The train does not move"
    )
    await expect(title).to_be_focused()
    chain = page.get_by_role("table", name="Chain of responsibles").locator("tbody tr")
    await expect(chain).to_have_count(2)
    await expect(chain.nth(0)).to_contain_text("contact centre")
    await expect(chain.nth(1)).to_contain_text("marco")
    await expect(chain.nth(1)).to_contain_text("please look at the product")
    await expect(page.get_by_text("Bought with order O-51")).to_be_visible()
    await screenshot(page, "back-office-ticket-en", tmp_path, SCREENSHOTS)

    checklist = page.locator("#checklist-form")
    tab = checklist.get_by_role("group", name="Has the battery's plastic isolating tab")
    await tab.get_by_label("Explains the fault").check()
    for question in ("Are all track pieces", "Are fresh batteries in", "Is there damage"):
        await checklist.get_by_role("group", name=question).get_by_label("Ruled out").check()
    await checklist.get_by_role("button", name="Record the checks").press("Enter")
    await expect(page.get_by_role("status")).to_contain_text(
        "Checks recorded: a user error (decided by isolating_tab). "
        "It points to: instructions sent (no fault found)."
    )

    instructions = tmp_path / "train-instructions.pdf"
    instructions.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    await page.get_by_label("Attach a file (instructions as a PDF, a photo)").set_input_files(
        instructions
    )
    await page.get_by_role("button", name="Attach", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(
        f"train-instructions.pdf attached to ticket {train['ticket_id']}."
    )
    await expect(page.locator(".files li")).to_have_text(
        re.compile(r"^train-instructions\.pdf \(application/pdf, \d+ B\), from marco, ")
    )

    await page.get_by_label("To team").select_option("marketing")
    await page.get_by_label("To person (their sign-in)").fill("giada")
    await page.get_by_label("Note for them").fill(
        "Tab left in: please send the train's instructions"
    )
    await page.get_by_role("button", name="Hand over").press("Enter")
    await expect(page.get_by_role("status")).to_contain_text(
        f"Ticket {train['ticket_id']} handed over to giada (marketing)."
    )
    await expect(chain).to_have_count(3)
    await expect(chain.nth(2)).to_contain_text("Tab left in: please send the train's instructions")

    decision = page.get_by_label("Decision", exact=True)
    await expect(decision).to_have_value("no_fault_found")  # what the checklist pointed to
    await expect(page.locator("#stock")).to_have_text(  # upgrades.toml: TRN- -> TRN-3000
        "TRN-2040 is out of stock at the shop. It has a better one: TRN-3000."
    )
    await page.get_by_label("Why (required)").fill(
        "The isolating tab was still in: instructions sent"
    )
    await screenshot(page, "back-office-decision-en", tmp_path, SCREENSHOTS)
    await page.get_by_role("button", name="Record the decision").press("Enter")
    await expect(page.get_by_role("status")).to_contain_text(
        f"Decision recorded on ticket {train['ticket_id']}: instructions sent (no fault found)."
    )
    await expect(page.locator(".facts")).to_contain_text("decided")

    await page.get_by_label("Words, a product code or a ticket id").fill("trains")
    await page.keyboard.press("Enter")
    found = page.locator("#search-results tbody tr")
    await expect(found).to_have_count(1)  # stemmed: trains finds the train; not luca's parcel
    await expect(found.first).to_contain_text(train["ticket_id"])
    await expect(found.first).to_contain_text("decided")

    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        now = (await client.get(f"/v1/tickets/{train['ticket_id']}")).json()
    assert [(c["kind"], c["by_subject"]) for c in now["timeline"][-3:]] == [
        ("checked", "marco"),
        ("assigned", "marco"),
        ("resolved", "marco"),
    ]
    assert now["decision"]["outcome"] == "no_fault_found"
    assert errors == [], "\n".join(errors)


async def test_a_claim_changed_since_it_was_opened_comes_back_as_it_is_now(
    claims_url: str, browser: Browser, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        claim = await opened(client, "Il trenino non parte", "marketing", "marco")

    page = await marketing_page(browser, "it")
    errors = watch_errors(page)
    await page.goto(f"{claims_url}/console")
    await page.get_by_role("button", name=f"Apri il ticket {claim['ticket_id']}").click()
    await expect(
        page.get_by_role(
            "heading", level=2, name=f"Ticket {claim['ticket_id']}: Il trenino non parte"
        )
    ).to_be_visible()

    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        asked = await client.post(
            f"/v1/tickets/{claim['ticket_id']}/wait",
            json={"waiting_for": "supplier", "reason": "chiesto al fornitore"},
            headers={"If-Match": f'"{claim["version"]}"'},
        )
        assert asked.status_code == 200, asked.text

    await page.get_by_label("Alla persona (il suo accesso)").fill("giada")
    await page.get_by_role("button", name="Passa", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Qualcuno ha cambiato questo ticket dopo che l'hai aperto: eccolo com'è ora."
    )
    await expect(page.locator(".facts")).to_contain_text("in attesa del fornitore")
    await expect(page.locator(".timeline")).to_contain_text("chiesto al fornitore")
    await screenshot(page, "back-office-changed-it", tmp_path, SCREENSHOTS)

    await page.get_by_label("Al team").select_option("marketing")
    await page.get_by_label("Alla persona (il suo accesso)").fill("giada")
    await page.get_by_role("button", name="Passa", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(
        f"Ticket {claim['ticket_id']} passato a giada (marketing)."
    )
    # the browser logs the refused request itself; nothing else went wrong
    assert errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ]


async def test_a_claim_waits_for_a_supplier_and_handed_back_leaves_the_queue(
    claims_url: str, browser: Browser, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        claim = await opened(client, "Remote car will not pair", "marketing", "marco")
    ticket_id = claim["ticket_id"]

    page = await marketing_page(browser)
    errors = watch_errors(page)
    await page.goto(f"{claims_url}/console?lang=en")
    await page.get_by_role("button", name=f"Open ticket {ticket_id}").click()
    await page.get_by_label("Wait for").select_option("supplier")
    await page.get_by_label("What you are waiting for (required)").fill("asked the maker")
    await page.get_by_role("button", name="Wait", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(
        f"Ticket {ticket_id} is waiting for a supplier."
    )
    await expect(page.locator("#queue tbody tr").first).to_contain_text("waiting for a supplier")

    await page.get_by_label("Why", exact=True).fill("the maker sent a new remote")
    await page.get_by_role("button", name="Resume").click()
    await expect(page.get_by_role("status")).to_have_text(f"Ticket {ticket_id} is open again.")

    await page.get_by_label("To person (their sign-in)").fill("anna")
    await page.get_by_label("Note for them").fill("new remote on its way: tell the customer")
    await page.get_by_role("button", name="Hand over").click()
    await expect(page.get_by_role("status")).to_have_text(
        f"Ticket {ticket_id} handed over to anna (contact centre); it has left your queue."
    )
    await expect(page.locator(".ticket-panel")).to_have_count(0)
    await expect(page.get_by_text("No claims here.")).to_be_visible()

    async with httpx.AsyncClient(base_url=claims_url, headers=operator()) as client:
        now = (await client.get(f"/v1/tickets/{ticket_id}")).json()
    assert [(c["kind"], c["by_subject"], c["reason"]) for c in now["timeline"][-3:]] == [
        ("waiting", "marco", "asked the maker"),
        ("resumed", "marco", "the maker sent a new remote"),
        ("assigned", "marco", "new remote on its way: tell the customer"),
    ]
    assert now["responsible"] == {"person": "anna", "team": "contact_centre"}
    assert errors == [], "\n".join(errors)
    await expect(page.get_by_role("button", name="Close the ticket")).to_have_count(0)

    token = ISSUER.token(["operator"], subject="anna", name="Anna Conti", team="contact_centre")
    anna = await signed_in_page(browser, token)
    await anna.goto(f"{claims_url}/console?lang=en")
    await anna.get_by_role("button", name=f"Open ticket {ticket_id}").click()
    await anna.get_by_label("Closed as").select_option("unresolved")
    await anna.get_by_label("Why (required when unresolved)").fill("customer keeps the old remote")
    await anna.get_by_role("button", name="Close the ticket").click()
    await expect(anna.get_by_role("status")).to_have_text(f"Ticket {ticket_id} closed, unresolved.")
    await expect(anna.locator(".facts")).to_contain_text("closed")

"""The operators' console signs in through the real identity provider: in Debian's chromium, an
operator opens chat's console, is sent to Keycloak's login page (authorization code + PKCE,
the realm's public `console` client), signs in as the demo operator giulia, and comes back to
the console signed in, the queue loaded with her token; Sign out forgets it. chat is a real
process on the real broker and database.

The console's origin is registered with the provider's console client first, as a deployment
registers its own (the realm lists 127.0.0.1:8006, the demo's): here chat listens on a free
port, and the token endpoint answers the page's request only from a registered origin."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from cc_testing import IdentityProvider, RunningService, free_ports, service_process

pytestmark = pytest.mark.infra

CHROMIUM = os.environ.get("CC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ADMIN = {"username": "admin", "password": "admin"}  # the local stack's and compose's default


@pytest.fixture
def chat(
    identity_provider: IdentityProvider, service_env: dict[str, str], tmp_path: Path
) -> Iterator[RunningService]:
    env = {**service_env, "CC_OIDC_ISSUER": identity_provider.issuer}
    with service_process("chat", free_ports(1)[0], env, tmp_path) as running:
        register_console_origin(identity_provider, running.url)
        yield running


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no chromium at {CHROMIUM}: make deps-debian installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def register_console_origin(provider: IdentityProvider, origin: str) -> None:
    """Add `origin` to the web origins of the realm's `console` client (admin REST API)."""
    base, realm = provider.issuer.split("/realms/")
    token = (
        httpx.post(
            f"{base}/realms/master/protocol/openid-connect/token",
            data={"grant_type": "password", "client_id": "admin-cli", **ADMIN},
            timeout=30,
        )
        .raise_for_status()
        .json()["access_token"]
    )
    admin = httpx.Client(
        base_url=f"{base}/admin/realms/{realm}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    with admin:
        client = admin.get("/clients", params={"clientId": "console"}).raise_for_status().json()[0]
        client["webOrigins"] = [*client["webOrigins"], origin]
        admin.put(f"/clients/{client['id']}", json=client).raise_for_status()


def test_an_operator_signs_in_to_the_console_through_the_identity_provider(
    chat: RunningService, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 640})
    page.goto(f"{chat.url}/console?lang=en")

    page.get_by_role("button", name="Sign in").click()
    page.locator("#username").fill("giulia")
    page.locator("#password").fill("demo")
    screenshots = Path(os.environ.get("CHAT_SCREENSHOTS_DIR") or tmp_path)
    page.screenshot(path=screenshots / "console-sign-in.png")
    page.locator("#kc-login").click()

    expect(page.get_by_text("Signed in as Giulia Russo")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("No contact requests are waiting.")).to_be_visible()
    assert "code=" not in page.url  # the code is gone from the address bar and history

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=15_000)
    assert page.evaluate("sessionStorage.getItem('cc-console-token')") is None

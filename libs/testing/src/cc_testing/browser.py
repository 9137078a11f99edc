"""Browser tests in Debian's chromium, driven by Playwright (no browser downloaded): the
`chromium` and `browser` fixtures (registered by the plugin), a service served by uvicorn for
the browser to reach, a console page signed in with a token, screenshots and the page's errors.

A console's sign-in keeps its token in the tab's sessionStorage (console.js); a signed-in page
gets a token there before the page loads, so the identity provider's login page is not driven
(tests-e2e's sign-in test drives it)."""

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright
from starlette.types import ASGIApp

CHROMIUM = os.environ.get("CC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CONSOLE_TOKEN_KEY = "cc-console-token"  # noqa: S105 (a storage key, not a secret: console.js keeps the token under it)


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


@asynccontextmanager
async def served(app: ASGIApp, port: int, name: str = "the service") -> AsyncIterator[str]:
    """The app on 127.0.0.1:`port` (its lifespan run) while inside; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), f"{name} stopped while starting"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def signed_in_page(
    browser: Browser,
    token: str,
    *,
    width: int = 1280,
    height: int = 800,
    locale: str | None = None,
) -> Page:
    """A new page whose console finds `token` as its sign-in's, valid for an hour."""
    stored = json.dumps({"access_token": token})
    viewport: ViewportSize = {"width": width, "height": height}
    context = (
        await browser.new_context(viewport=viewport, locale=locale)
        if locale
        else await browser.new_context(viewport=viewport)
    )
    await context.add_init_script(
        f"sessionStorage.setItem('{CONSOLE_TOKEN_KEY}', JSON.stringify("
        f"Object.assign({stored}, {{expires_at: Date.now() + 3600000}})))"
    )
    return await context.new_page()


async def screenshot(page: Page, name: str, tmp_path: Path, keep_in: str) -> None:
    """`name`.png of the whole page, in the directory the variable `keep_in` names (a
    service's docs, when refreshing them), else in the test's `tmp_path`."""
    directory = Path(os.environ.get(keep_in) or tmp_path)
    await page.screenshot(path=directory / f"{name}.png", full_page=True)


def watch_errors(page: Page) -> list[str]:
    """The page's script errors, failed loads and content-policy violations, as they come."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors

"""The consoles' shared browser side: the shared files and a service's own under
/console/static/, nothing else, no service file shadowing a shared one; and the page's policy."""

from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from cc_runtime.console import HTMX, console_static_router, content_policy


def console_app(own: Path) -> FastAPI:
    router = APIRouter(prefix="/console")
    router.include_router(console_static_router(own, {"mine.css": "text/css"}))
    app = FastAPI()
    app.include_router(router)
    return app


async def test_the_shared_files_and_the_services_own_are_served_and_nothing_else(
    tmp_path: Path,
) -> None:
    (tmp_path / "mine.css").write_text("body { color: black; }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not listed", encoding="utf-8")
    transport = httpx.ASGITransport(app=console_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        script = await client.get("/console/static/console.js")
        htmx = await client.get(f"/console/static/{HTMX}")
        mine = await client.get("/console/static/mine.css")
        unlisted = await client.get("/console/static/secret.txt")
        escape = await client.get("/console/static/..%2Fconsole.py")

    shipped = files("cc_runtime") / "console_static" / "console.js"
    assert (script.status_code, script.headers["content-type"]) == (
        200,
        "text/javascript; charset=utf-8",
    )
    assert script.content == shipped.read_bytes()
    assert htmx.status_code == 200
    assert (mine.status_code, mine.text) == (200, "body { color: black; }")
    assert [unlisted.status_code, escape.status_code] == [404, 404]


def test_a_services_file_may_not_shadow_a_shared_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"console\.js"):
        console_static_router(tmp_path, {"console.js": "text/javascript"})


def test_the_page_talks_only_to_itself_and_the_identity_provider() -> None:
    policy = content_policy("https://id.example/realms/contact-centre")
    assert "script-src 'self';" in policy
    assert "connect-src 'self' https://id.example;" in policy
    assert "frame-ancestors 'none'" in policy

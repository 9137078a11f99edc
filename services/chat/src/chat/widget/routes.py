"""Route -> file, for the widget: its script and stylesheet (public: they hold no data), and a
demo shop page with the one script tag a shop adds (`?session=` and `?lang=`), signing its
session as a shop does."""

import secrets
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from chat.settings import Settings
from chat.tokens import ShopSessions

STATIC = {"chat-widget.js": "text/javascript", "chat-widget.css": "text/css"}
DEMO_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)

templates = Environment(
    loader=PackageLoader("chat.widget", "templates"),
    autoescape=select_autoescape(["html"]),
)


def widget_files_router(settings: Settings, sessions: ShopSessions) -> APIRouter:
    router = APIRouter(prefix="/widget", tags=["widget"])

    @router.get("/demo", response_class=HTMLResponse, summary="A shop page with the widget")
    async def demo(
        session: Annotated[str | None, Query(max_length=200)] = None,
        lang: Annotated[str, Query(pattern="^(en|it)$")] = "en",
    ) -> HTMLResponse:
        session_id = session or f"S-demo-{secrets.token_hex(4)}"
        body = templates.get_template("demo.html").render(
            session=session_id,
            session_token=sessions.sign(session_id),  # the demo page plays the shop
            lang=lang,
            poll_seconds=settings.widget_poll_seconds,
        )
        return HTMLResponse(body, headers={"Content-Security-Policy": DEMO_POLICY})

    @router.get("/{name}", summary="The widget's script and stylesheet")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, detail=f"no widget file {name!r}")
        content = (files("chat.widget") / "static" / name).read_bytes()
        return Response(content, media_type=STATIC[name], headers={"Cache-Control": "max-age=300"})

    return router

"""What browsers get from a service: CORS for the configured origins only (the console's), and
security headers on every response (no MIME sniffing, no referrer; HTML never framed).

There is no cookie-authenticated write to protect from CSRF: people present a bearer token,
which a browser never attaches on its own to a cross-site request."""

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HTML_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                added = dict(SECURITY_HEADERS)
                if headers.get("content-type", "").startswith("text/html"):
                    added |= HTML_HEADERS
                for name, value in added.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def cors_origins(setting: str) -> list[str]:
    """`CC_CORS_ORIGINS`: comma-separated origins, e.g. `http://127.0.0.1:5173`."""
    return [origin.strip().rstrip("/") for origin in setting.split(",") if origin.strip()]


def protect_browsers(app: FastAPI, origins: Sequence[str]) -> None:
    """Add last, so that these wrap everything (a 401 still carries its CORS headers)."""
    app.add_middleware(SecurityHeaders)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["WWW-Authenticate"],
            allow_credentials=False,  # bearer tokens, never cookies
            max_age=600,
        )

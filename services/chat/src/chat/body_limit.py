"""Bodies refused for their size before they are read (HTTP 413): a declared Content-Length
over the limit is refused at once, and a body sent without one (chunked) is counted as it
arrives and refused the moment it goes over, so a route never holds more than the limit.

FastAPI reads a route's body before its dependencies run, so this sits in the route itself
(a route class): the request the route reads from is one whose stream stops at the limit."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message, Receive


def capped_route(limit: int, what: str = "message") -> type[APIRoute]:
    """A route class refusing bodies over `limit` bytes, declared or streamed."""

    class CappedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                declared = request.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > limit):
                    reason = f"a {what} body holds at most {limit} bytes; this one declares "
                    return JSONResponse({"detail": reason + declared}, status_code=413)
                return await handler(Request(request.scope, counted(request.receive, limit, what)))

            return capped

    return CappedRoute


def counted(receive: Receive, limit: int, what: str) -> Receive:
    """`receive`, refusing (413) once the body's chunks add up to more than `limit` bytes."""
    seen = 0

    async def next_message() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(
                    413, f"a {what} body holds at most {limit} bytes; this one sent more"
                )
        return message

    return next_message

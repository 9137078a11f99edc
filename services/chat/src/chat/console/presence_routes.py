"""Route -> use case, nothing more, for the console's presence control: the operator's choice
(online, away, offline), posted when it changes and again every `CHAT_HEARTBEAT_SECONDS` as the
heartbeat; the answer says what chat now knows of them (status, chats held of their seats)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal
from chat import assignment, presence
from chat.assignment import Seats
from chat.console.render import html, lang_of
from chat.presence import Presence

Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]


def console_presence_router(seats: Seats) -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"])

    @router.post("/presence", response_class=HTMLResponse, summary="Say online, away, offline")
    async def say(
        request: Request,
        status: Annotated[Presence, Form()],
        caller: CurrentPrincipal,
        lang: Lang = None,
    ) -> HTMLResponse:
        now = datetime.now(UTC)
        operator = await assignment.heartbeat(
            seats, caller.subject, status, caller.chat_seat_limit, caller.team, now
        )
        return html(
            "presence.html",
            lang_of(request, lang),
            presence_status=presence.status_at(operator, now, seats.timeout).value,
            open_chats=operator.open_chats,
            seat_limit=operator.seat_limit,
        )

    @router.get(
        "/presence", response_class=HTMLResponse, summary="What chat knows of me, read only"
    )
    async def mine(request: Request, caller: CurrentPrincipal, lang: Lang = None) -> HTMLResponse:
        # Polled with the chats: the seats taken change between heartbeats (an assignment).
        operator = await seats.operators.get(caller.subject)
        if operator is None:
            return HTMLResponse("")
        return html(
            "presence.html",
            lang_of(request, lang),
            presence_status=presence.status_at(operator, datetime.now(UTC), seats.timeout).value,
            open_chats=operator.open_chats,
            seat_limit=operator.seat_limit,
        )

    return router

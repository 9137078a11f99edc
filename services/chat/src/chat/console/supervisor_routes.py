"""Route -> use case, nothing more, for the supervisor's view: its page (public: no data), the
wallboard fragment htmx refreshes, the reassign step from the board, and the same step in the
JSON API. Only supervisors (403 for operators)."""

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from cc_runtime import WriteBy
from cc_runtime.console import content_policy
from chat.assignment import Seats
from chat.chats import ChatNotFound, Conversations
from chat.console.render import html, lang_of, templates
from chat.console.supervisor_view import board_view
from chat.console.supervisor_words import SUPERVISOR_WORDS
from chat.conversation import ChatRefused
from chat.desk_api import check_reachable
from chat.handlers import Desk, NotFound
from chat.queue import Refused
from chat.settings import Settings
from chat.supervision import assign_request, reassign_chat
from chat.wallboard import Targets, wallboard
from chat.wallboard_store import PostgresWallboard

templates.globals["supervisor_words"] = SUPERVISOR_WORDS
Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]


class ReassignBody(BaseModel):
    operator_id: str = Field(min_length=1, max_length=200)


class Assigned(BaseModel):
    request_id: str
    operator_id: str


class Reassigned(BaseModel):
    chat_id: str
    operator_id: str


async def board_notice(handing: Awaitable[None], chosen: str, **named: str) -> HTMLResponse:
    """The board's notice of a chat reassigned or a request handed on: refused with the
    reason, or done, and then the board refreshes."""
    try:
        await handing
    except HTTPException as refused:
        return html(
            "board_notice.html",
            chosen,
            status=refused.status_code,
            ok=False,
            reason=refused.detail,
            **named,
        )
    response = html("board_notice.html", chosen, status=200, ok=True, **named)
    response.headers["HX-Trigger"] = "board-changed"
    return response


def supervisor_routers(
    store: PostgresWallboard,
    seats: Seats,
    conversations: Conversations,
    desk: Desk,
    settings: Settings,
) -> list[APIRouter]:
    console = APIRouter(prefix="/console/supervisor", tags=["console"])
    api = APIRouter(prefix="/v1/supervisor", tags=["supervisor"])
    targets = Targets(
        answer_within=timedelta(seconds=settings.service_level_target_seconds),
        goal=settings.service_level_goal,
    )

    async def reassign(chat_id: str, operator_id: str, by: WriteBy) -> None:
        try:
            await check_reachable(seats, operator_id, by.at)
            await reassign_chat(conversations, chat_id, operator_id, by)
        except ChatNotFound as error:
            raise HTTPException(404, str(error)) from error
        except ChatRefused as error:
            raise HTTPException(409, str(error)) from error

    async def assign(request_id: str, operator_id: str, by: WriteBy) -> None:
        try:
            await check_reachable(seats, operator_id, by.at)
            await assign_request(desk, request_id, operator_id, by)
        except NotFound as error:
            raise HTTPException(404, str(error)) from error
        except Refused as error:
            raise HTTPException(409, str(error)) from error

    @console.get("", response_class=HTMLResponse, summary="The supervisor's view (its page)")
    async def page(request: Request, lang: Lang = None) -> HTMLResponse:
        response = html(
            "supervisor.html",
            lang_of(request, lang),
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            poll_seconds=settings.console_poll_seconds,
        )
        response.headers["Content-Security-Policy"] = content_policy(settings.oidc_issuer)
        return response

    @console.get("/board", response_class=HTMLResponse, summary="The wallboard, as HTML")
    async def board(request: Request, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        now = datetime.now(UTC)
        snapshot = await store.snapshot(now, targets.window, await seats.operators.all())
        shown = wallboard(snapshot, now, targets, seats.timeout)
        return html("board.html", chosen, board=board_view(shown, targets, now, chosen))

    @console.post(
        "/chats/{chat_id}/reassign", response_class=HTMLResponse, summary="Reassign a chat"
    )
    async def reassign_from_board(
        request: Request,
        chat_id: str,
        operator_id: Annotated[str, Form(min_length=1, max_length=200)],
        by: WriteBy,
        lang: Lang = None,
    ) -> HTMLResponse:
        return await board_notice(
            reassign(chat_id, operator_id, by),
            lang_of(request, lang),
            chat_id=chat_id,
            operator_id=operator_id,
        )

    @console.post(
        "/requests/{request_id}/assign", response_class=HTMLResponse, summary="Hand a request"
    )
    async def assign_from_board(
        request: Request,
        request_id: str,
        operator_id: Annotated[str, Form(min_length=1, max_length=200)],
        by: WriteBy,
        lang: Lang = None,
    ) -> HTMLResponse:
        return await board_notice(
            assign(request_id, operator_id, by),
            lang_of(request, lang),
            request_id=request_id,
            operator_id=operator_id,
        )

    @api.post("/requests/{request_id}/assign", summary="Hand a waiting request to an operator")
    async def assign_by_api(request_id: str, body: ReassignBody, by: WriteBy) -> Assigned:
        await assign(request_id, body.operator_id, by)
        return Assigned(request_id=request_id, operator_id=body.operator_id)

    @api.post("/chats/{chat_id}/reassign", summary="Reassign an open chat to an operator")
    async def reassign_by_api(chat_id: str, body: ReassignBody, by: WriteBy) -> Reassigned:
        await reassign(chat_id, body.operator_id, by)
        return Reassigned(chat_id=chat_id, operator_id=body.operator_id)

    return [console, api]

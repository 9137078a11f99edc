"""Route -> use case, nothing more: who the signed-in person is (/v1/me, the identity's
attributes as the identity provider gives them) and the contact-request queue: list it,
accept a request, decline one with a reason. A move the request's state refuses (another
operator was first, or it expired) is 409 with the reason and the request as it is now."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cc_runtime import CurrentPrincipal, WriteBy
from chat.handlers import Desk, NotFound, accept, decline, pass_offer
from chat.queue import ContactRequest, Refused
from chat.repository import ContactRequests
from chat.views import DeclineBody, QueueView, RequestView, request_view

MOVE: dict[str, Any] = {
    "response_model": RequestView,
    "responses": {
        404: {"description": "no such request"},
        409: {"description": "the request is no longer waiting: the reason and the request"},
    },
}


class Me(BaseModel):
    subject: str = Field(description="The person's one id in every event and report")
    username: str | None
    name: str | None
    roles: list[str] = Field(description="Granted roles with those they imply")
    team: str | None
    skills: list[str]
    languages: list[str]
    chat_seat_limit: int | None = Field(
        description="Chats the operator takes at once; null: the service's CHAT_SEAT_LIMIT"
    )
    extension: str | None
    pbx_agent_ids: list[str]


def me_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["identity"])

    @router.get("/me", summary="The signed-in person: roles, team, skills, seats, PBX ids")
    async def me(caller: CurrentPrincipal) -> Me:
        return Me(
            subject=caller.subject,
            username=caller.username,
            name=caller.name,
            roles=sorted(caller.roles),
            team=caller.team,
            skills=list(caller.skills),
            languages=list(caller.languages),
            chat_seat_limit=caller.chat_seat_limit,
            extension=caller.extension,
            pbx_agent_ids=list(caller.pbx_agent_ids),
        )

    return router


def queue_router(desk: Desk, requests: ContactRequests) -> APIRouter:
    router = APIRouter(prefix="/v1/contact-requests", tags=["contact requests"])

    @router.get("", summary="The live queue: waiting requests in the order to take them")
    async def live(limit: int = Query(100, ge=1, le=500)) -> QueueView:
        now = _now()
        waiting = await requests.live(now, limit)
        return QueueView(requests=[request_view(r, now) for r in waiting], at=now)

    @router.get(
        "/{request_id}",
        summary="A request in any state",
        responses={404: {"description": "no such request"}},
    )
    async def one(request_id: str) -> RequestView:
        found = await requests.get(request_id)
        if found is None:
            raise HTTPException(404, detail=f"no contact request {request_id!r}")
        return request_view(found, _now())

    @router.post("/{request_id}/accept", summary="Take the request (first operator wins)", **MOVE)
    async def accept_request(request_id: str, by: WriteBy) -> Any:
        return await _answer(request_id, requests, lambda: accept(desk, request_id, by))

    @router.post("/{request_id}/decline", summary="Decline the request with a reason", **MOVE)
    async def decline_request(request_id: str, body: DeclineBody, by: WriteBy) -> Any:
        return await _answer(
            request_id, requests, lambda: decline(desk, request_id, body.reason, by)
        )

    @router.post(
        "/{request_id}/offer/decline",
        summary="Decline the offer auto-assignment made you (the request goes to another)",
        **MOVE,
    )
    async def decline_offer(request_id: str, body: DeclineBody, by: WriteBy) -> Any:
        return await _answer(
            request_id, requests, lambda: pass_offer(desk, request_id, body.reason, by)
        )

    return router


async def _answer(
    request_id: str, requests: ContactRequests, move: Callable[[], Awaitable[ContactRequest]]
) -> Any:
    """The request after `move`, or the refusal: 404, or 409 with the reason and the request
    as it is now."""
    try:
        moved = await move()
    except NotFound as error:
        raise HTTPException(404, detail=str(error)) from None
    except Refused as refused:
        current = await requests.get(request_id)
        assert current is not None  # requests are never deleted
        return JSONResponse(
            {
                "detail": str(refused),
                "request": request_view(current, _now()).model_dump(mode="json"),
            },
            status_code=409,
        )
    return request_view(moved, _now())


def _now() -> datetime:
    return datetime.now(UTC)

"""Route -> use case, nothing more, for operator presence: an operator says online, away or
offline (the console repeats it every `CHAT_HEARTBEAT_SECONDS`: the heartbeat), and operators
see who is there with how many chats."""

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cc_runtime import CurrentPrincipal
from chat import assignment, presence
from chat.assignment import Seats
from chat.presence import Operator, Presence


class PresenceBody(BaseModel):
    status: Presence = Field(description="online, away or offline; sent again as a heartbeat")


class OperatorView(BaseModel):
    operator_id: str
    status: Presence = Field(description="Offline once the heartbeats stopped, whatever was said")
    team: str | None
    seat_limit: int
    open_chats: int
    free_seats: int
    last_seen: datetime


class OperatorsView(BaseModel):
    operators: list[OperatorView]


def operator_view(operator: Operator, seats: Seats, now: datetime) -> OperatorView:
    return OperatorView(
        operator_id=operator.operator_id,
        status=presence.status_at(operator, now, seats.timeout),
        team=operator.team,
        seat_limit=operator.seat_limit,
        open_chats=operator.open_chats,
        free_seats=presence.free_seats(operator),
        last_seen=operator.last_seen,
    )


def presence_router(seats: Seats) -> APIRouter:
    router = APIRouter(prefix="/v1/presence", tags=["presence"])

    @router.put("", summary="Say online, away or offline (and that the console is there)")
    async def say(body: PresenceBody, caller: CurrentPrincipal) -> OperatorView:
        now = datetime.now(UTC)
        operator = await assignment.heartbeat(
            seats, caller.subject, body.status, caller.chat_seat_limit, caller.team, now
        )
        return operator_view(operator, seats, now)

    @router.get("", summary="Every operator's presence and seats")
    async def everyone(caller: CurrentPrincipal) -> OperatorsView:
        now = datetime.now(UTC)
        found = await seats.operators.all()
        return OperatorsView(operators=[operator_view(o, seats, now) for o in found])

    return router

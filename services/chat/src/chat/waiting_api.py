"""Route -> use case, nothing more, for what a waiting customer is told and what they leave
when nobody is online: the widget asks for the wait (its chat token, when it has one, places
its chat in the queue), leaves a message (public, 422 with the reason), and operators list the
messages left and mark one answered."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from cc_runtime import WriteBy
from chat import assignment, left_messages
from chat.assignment import Seats
from chat.chat_api import limited
from chat.conversation import ChatState
from chat.left_messages import LeftMessage, LeftMessageRefused
from chat.rate_limit import Limiter
from chat.repository import Chats, LeftMessages
from chat.tokens import ChatTokens, TokenRefused


class WaitView(BaseModel):
    answered: bool = Field(description="An operator holds the chat (or it has ended): no wait")
    nobody_online: bool = Field(description="No operator online: offer to leave a message")
    minutes: int | None = Field(description="About how long until an operator answers")


class LeaveBody(BaseModel):
    contact: str = Field(max_length=200, description="An e-mail address or a phone number")
    text: str = Field(max_length=20000)
    name: str | None = Field(None, max_length=200)
    session_id: str | None = Field(None, max_length=200)
    message_id: str | None = Field(
        None, min_length=1, max_length=100, description="The widget's own id: sent again, kept once"
    )


class LeftMessageView(BaseModel):
    message_id: str
    name: str | None
    contact: str
    text: str
    left_at: datetime
    handled_by: str | None
    handled_at: datetime | None


class LeftMessagesView(BaseModel):
    messages: list[LeftMessageView] = Field(description="Not answered yet, oldest first")


def left_message_view(message: LeftMessage) -> LeftMessageView:
    return LeftMessageView(
        message_id=message.message_id,
        name=message.name,
        contact=message.contact,
        text=message.text,
        left_at=message.left_at,
        handled_by=message.handled_by,
        handled_at=message.handled_at,
    )


def waiting_router(
    seats: Seats,
    chats: Chats,
    tokens: ChatTokens,
    left: LeftMessages,
    limiter: Limiter,
    max_chars: int,
) -> APIRouter:
    router = APIRouter(tags=["widget"])

    async def client_limited(request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        await limited(lambda: limiter.client(address, datetime.now(UTC)))

    @router.get("/v1/widget/wait", summary="How long until an operator answers, or nobody online")
    async def wait(authorization: Annotated[str | None, Header()] = None) -> WaitView:
        started_at = None
        if authorization is not None:
            try:
                chat = await chats.get(tokens.chat_of_header(authorization))
            except TokenRefused as refused:
                raise HTTPException(
                    401, str(refused), headers={"WWW-Authenticate": "Chat"}
                ) from None
            if chat is not None and (chat.operator_id or chat.state is ChatState.ENDED):
                return WaitView(answered=True, nobody_online=False, minutes=None)
            started_at = chat.started_at if chat else None
        estimate = await assignment.wait_estimate(seats, started_at, datetime.now(UTC))
        return WaitView(
            answered=False, nobody_online=estimate.nobody_online, minutes=estimate.minutes
        )

    @router.post(
        "/v1/widget/left-messages",
        status_code=201,
        summary="Leave a message for operators",
        dependencies=[Depends(client_limited)],
    )
    async def leave(body: LeaveBody) -> LeftMessageView:
        try:
            message = left_messages.left(
                body.message_id or uuid.uuid4().hex,
                body.contact,
                body.text,
                body.name,
                body.session_id,
                max_chars,
                datetime.now(UTC),
            )
        except LeftMessageRefused as refused:
            raise HTTPException(422, str(refused)) from None
        await left.add(message)
        return left_message_view(message)

    @router.get("/v1/left-messages", summary="Messages customers left, not answered yet")
    async def unanswered(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> LeftMessagesView:
        found = await left.unhandled(limit)
        return LeftMessagesView(messages=[left_message_view(m) for m in found])

    @router.post("/v1/left-messages/{message_id}/answered", summary="Mark a message answered")
    async def answered(message_id: str, by: WriteBy) -> LeftMessageView:
        handled = await left.handle(message_id, by)
        if handled is None:
            raise HTTPException(404, f"no left message {message_id!r}")
        return left_message_view(handled)

    return router

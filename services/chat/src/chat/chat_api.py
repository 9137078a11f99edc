"""Route -> use case, nothing more, for live chat. Operators (bearer token) list their chats,
join a customer's, read and write messages and end the chat; the customer's widget starts a
chat or takes the one an operator opened for its shop session (public), then reads, writes,
ends and rates it with its chat token (`Authorization: Chat <token>`).

Refusals say why: 404 no such chat, 409 the chat's state refuses (ended, taken), 403 another
operator's chat (an operator reads only the chats they hold or held; supervisors read all),
422 an empty or too long message, 413 a body far too large to be one, 401 no valid chat token.
Reconnecting readers ask `?after=<last seq seen>` and get the rest in order."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response

from cc_runtime import SUPERVISOR, CurrentPrincipal, Principal, WriteBy
from cc_schemas import ChatParty
from chat import chats
from chat.body_limit import capped_route
from chat.chats import ChatNotFound, Conversations, Reader
from chat.conversation import ChatRefused, MessageRefused, NotYours
from chat.rate_limit import Limiter, RateLimited
from chat.repository import Chats
from chat.tokens import ChatTokens, ShopSessions, TokenRefused
from chat.views import (
    ChatsView,
    ChatTicket,
    ChatView,
    CsatBody,
    MessageBody,
    MessagesView,
    MessageView,
    StartBody,
    chat_view,
    message_view,
)

T = TypeVar("T")
After = Annotated[int, Query(ge=0, description="The last message number already seen")]
Limit = Annotated[int, Query(ge=1, le=500)]
REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such chat"},
    409: {"description": "the chat's state refuses the step (ended, taken): the reason"},
    413: {"description": "a body larger than the longest message could take, refused unread"},
    429: {"description": "too many calls from this chat or address: the reason, Retry-After"},
    422: {"description": "an empty or too long message, or a bad body: the reason"},
}


def operator_chats_router(conversations: Conversations) -> APIRouter:
    router = APIRouter(
        prefix="/v1/chats", tags=["chats"], route_class=capped_route(body_limit(conversations))
    )
    repository = conversations.chats

    @router.get("", summary="The operator's open chats, then customers' chats to take")
    async def mine(caller: CurrentPrincipal, limit: Limit = 100) -> ChatsView:
        found = await repository.open_for(caller.subject, limit, caller.team)
        return ChatsView(chats=[chat_view(c) for c in found])

    @router.get(
        "/{chat_id}/messages",
        summary="A chat and its messages after ?after= (its operators and supervisors)",
        responses={403: {"description": "another operator's chat: the reason"}},
    )
    async def read(
        chat_id: str, caller: CurrentPrincipal, after: After = 0, limit: Limit = 500
    ) -> MessagesView:
        chat, found = await answer(
            lambda: chats.read(conversations, chat_id, reader_of(caller), after, limit)
        )
        return MessagesView(chat=chat_view(chat), messages=[message_view(m) for m in found])

    @router.post("/{chat_id}/join", summary="Take a customer's chat (first operator wins)")
    async def join(chat_id: str, by: WriteBy) -> ChatView:
        return chat_view(await answer(lambda: chats.join(conversations, chat_id, by)))

    @router.post(
        "/{chat_id}/messages",
        status_code=201,
        summary="Write to the customer",
        responses=REFUSALS,
    )
    async def write(chat_id: str, body: MessageBody, by: WriteBy) -> MessageView:
        sent = await answer(
            lambda: chats.send(
                conversations, chat_id, ChatParty.AGENT, body.text, body.message_id, by, by.at
            )
        )
        return message_view(sent)

    @router.post("/{chat_id}/end", summary="End the chat", responses=REFUSALS)
    async def end(chat_id: str, by: WriteBy) -> ChatView:
        ended = await answer(lambda: chats.end(conversations, chat_id, ChatParty.AGENT, by, by.at))
        return chat_view(ended)

    return router


def reader_of(caller: Principal) -> Reader:
    return Reader(subject=caller.subject, supervisor=SUPERVISOR in caller.roles)


def widget_router(
    conversations: Conversations, tokens: ChatTokens, sessions: ShopSessions, limiter: Limiter
) -> APIRouter:
    router = APIRouter(
        prefix="/v1/widget", tags=["widget"], route_class=capped_route(body_limit(conversations))
    )
    repository = conversations.chats

    def customer_chat(authorization: Annotated[str | None, Header()] = None) -> str:
        try:
            return tokens.chat_of_header(authorization)
        except TokenRefused as refused:
            raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Chat"}) from None

    async def client_limited(request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        await limited(lambda: limiter.client(address, _now()))

    async def customer_chat_limited(chat_id: Annotated[str, Depends(customer_chat)]) -> str:
        await limited(lambda: limiter.chat(chat_id, _now()))
        return chat_id

    CustomerChat = Annotated[str, Depends(customer_chat)]
    CustomerWrite = Annotated[str, Depends(customer_chat_limited)]
    by_client = [Depends(client_limited)]

    @router.post(
        "/chats",
        status_code=201,
        summary="A customer starts a chat (anonymous)",
        dependencies=by_client,
        responses=REFUSALS,
    )
    async def start(body: StartBody | None = None) -> ChatTicket:
        session_id = body.session_id if body else None
        chat = await chats.start(conversations, session_id, _now())
        return ChatTicket(chat_id=chat.chat_id, token=tokens.sign(chat.chat_id))

    @router.get(
        "/invitation",
        summary="The chat an operator opened for this shop session, if any",
        response_model=ChatTicket,
        dependencies=by_client,
        responses={
            429: REFUSALS[429],
            204: {"description": "no open proactive chat for this session (yet)"},
            403: {"description": "not a session token the shop issued: the reason"},
        },
    )
    async def invitation(
        session_token: Annotated[
            str,
            Query(
                min_length=1,
                max_length=1000,
                description="The shop session id as the shop signed it (`data-session-token`)",
            ),
        ],
    ) -> Any:
        try:
            session_id = sessions.session_of(session_token)
        except TokenRefused as refused:
            raise HTTPException(403, str(refused)) from None
        chat = await repository.invitation(session_id)
        if chat is None:  # the widget asks again later: nothing is wrong
            return Response(status_code=204)
        return ChatTicket(chat_id=chat.chat_id, token=tokens.sign(chat.chat_id))

    @router.get("/messages", summary="The customer's chat and its messages after ?after=")
    async def read(chat_id: CustomerChat, after: After = 0, limit: Limit = 500) -> MessagesView:
        return await messages_of(repository, chat_id, after, limit)

    @router.post(
        "/messages",
        status_code=201,
        summary="Write to the operator",
        responses=REFUSALS,
    )
    async def write(chat_id: CustomerWrite, body: MessageBody) -> MessageView:
        sent = await answer(
            lambda: chats.send(
                conversations, chat_id, ChatParty.CUSTOMER, body.text, body.message_id, None, _now()
            )
        )
        return message_view(sent)

    @router.post("/end", summary="The customer ends the chat", responses=REFUSALS)
    async def end(chat_id: CustomerWrite) -> ChatView:
        ended = await answer(
            lambda: chats.end(conversations, chat_id, ChatParty.CUSTOMER, None, _now())
        )
        return chat_view(ended)

    @router.post("/csat", summary="The customer's satisfaction answer, once", responses=REFUSALS)
    async def csat(chat_id: CustomerWrite, body: CsatBody) -> ChatView:
        rated = await answer(
            lambda: chats.rate(conversations, chat_id, body.score, body.comment, _now())
        )
        return chat_view(rated)

    return router


async def messages_of(repository: Chats, chat_id: str, after: int, limit: int) -> MessagesView:
    """The customer's own chat (its token names it) and its messages after `after`."""
    chat = await repository.get(chat_id)
    if chat is None:
        raise HTTPException(404, f"no chat {chat_id!r}")
    if after > chat.customer_read_seq:  # asking after N: shown every message up to N
        await repository.mark_read(chat_id, ChatParty.CUSTOMER, after)
        chat = replace(chat, customer_read_seq=min(after, chat.last_seq))
    found = await repository.messages_after(chat_id, after, limit)
    return MessagesView(chat=chat_view(chat), messages=[message_view(m) for m in found])


async def answer(step: Callable[[], Awaitable[T]]) -> T:
    """The step's result, or its refusal as an HTTP error with the reason."""
    try:
        return await step()
    except ChatNotFound as error:
        raise HTTPException(404, str(error)) from None
    except ChatRefused as error:
        raise HTTPException(409, str(error)) from None
    except NotYours as error:
        raise HTTPException(403, str(error)) from None
    except MessageRefused as error:
        raise HTTPException(422, str(error)) from None


async def limited(check: Callable[[], Awaitable[None]]) -> None:
    try:
        await check()
    except RateLimited as refused:
        raise HTTPException(
            429, str(refused), headers={"Retry-After": str(refused.retry_after)}
        ) from None


def body_limit(conversations: Conversations) -> int:
    """The most bytes a message's body may take: twelve a character, the most one takes
    however it is written (an emoji as `\\ud83d\\ude00` in JSON, `%F0%9F%98%80` in a form),
    and room for the rest of the body."""
    return conversations.max_chars * 12 + 1024


def _now() -> datetime:
    return datetime.now(UTC)

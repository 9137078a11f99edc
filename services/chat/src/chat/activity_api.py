"""Route -> use case, nothing more, for typing signals: the widget and the console say, every
couple of seconds while keys are pressed, that their side is typing (204). The other side
learns it, and how far each side has read, from the message polls it already makes
(`customer_typing`, `agent_typing`, `customer_read_seq`, `agent_read_seq` on the chat)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response

from cc_runtime import CurrentPrincipal
from cc_schemas import ChatParty
from chat import chats
from chat.chat_api import answer
from chat.chats import Conversations
from chat.tokens import ChatTokens, TokenRefused


def activity_router(conversations: Conversations, tokens: ChatTokens) -> APIRouter:
    router = APIRouter(tags=["chats"])

    @router.post("/v1/chats/{chat_id}/typing", status_code=204, summary="The operator types")
    async def operator_typing(chat_id: str, caller: CurrentPrincipal) -> Response:
        await answer(
            lambda: chats.typing(
                conversations, chat_id, ChatParty.AGENT, caller.subject, datetime.now(UTC)
            )
        )
        return Response(status_code=204)

    @router.post("/v1/widget/typing", status_code=204, summary="The customer types")
    async def customer_typing(authorization: Annotated[str | None, Header()] = None) -> Response:
        try:
            chat_id = tokens.chat_of_header(authorization)
        except TokenRefused as refused:
            raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Chat"}) from None
        await answer(
            lambda: chats.typing(
                conversations, chat_id, ChatParty.CUSTOMER, None, datetime.now(UTC)
            )
        )
        return Response(status_code=204)

    return router

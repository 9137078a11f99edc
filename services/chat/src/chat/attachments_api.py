"""Route -> use case, for files in chats (photos and PDFs): either party sends one as a message
of the chat (multipart `file`), and only that chat's parties download it: the customer with
the chat's token, its operators (holding or having held it) and supervisors with theirs.

The content goes through `libs/attachments` as in claims: streamed to the store under the size
limit (a body declaring more is refused before it is read, one streaming more the moment it
goes over), typed from its content, kept once by sha256; downloads are saved by the browser,
never rendered (`Content-Disposition: attachment`, `nosniff`)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, UploadFile
from fastapi.responses import Response

from cc_attachments import Blob, BlobStore, TooLarge, download
from cc_runtime import CurrentPrincipal, WriteBy
from cc_schemas import ChatParty
from chat import chats
from chat.body_limit import capped_route
from chat.chat_api import REFUSALS, answer, limited, reader_of
from chat.chats import Conversations
from chat.conversation import Attachment, Message, UnsupportedFile, check_attachment
from chat.rate_limit import Limiter
from chat.tokens import ChatTokens, TokenRefused
from chat.views import MessageView, message_view

FORM_OVERHEAD = 16 * 1024  # the multipart form's own bytes around the file
FILE_REFUSALS = {
    **REFUSALS,
    413: {"description": "the file is over the limit (refused before it is read)"},
    415: {"description": "not a photo or a PDF, by its content"},
}


def attachment_routers(
    conversations: Conversations,
    blobs: BlobStore,
    limit: int,
    tokens: ChatTokens,
    limiter: Limiter,
) -> list[APIRouter]:
    capped = capped_route(limit + FORM_OVERHEAD, "file")
    operator = APIRouter(prefix="/v1/chats", tags=["chats"], route_class=capped)
    customer = APIRouter(prefix="/v1/widget", tags=["widget"], route_class=capped)

    def customer_chat(authorization: Annotated[str | None, Header()] = None) -> str:
        try:
            return tokens.chat_of_header(authorization)
        except TokenRefused as refused:
            raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Chat"}) from None

    CustomerChat = Annotated[str, Depends(customer_chat)]

    @operator.post(
        "/{chat_id}/attachments",
        status_code=201,
        summary="Send the customer a photo or PDF",
        responses=FILE_REFUSALS,
    )
    async def operator_sends(chat_id: str, file: UploadFile, by: WriteBy) -> MessageView:
        blob = await stored(blobs, file, limit)
        return message_view(
            await sent(
                lambda: chats.send_file(
                    conversations, chat_id, ChatParty.AGENT, blob, file.filename, by, by.at
                )
            )
        )

    @operator.get(
        "/{chat_id}/attachments/{attachment_id}",
        summary="Download a file of a chat (its operators and supervisors)",
        responses={403: {"description": "another operator's chat"}, 404: {"description": "none"}},
    )
    async def operator_downloads(
        chat_id: str, attachment_id: str, caller: CurrentPrincipal
    ) -> Response:
        await answer(lambda: chats.read(conversations, chat_id, reader_of(caller), 0, 1))
        return served(blobs, await found(conversations, chat_id, attachment_id))

    @customer.post(
        "/attachments",
        status_code=201,
        summary="Send the operator a photo or PDF",
        responses=FILE_REFUSALS,
    )
    async def customer_sends(chat_id: CustomerChat, file: UploadFile) -> MessageView:
        await limited(lambda: limiter.chat(chat_id, _now()))
        blob = await stored(blobs, file, limit)
        return message_view(
            await sent(
                lambda: chats.send_file(
                    conversations, chat_id, ChatParty.CUSTOMER, blob, file.filename, None, _now()
                )
            )
        )

    @customer.get(
        "/attachments/{attachment_id}",
        summary="Download a file of the customer's chat",
        responses={404: {"description": "no such file in this chat"}},
    )
    async def customer_downloads(chat_id: CustomerChat, attachment_id: str) -> Response:
        return served(blobs, await found(conversations, chat_id, attachment_id))

    return [operator, customer]


async def stored(blobs: BlobStore, file: UploadFile, limit: int) -> Blob:
    """The file in the store, if it is a photo or a PDF by its content (415 otherwise)."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(64 * 1024):
            yield chunk

    try:
        blob = await blobs.put(chunks(), limit)
    except TooLarge as error:
        raise HTTPException(413, str(error)) from None
    try:
        check_attachment(blob.content_type)
    except UnsupportedFile as error:
        # The same content is refused whoever sends it (its type is the content's), so no
        # chat can hold it: it goes at once.
        await blobs.delete(blob.sha256)
        raise HTTPException(415, str(error)) from None
    return blob


async def sent(step: Callable[[], Awaitable[Message]]) -> Message:
    return await answer(step)


async def found(conversations: Conversations, chat_id: str, attachment_id: str) -> Attachment:
    attachment = await conversations.chats.attachment(chat_id, attachment_id)
    if attachment is None:
        raise HTTPException(404, f"no file {attachment_id!r} in this chat")
    return attachment


def served(blobs: BlobStore, attachment: Attachment) -> Response:
    return download(
        blobs, attachment.sha256, attachment.content_type, attachment.filename, attachment.size
    )


def _now() -> datetime:
    return datetime.now(UTC)

"""Route -> use case, nothing more, for the console's chats: the list of the operator's open
chats and the customers' chats to take, one chat's panel (its conversation, a message box, End
chat), the new messages since the last one shown, and the operator's steps. Refusals (the chat
ended, another operator's, a message too long) are notices with the reason, never a failure."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal, WriteBy
from cc_schemas import ChatParty
from chat import chats
from chat.body_limit import capped_route
from chat.chat_api import body_limit, reader_of
from chat.chats import ChatNotFound, Conversations
from chat.console.chat_view import activity, chat_item, chat_panel, message_line
from chat.console.messages import MESSAGES
from chat.console.render import html, lang_of, notice
from chat.conversation import Chat, ChatRefused, ChatState, MessageRefused, NotYours
from chat.settings import Settings

T = TypeVar("T")
Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]
CHAT_CHANGED = "chat-changed"
CHATS_CHANGED = "chats-changed"


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def console_chats_router(conversations: Conversations, settings: Settings) -> APIRouter:
    router = APIRouter(  # message bodies over the limit are refused unread (413)
        prefix="/console/chats",
        tags=["console"],
        route_class=capped_route(body_limit(conversations)),
    )
    repository = conversations.chats

    @router.get("", response_class=HTMLResponse, summary="The operator's chats, as HTML")
    async def listing(
        request: Request, caller: CurrentPrincipal, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        found = await repository.open_for(caller.subject, 100, caller.team)
        return html("chats.html", chosen, items=[chat_item(c, chosen) for c in found])

    @router.get("/{chat_id}", response_class=HTMLResponse, summary="One chat's panel")
    async def panel(
        request: Request, chat_id: str, caller: CurrentPrincipal, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            chat, _ = await _refusals(
                lambda: chats.read(conversations, chat_id, reader_of(caller), 0, 1)
            )
        except Refusal as refusal:
            return _refused(refusal, chosen)
        return await render_panel(conversations, settings, chat, caller.subject, chosen)

    @router.get("/{chat_id}/messages", response_class=HTMLResponse, summary="New messages")
    async def since(
        request: Request,
        chat_id: str,
        caller: CurrentPrincipal,
        after: Annotated[int, Query(ge=0)] = 0,
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            chat, found = await _refusals(
                lambda: chats.read(conversations, chat_id, reader_of(caller), after, 500)
            )
        except Refusal as refusal:
            return _refused(refusal, chosen)
        return html(
            "chat_poll.html",
            chosen,
            chat_id=chat_id,
            lines=[message_line(m, caller.subject, chosen) for m in found],
            after=found[-1].seq if found else after,
            ended=chat.state is ChatState.ENDED,
            poll_seconds=settings.widget_poll_seconds,
            oob=True,
            activity=activity(chat, chosen, datetime.now(UTC)),
        )

    @router.post("/{chat_id}/messages", summary="Write to the customer; 204 once stored")
    async def write(
        request: Request,
        chat_id: str,
        text: Annotated[str, Form()],
        by: WriteBy,
        lang: Lang = None,
    ) -> Response:
        chosen = lang_of(request, lang)
        try:
            await _refusals(
                lambda: chats.send(conversations, chat_id, ChatParty.AGENT, text, None, by, by.at)
            )
        except Refusal as refusal:
            return _refused(refusal, chosen)
        return Response(status_code=204, headers={"HX-Trigger": CHAT_CHANGED})

    @router.post("/{chat_id}/join", response_class=HTMLResponse, summary="Take a customer's chat")
    async def join(request: Request, chat_id: str, by: WriteBy, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            chat = await _refusals(lambda: chats.join(conversations, chat_id, by))
        except Refusal as refusal:
            return _refused(refusal, chosen)
        response = await render_panel(conversations, settings, chat, by.subject, chosen)
        response.headers["HX-Trigger"] = CHATS_CHANGED
        return response

    @router.post("/{chat_id}/end", response_class=HTMLResponse, summary="End the chat")
    async def end(request: Request, chat_id: str, by: WriteBy, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            chat = await _refusals(
                lambda: chats.end(conversations, chat_id, ChatParty.AGENT, by, by.at)
            )
        except Refusal as refusal:
            return _refused(refusal, chosen)
        text = MESSAGES[chosen]["ended_notice"].format(customer=chat_item(chat, chosen).customer)
        return notice("ended", text, chosen, triggers=f"{CHAT_CHANGED}, {CHATS_CHANGED}")

    return router


async def render_panel(
    conversations: Conversations,
    settings: Settings,
    chat: Chat,
    operator_id: str,
    lang: str,
    oob: bool = False,
) -> HTMLResponse:
    """A chat's panel with every message so far; `oob` when it rides along another answer."""
    found = await conversations.chats.messages_after(chat.chat_id, 0, 500)
    return html(
        "chat.html",
        lang,
        panel=chat_panel(chat, operator_id, lang),
        chat_id=chat.chat_id,
        lines=[message_line(m, operator_id, lang) for m in found],
        after=found[-1].seq if found else 0,
        ended=chat.state is ChatState.ENDED,
        poll_seconds=settings.widget_poll_seconds,
        max_chars=conversations.max_chars,
        panel_oob=oob,
        oob=False,
        activity=activity(chat, lang, datetime.now(UTC)),
    )


async def _refusals(step: Callable[[], Awaitable[T]]) -> T:
    try:
        return await step()
    except ChatNotFound as error:
        raise Refusal(404, str(error)) from None
    except (ChatRefused, NotYours) as error:  # a 403 would read as a sign-in problem on the page
        raise Refusal(409, str(error)) from None
    except MessageRefused as error:
        raise Refusal(422, str(error)) from None


def _refused(refusal: Refusal, lang: str) -> HTMLResponse:
    text = MESSAGES[lang]["chat_refused"].format(reason=refusal)
    return notice("refused", text, lang, triggers=CHAT_CHANGED, status=refusal.status)

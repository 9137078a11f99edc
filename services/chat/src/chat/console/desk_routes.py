"""Route -> use case, nothing more, for the console's desk work on an open chat: the operators'
notes (never shown to the customer) with a box to add one, and the transfer to a colleague
whose console is there (online or away) or to a team, with a note for them."""

import contextlib
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal, Principal, WriteBy
from cc_schemas import ChatParty
from chat import chats, presence
from chat.assignment import Seats
from chat.canned import Canned, fill
from chat.chat_api import reader_of
from chat.chats import ChatNotFound, Conversations
from chat.console.chat_routes import CHAT_CHANGED, CHATS_CHANGED
from chat.console.messages import MESSAGES
from chat.console.render import html, lang_of, notice
from chat.conversation import ChatRefused, MessageRefused, NotYours
from chat.presence import Presence
from chat.repository import ContactRequests

Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]
REFUSALS = (ChatNotFound, ChatRefused, NotYours, MessageRefused)
HIDDEN_PANEL = '<section id="chat-panel" hx-swap-oob="true" hidden></section>'


async def transfer_targets(seats: Seats, me: str, lang: str) -> list[tuple[str, str]]:
    """Colleagues whose console is there, then every team known: (form value, label)."""
    now = datetime.now(UTC)
    t = MESSAGES[lang]
    everyone = await seats.operators.all()
    colleagues = [
        (
            f"operator:{o.operator_id}",
            t["to_operator"].format(
                operator=o.operator_id,
                status=t["presence_" + presence.status_at(o, now, seats.timeout)],
            ),
        )
        for o in everyone
        if o.operator_id != me and presence.status_at(o, now, seats.timeout) is not Presence.OFFLINE
    ]
    teams = sorted({o.team for o in everyone if o.team})
    return colleagues + [(f"team:{team}", t["to_team"].format(team=team)) for team in teams]


def console_desk_router(
    conversations: Conversations,
    seats: Seats,
    requests: ContactRequests,
    table: tuple[Canned, ...],
) -> APIRouter:
    router = APIRouter(prefix="/console/chats", tags=["console"])
    by_key = {c.key: c for c in table}

    async def values_for(chat_id: str, caller: Principal) -> dict[str, str | None]:
        """What chat knows to fill placeholders: the order of the request a proactive chat
        answers, the operator's name; no customer name (crm is not consulted yet)."""
        chat = await conversations.chats.get(chat_id)
        request = await requests.get(chat.request_id) if chat and chat.request_id else None
        return {
            "customer_name": None,
            "order_id": request.context.order_id if request else None,
            "operator_name": caller.name or caller.username,
        }

    async def render(request: Request, chat_id: str, me: str, lang: str) -> HTMLResponse:
        found = await conversations.chats.notes(chat_id)
        return html(
            "desk.html",
            lang,
            chat_id=chat_id,
            notes=[
                {"author": n.author, "time": n.written_at.strftime("%H:%M"), "text": n.text}
                for n in found
            ],
            targets=await transfer_targets(seats, me, lang),
            canned=[(c.key, c.title) for c in table],
            max_chars=conversations.max_chars,
        )

    @router.get("/{chat_id}/desk", response_class=HTMLResponse, summary="Notes and transfer")
    async def desk(
        request: Request, chat_id: str, caller: CurrentPrincipal, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            await chats.notes_of(conversations, chat_id, reader_of(caller))
        except REFUSALS as refused:
            return _refused(refused, chosen)
        return await render(request, chat_id, caller.subject, chosen)

    @router.post("/{chat_id}/notes", response_class=HTMLResponse, summary="Add a note")
    async def add_note(
        request: Request,
        chat_id: str,
        text: Annotated[str, Form()],
        caller: CurrentPrincipal,
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            await chats.write_note(
                conversations, chat_id, reader_of(caller), text, datetime.now(UTC)
            )
        except REFUSALS as refused:
            return _refused(refused, chosen)
        return await render(request, chat_id, caller.subject, chosen)

    @router.post(
        "/{chat_id}/canned",
        response_class=HTMLResponse,
        summary="A canned response filled for this chat, in the message box",
    )
    async def canned(
        request: Request,
        chat_id: str,
        key: Annotated[str, Form(max_length=50)],
        caller: CurrentPrincipal,
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        picked = by_key.get(key)
        if picked is None:
            return _refused(MessageRefused(f"no canned response {key!r}"), chosen)
        try:
            await chats.notes_of(conversations, chat_id, reader_of(caller))  # one of its operators
        except REFUSALS as refused:
            return _refused(refused, chosen)
        text = fill(picked.text, await values_for(chat_id, caller))
        return html(
            "message_box.html",
            chosen,
            chat_id=chat_id,
            max_chars=conversations.max_chars,
            prefill=text,
        )

    @router.post("/{chat_id}/typing", status_code=204, summary="The operator is typing")
    async def typing(chat_id: str, caller: CurrentPrincipal) -> Response:
        with contextlib.suppress(*REFUSALS):  # a signal: a refused one changes nothing shown
            await chats.typing(
                conversations, chat_id, ChatParty.AGENT, caller.subject, datetime.now(UTC)
            )
        return Response(status_code=204)

    @router.post("/{chat_id}/transfer", response_class=HTMLResponse, summary="Transfer")
    async def transfer(
        request: Request,
        chat_id: str,
        target: Annotated[str, Form(min_length=3, max_length=300)],
        by: WriteBy,
        note: Annotated[str, Form(max_length=20000)] = "",
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        kind, _, name = target.partition(":")
        to_agent = name if kind == "operator" else None
        to_team = name if kind == "team" else None
        t = MESSAGES[chosen]
        try:
            if to_agent is None and to_team is None:
                raise MessageRefused(f"no such transfer target {target!r}")
            await chats.transfer(conversations, chat_id, to_agent, to_team, note, by)
        except REFUSALS as refused:
            return _refused(refused, chosen)
        text = t["transferred"].format(target=to_agent or to_team)
        return notice(
            "transferred",
            text,
            chosen,
            triggers=f"{CHAT_CHANGED}, {CHATS_CHANGED}",
            extra=HIDDEN_PANEL,
        )

    return router


def _refused(refused: Exception, lang: str) -> HTMLResponse:
    status = (
        404
        if isinstance(refused, ChatNotFound)
        else 422
        if isinstance(refused, MessageRefused)
        else 409
    )
    text = MESSAGES[lang]["chat_refused"].format(reason=refused)
    return notice("refused", text, lang, triggers=CHAT_CHANGED, status=status)

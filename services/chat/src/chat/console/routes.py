"""Route -> use case, nothing more, for the console: the page, its static files, and the
fragments htmx swaps in. Refusals keep their status (409, 404, 422) with words to show."""

from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal, WriteBy
from cc_runtime.console import console_static_router, content_policy
from chat.chats import Conversations
from chat.console.chat_routes import render_panel
from chat.console.messages import CHANNELS, LANGUAGES, MESSAGES
from chat.console.render import html, lang_of, notice
from chat.console.rows import customer_of, row_of
from chat.handlers import Desk, NotFound, accept, decline, pass_offer
from chat.queue import ContactRequest, Refused
from chat.repository import ContactRequests
from chat.settings import Settings

STATIC = {"chat-console.js": "text/javascript", "chat-console.css": "text/css"}
LANGUAGE_NAMES = (("en", "English"), ("it", "Italiano"))
QUEUE_CHANGED = "queue-changed"
Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]


def console_router(
    desk: Desk, requests: ContactRequests, conversations: Conversations, settings: Settings
) -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"])
    router.include_router(console_static_router(files("chat.console") / "static", STATIC))

    @router.get("", response_class=HTMLResponse, summary="The operators' console (its page)")
    async def page(request: Request, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        response = html(
            "page.html",
            chosen,
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            poll_seconds=settings.console_poll_seconds,
            heartbeat_seconds=settings.heartbeat_seconds,
            left_poll_seconds=max(settings.console_poll_seconds, 10),
            pop_poll_seconds=settings.pop_poll_seconds,
            languages=LANGUAGE_NAMES,
        )
        response.headers["Content-Security-Policy"] = content_policy(settings.oidc_issuer)
        return response

    @router.get("/queue", response_class=HTMLResponse, summary="The live queue, as HTML")
    async def queue(request: Request, caller: CurrentPrincipal, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        now = datetime.now(UTC)
        waiting = await requests.live(now, 200)
        t = MESSAGES[chosen]
        return html(
            "queue.html",
            chosen,
            rows=[row_of(r, chosen, now, caller.subject) for r in waiting],
            caption=t["queue_count"].format(count=len(waiting)),
            updated=t["updated"].format(time=now.strftime("%H:%M:%S")),
        )

    @router.post(
        "/requests/{request_id}/accept",
        response_class=HTMLResponse,
        summary="Accept a request; the answer to show",
    )
    async def accept_request(
        request: Request, request_id: str, by: WriteBy, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        try:
            taken = await accept(desk, request_id, by)
        except (NotFound, Refused) as error:
            return _refusal(error, request_id, chosen)
        t = MESSAGES[chosen]
        text = t["accepted"].format(
            request_id=request_id,
            channel=CHANNELS[chosen][taken.channel],
            customer=customer_of(taken, chosen),
        )
        chat = await conversations.chats.of_request(request_id)
        if chat is None:  # a call-back or an e-mail
            return notice("accepted", text, chosen, triggers=QUEUE_CHANGED, more=t["accepted_next"])
        panel = await render_panel(conversations, settings, chat, by.subject, chosen, oob=True)
        return notice(
            "accepted",
            text,
            chosen,
            triggers=f"{QUEUE_CHANGED}, chats-changed",
            more=t["accepted_next_chat"],
            extra=bytes(panel.body).decode(),
        )

    @router.post("/decline", response_class=HTMLResponse, summary="Decline a request with a reason")
    async def decline_request(
        request: Request,
        request_id: Annotated[str, Form()],
        reason: Annotated[str, Form(min_length=1, max_length=500)],
        by: WriteBy,
        lang: Lang = None,
        offer: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        if offer:  # Pass on: the offer made to the operator, not the request
            try:
                await pass_offer(desk, request_id, reason, by)
            except (NotFound, Refused) as error:
                return _refusal(error, request_id, chosen)
            text = MESSAGES[chosen]["passed"].format(request_id=request_id, reason=reason.strip())
            return notice("declined", text, chosen, triggers=QUEUE_CHANGED)
        try:
            declined: ContactRequest = await decline(desk, request_id, reason, by)
        except (NotFound, Refused) as error:
            return _refusal(error, request_id, chosen)
        text = MESSAGES[chosen]["declined"].format(
            request_id=request_id, reason=declined.decline_reason
        )
        return notice("declined", text, chosen, triggers=QUEUE_CHANGED)

    return router


def _refusal(error: Exception, request_id: str, lang: str) -> HTMLResponse:
    t = MESSAGES[lang]
    if isinstance(error, NotFound):
        text = t["not_found"].format(request_id=request_id)
        return notice("refused", text, lang, triggers=QUEUE_CHANGED, status=404)
    text = t["refused"].format(request_id=request_id, reason=error)
    return notice("refused", text, lang, triggers=QUEUE_CHANGED, status=409)


assert set(LANGUAGES) == {code for code, _ in LANGUAGE_NAMES}

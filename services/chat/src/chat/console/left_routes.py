"""Route -> use case, nothing more, for the console's messages left while nobody was online:
the list of those not answered yet, and marking one answered (the operator answers by e-mail
or phone, outside the console)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal, WriteBy
from chat.console.messages import MESSAGES
from chat.console.render import html, lang_of, notice
from chat.left_messages import LeftMessage
from chat.repository import LeftMessages

Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]
LEFT_CHANGED = "left-changed"


def console_left_router(left: LeftMessages) -> APIRouter:
    router = APIRouter(prefix="/console/left-messages", tags=["console"])

    @router.get("", response_class=HTMLResponse, summary="Messages left, not answered yet")
    async def listing(
        request: Request, caller: CurrentPrincipal, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        found = await left.unhandled(100)
        return html("left_messages.html", chosen, items=[_item(m, chosen) for m in found])

    @router.post("/{message_id}/answered", response_class=HTMLResponse, summary="Answered")
    async def answered(
        request: Request, message_id: str, by: WriteBy, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        handled = await left.handle(message_id, by)
        if handled is None:
            text = MESSAGES[chosen]["chat_refused"].format(reason=f"no message {message_id!r}")
            return notice("refused", text, chosen, triggers=LEFT_CHANGED, status=404)
        text = MESSAGES[chosen]["left_answered"].format(contact=handled.contact)
        return notice("answered", text, chosen, triggers=LEFT_CHANGED)

    return router


def _item(message: LeftMessage, lang: str) -> dict[str, str]:
    t = MESSAGES[lang]
    heading = t["left_from"].format(
        name=message.name or t["left_someone"],
        contact=message.contact,
        time=message.left_at.strftime("%d/%m %H:%M"),
    )
    return {
        "message_id": message.message_id,
        "heading": heading,
        "text": message.text,
        "label": t["mark_answered_label"].format(contact=message.contact),
    }

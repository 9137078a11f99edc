"""Route -> use case, nothing more, for the console's screen pop: the signed-in operator's
latest call (polled every `CHAT_POP_POLL_SECONDS`) and the manual search of crm's customers
when the caller is unknown or ambiguous, asked with the operator's own token."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal
from chat.console.pop_view import card_of, pop_view
from chat.console.pop_words import POP_WORDS
from chat.console.render import html, lang_of
from chat.crm_search import CrmSearch, SearchFailed
from chat.pop_store import Pops
from chat.screen_pop import shown_to

Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]


def console_pop_router(pops: Pops, crm: CrmSearch) -> APIRouter:
    router = APIRouter(prefix="/console/pop", tags=["console"])

    @router.get("", response_class=HTMLResponse, summary="The operator's screen pop, as HTML")
    async def pop(request: Request, caller: CurrentPrincipal, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        latest = await pops.latest_for(caller.subject)
        view = pop_view(latest, chosen) if latest and shown_to(latest, caller.subject) else None
        return html("pop.html", chosen, view=view, w=POP_WORDS[chosen])

    @router.get("/search", response_class=HTMLResponse, summary="crm's customers, as HTML")
    async def search(
        request: Request,
        q: Annotated[str, Query(min_length=2, max_length=200)],
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        w = POP_WORDS[chosen]
        try:
            hits = await crm.customers(q, request.headers["authorization"])
        except SearchFailed as error:
            failed = w["search_failed"].format(reason=error)
            return html("pop_hits.html", chosen, failed=failed, cards=[], q=q, w=w)
        cards = [card_of(h.customer, chosen, tuple(h.matched_by)) for h in hits]
        return html("pop_hits.html", chosen, failed="", cards=cards, q=q, w=w)

    return router

"""Route -> use case for the customer's claim page: `GET /claim?token=...` shows the claim in
customer words; `POST /claim/messages?token=...` takes their message (a plain form: the page
works without JavaScript) and answers with a redirect back to the page. The signed link in the
query is the only credential (no cookie, so no cross-site request can borrow one)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cc_attachments import BlobStore
from cc_schemas import Actor
from claims.api import refuse_oversized, store_upload
from claims.customer.links import LinkRefused, LinkSigner
from claims.customer.words import LANGUAGES, language_of, state_words, steps
from claims.domain import LIVE, State, customer_wrote
from claims.handlers import Claims, Conflict, NotFound, act
from claims.repository import PostgresAttachments, PostgresTickets

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
NAMES = (("it", "Italiano"), ("en", "English"))
TEXT = {
    "it": {
        "title": "La tua richiesta",
        "language": "Lingua",
        "history": "Cosa è successo",
        "asked": "Ti abbiamo chiesto",
        "write": "Scrivici (risposta, dettagli, domande)",
        "send": "Invia",
        "sent": "Messaggio ricevuto: grazie.",
        "closed": "Questa richiesta è chiusa: per altro, contattaci dal negozio.",
        "empty": "Scrivi un messaggio prima di inviarlo.",
        "photo": "Aggiungi una foto (del danno, dello scontrino)",
        "upload": "Invia la foto",
        "too_large": "La foto è troppo grande (al massimo 10 MB).",
        "not_a_photo": "Questo file non è una foto (JPEG, PNG, WebP, HEIC...).",
    },
    "en": {
        "title": "Your claim",
        "language": "Language",
        "history": "What has happened",
        "asked": "We asked you",
        "write": "Write to us (an answer, details, questions)",
        "send": "Send",
        "sent": "Message received: thank you.",
        "closed": "This claim is closed: for anything else, contact us from the shop.",
        "empty": "Write a message before sending it.",
        "photo": "Add a photo (of the damage, of the receipt)",
        "upload": "Send the photo",
        "too_large": "The photo is too large (10 MB at most).",
        "not_a_photo": "This file is not a photo (JPEG, PNG, WebP, HEIC...).",
    },
}
Token = Annotated[str, Query(max_length=512)]
Lang = Annotated[str | None, Query(max_length=5)]
MESSAGE_LIMIT = 2000
PHOTO_LIMIT = 10 * 1024 * 1024


def customer_page_routes(
    claims: Claims,
    tickets: PostgresTickets,
    links: LinkSigner,
    files: tuple[PostgresAttachments, BlobStore],
) -> APIRouter:
    router = APIRouter(tags=["customer"])

    def render(request: Request, lang: str, status: int = 200, **page: Any) -> HTMLResponse:
        context = {"lang": lang, "t": TEXT[lang], "languages": NAMES, "token": "", **page}
        return TEMPLATES.TemplateResponse(request, "claim.html", context, status_code=status)

    async def page_of(request: Request, token: str, lang: str, sent: bool) -> HTMLResponse:
        try:
            ticket_id = links.ticket_of(token)
        except LinkRefused as refused:
            return render(request, lang, 401, error=str(refused) if lang == "en" else _it(refused))
        stored = await tickets.get(ticket_id)
        if stored is None:
            return render(request, lang, 404, error=TEXT[lang]["closed"])
        history = await tickets.history(ticket_id)
        outcome = stored.ticket.decision.outcome if stored.ticket.decision else None
        waiting = stored.ticket.state is State.PENDING_CUSTOMER
        question = next((c.reason for c in reversed(history) if c.kind == "waiting"), None)
        return render(
            request,
            lang,
            token=token,
            ticket_id=ticket_id,
            subject=stored.details.subject,
            state=state_words(stored.ticket.state, lang),
            steps=[
                replace(step, at=step.at.astimezone(claims.calendar.zone))
                for step in steps(history, outcome, lang)
            ],
            question=question if waiting else None,
            can_write=stored.ticket.state in LIVE,
            sent=sent,
        )

    @router.get(
        "/claim",
        summary="The customer's page of their claim (signed link)",
        response_class=HTMLResponse,
    )
    async def claim_page(
        request: Request, token: Token = "", lang: Lang = None, sent: bool = False
    ) -> HTMLResponse:
        language = language_of(lang, request.headers.get("accept-language"))
        return await page_of(request, token, language, sent)

    @router.post("/claim/messages", summary="The customer writes (answers a question: open again)")
    async def claim_message(
        request: Request,
        token: Token = "",  # none is a link refused (401), not a malformed request
        message: Annotated[str, Form(max_length=MESSAGE_LIMIT)] = "",
        lang: Lang = None,
    ) -> Response:
        language = language_of(lang, request.headers.get("accept-language"))
        try:
            ticket_id = links.ticket_of(token)
        except LinkRefused as refused:
            return render(
                request, language, 401, error=str(refused) if language == "en" else _it(refused)
            )
        text = message.strip()
        if not text:
            return render(request, language, 422, error=TEXT[language]["empty"])
        customer = Actor(subject=f"customer:{ticket_id}", role="customer")
        for _ in range(3):  # the customer holds no version: take the current one, again if beaten
            stored = await tickets.get(ticket_id)
            if stored is None:
                return render(request, language, 404, error=TEXT[language]["closed"])
            if stored.ticket.state not in LIVE:
                return render(request, language, 409, error=TEXT[language]["closed"])
            now = datetime.now(UTC)
            try:
                await act(
                    claims,
                    ticket_id,
                    stored.ticket.version,
                    lambda t, now=now: customer_wrote(t, text, now),  # type: ignore[misc]
                    customer,
                )
                break
            except Conflict:
                continue
            except NotFound:
                return render(request, language, 404, error=TEXT[language]["closed"])
        query = urlencode({"token": token, "lang": language, "sent": "true"})
        return RedirectResponse(f"../claim?{query}", status_code=303)

    @router.post("/claim/photos", summary="The customer adds a photo (a plain multipart form)")
    async def claim_photo(
        request: Request, photo: UploadFile | None = None, token: Token = "", lang: Lang = None
    ) -> Response:
        language = language_of(lang, request.headers.get("accept-language"))
        try:
            ticket_id = links.ticket_of(token)
        except LinkRefused as refused:
            return render(
                request, language, 401, error=str(refused) if language == "en" else _it(refused)
            )
        if photo is None:  # the link first: without one, a 401 says nothing about the form
            return render(request, language, 422, error=TEXT[language]["not_a_photo"])
        attachments, blobs = files
        stored = await tickets.get(ticket_id)
        if stored is None or stored.ticket.state not in LIVE:
            return render(request, language, 409, error=TEXT[language]["closed"])
        try:
            refuse_oversized(request, PHOTO_LIMIT)
            blob = await store_upload(blobs, photo, PHOTO_LIMIT)
        except HTTPException as refused:
            return render(request, language, refused.status_code, error=TEXT[language]["too_large"])
        if not blob.content_type.startswith("image/"):
            return render(request, language, 415, error=TEXT[language]["not_a_photo"])
        await attachments.add(
            ticket_id, blob, photo.filename or "photo", "customer", datetime.now(UTC)
        )
        query = urlencode({"token": token, "lang": language, "sent": "true"})
        return RedirectResponse(f"../claim?{query}", status_code=303)

    @router.post(
        "/v1/tickets/{ticket_id}/customer-link",
        summary="A signed link to the customer's page of this claim, to send them",
        responses={404: {"description": "no such ticket"}},
    )
    async def customer_link(ticket_id: str) -> dict[str, Any]:
        if await tickets.get(ticket_id) is None:
            raise HTTPException(404, detail=f"no ticket {ticket_id!r}")
        url, expires = claims.customer_link(ticket_id)
        return {"url": url, "expires_at": expires}

    return router


def _it(refused: LinkRefused) -> str:
    expired = "expired" in str(refused)
    return (
        "Questo link è scaduto: chiedicene uno nuovo." if expired else "Questo link non è valido."
    )


__all__ = ["LANGUAGES", "customer_page_routes"]

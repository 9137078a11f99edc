"""Route -> API call -> HTML, for the back-office screen: the page, its static files, and the
fragments htmx swaps in (a queue, search results, a ticket, and the answers to hand-over,
checklist and decision). Each fragment asks claims' JSON API in-process (ASGI), with the
caller's Authorization and If-Match, so the screen is one more client of the API."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Header, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from cc_runtime import CurrentPrincipal
from cc_runtime.console import console_static_router, content_policy
from cc_schemas import ClaimOutcome, Team
from claims.console.render import deadline, html, if_match, lang_of, reason_of, refusal, when
from claims.console.words import WORDS
from claims.handlers import SUGGESTED
from claims.settings import Settings
from claims.warranty import Verdict

STATIC = {"claims-console.css": "text/css"}
LANGUAGE_NAMES = (("en", "English"), ("it", "Italiano"))
VIEWS = ("team", "mine", "unassigned", "pending", "all")
OUTCOMES = [o.value for o in ClaimOutcome if o is not ClaimOutcome.NONE]
TEAMS = [t.value for t in Team]
QUEUE_CHANGED = "queue-changed"
Lang = Annotated[str | None, Query(description="en or it; else the browser's language")]
IfMatch = Annotated[str, Header(alias="If-Match", description='The version shown, e.g. `"3"`.')]


@asynccontextmanager
async def api(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """Claims' own API, reached in-process with the caller's bearer token."""
    transport = httpx.ASGITransport(app=request.app)
    headers = {"Authorization": request.headers.get("authorization", "")}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://claims", headers=headers, follow_redirects=True
    ) as client:
        yield client


def me_router() -> APIRouter:
    """`GET /v1/me`, which console.js asks to say who is signed in."""
    router = APIRouter(prefix="/v1", tags=["identity"])

    @router.get("/me", summary="The signed-in person: name, roles and team")
    async def me(caller: CurrentPrincipal) -> dict[str, Any]:
        return {
            "subject": caller.subject,
            "username": caller.username,
            "name": caller.name,
            "roles": sorted(caller.roles),
            "team": caller.team,
        }

    return router


def console_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"])
    router.include_router(console_static_router(files("claims.console") / "static", STATIC))
    zone = ZoneInfo(settings.zone)

    @router.get("", response_class=HTMLResponse, summary="The back-office screen (its page)")
    async def page(request: Request, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        response = html(
            "page.html",
            chosen,
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            poll_seconds=settings.console_poll_seconds,
            languages=LANGUAGE_NAMES,
            views=VIEWS,
        )
        response.headers["Content-Security-Policy"] = content_policy(settings.oidc_issuer)
        return response

    @router.get("/queue", response_class=HTMLResponse, summary="A queue, as HTML")
    async def queue(
        request: Request, caller: CurrentPrincipal, view: str = "team", lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        params = {"view": view if view in VIEWS else "team", "limit": "50"}
        if params["view"] == "team" and caller.team:
            params["team"] = caller.team
        async with api(request) as client:
            answer = await client.get("/v1/tickets", params=params)
        if answer.status_code != 200:
            return refusal(_refused(answer, chosen), chosen, answer.status_code)
        found = answer.json()["tickets"]
        t = WORDS[chosen]
        return _rows(chosen, found, str(t["queue_count"]).format(count=len(found)))

    @router.get("/search", response_class=HTMLResponse, summary="Search results, as HTML")
    async def search(
        request: Request,
        q: Annotated[str, Query(max_length=200)] = "",
        lang: Lang = None,
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        async with api(request) as client:
            answer = await client.get("/v1/search/tickets", params={"q": q, "limit": "50"})
        if answer.status_code != 200:
            return refusal(_refused(answer, chosen), chosen, answer.status_code)
        found = answer.json()
        t = WORDS[chosen]
        return _rows(chosen, found, str(t["results_for"]).format(count=len(found), q=q))

    @router.get(
        "/tickets/{ticket_id}", response_class=HTMLResponse, summary="A ticket's panel, as HTML"
    )
    async def ticket(request: Request, ticket_id: str, lang: Lang = None) -> HTMLResponse:
        chosen = lang_of(request, lang)
        async with api(request) as client:
            return await _panel(client, ticket_id, chosen)

    @router.post(
        "/tickets/{ticket_id}/assign",
        response_class=HTMLResponse,
        summary="Hand the ticket over with a note; the panel as it is now",
    )
    async def assign(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        body = {
            "team": form.get("team"),
            "person": _text(form.get("person")),
            "reason": _text(form.get("reason")),
        }
        t = WORDS[chosen]
        words = {"ticket_id": ticket_id, "person": body["person"]}
        words["team"] = t["teams"].get(str(body["team"]), body["team"])
        async with api(request) as client:
            answer = await _command(client, ticket_id, "assign", body, if_match_header)
            if answer.status_code != 200:
                return await _not_done(client, ticket_id, answer, chosen, if_match_header)
            shown = await _panel(
                client, ticket_id, chosen, notice=str(t["handed_over"]).format(**words)
            )
        if shown.status_code == 403:  # handed to another team: no longer theirs to see
            return html(
                "handed_away.html",
                chosen,
                headers={"HX-Trigger": QUEUE_CHANGED},
                text=str(t["handed_away"]).format(**words),
            )
        shown.headers["HX-Trigger"] = QUEUE_CHANGED
        return shown

    @router.post(
        "/tickets/{ticket_id}/warranty-check",
        response_class=HTMLResponse,
        summary="Record the walked checklist; the panel with the verdict",
    )
    async def check(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        answers = {
            key.removeprefix("check-"): str(value)
            for key, value in form.multi_items()
            if key.startswith("check-")
        }
        async with api(request) as client:
            answer = await _command(
                client, ticket_id, "warranty-check", {"answers": answers}, if_match_header
            )
            if answer.status_code != 200:
                return await _not_done(client, ticket_id, answer, chosen, if_match_header)
            verdict = answer.json()
            shown = await _panel(
                client,
                ticket_id,
                chosen,
                notice=_verdict(verdict, chosen),
                suggested=verdict.get("suggested_outcome"),
            )
        shown.headers["HX-Trigger"] = QUEUE_CHANGED
        return shown

    @router.post(
        "/tickets/{ticket_id}/resolve",
        response_class=HTMLResponse,
        summary="Record a decision and why; the panel as it is now",
    )
    async def resolve(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        body: dict[str, Any] = {
            "outcome": form.get("outcome"),
            "reason": _text(form.get("reason")),
            "take_back": form.get("take_back") == "yes",
        }
        for optional in ("replacement_product", "spare_part"):
            if value := _text(form.get(optional)):
                body[optional] = value
        t = WORDS[chosen]
        outcome = t["outcomes"].get(str(body["outcome"]), body["outcome"])
        said = str(t["decided"]).format(ticket_id=ticket_id, outcome=outcome)
        return await _worked(request, ticket_id, "resolve", body, if_match_header, chosen, said)

    @router.post(
        "/tickets/{ticket_id}/wait",
        response_class=HTMLResponse,
        summary="Wait for the customer, a team or a supplier, saying why; the panel as it is now",
    )
    async def wait(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        body = {"waiting_for": form.get("waiting_for"), "reason": _text(form.get("reason"))}
        t = WORDS[chosen]
        whom = t["waiting_for"].get(str(body["waiting_for"]), body["waiting_for"])
        said = str(t["waiting"]).format(ticket_id=ticket_id, whom=whom)
        return await _worked(request, ticket_id, "wait", body, if_match_header, chosen, said)

    @router.post(
        "/tickets/{ticket_id}/resume",
        response_class=HTMLResponse,
        summary="Back to work on the ticket; the panel as it is now",
    )
    async def resume(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        body = {"reason": _text(form.get("reason"))}
        said = str(WORDS[chosen]["resumed"]).format(ticket_id=ticket_id)
        return await _worked(request, ticket_id, "resume", body, if_match_header, chosen, said)

    @router.post(
        "/tickets/{ticket_id}/attachments",
        response_class=HTMLResponse,
        summary="Attach a file (instructions, a photo); the panel with it listed",
    )
    async def attach(
        request: Request, ticket_id: str, file: UploadFile, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        name = file.filename or "attachment"
        sent = {"file": (name, file.file, file.content_type or "application/octet-stream")}
        async with api(request) as client:
            answer = await client.post(f"/v1/tickets/{ticket_id}/attachments", files=sent)
            if answer.status_code != 201:
                return refusal(_refused(answer, chosen), chosen, answer.status_code)
            said = str(WORDS[chosen]["attached"]).format(name=name, ticket_id=ticket_id)
            return await _panel(client, ticket_id, chosen, notice=said)

    @router.post(
        "/tickets/{ticket_id}/close",
        response_class=HTMLResponse,
        summary="Close the ticket resolved or unresolved (operators); the panel as it is now",
    )
    async def close(
        request: Request, ticket_id: str, if_match_header: IfMatch, lang: Lang = None
    ) -> HTMLResponse:
        chosen = lang_of(request, lang)
        form = await request.form()
        body = {"resolution": form.get("resolution"), "reason": _text(form.get("reason"))}
        t = WORDS[chosen]
        how = t["resolutions"].get(str(body["resolution"]), body["resolution"])
        said = str(t["closed"]).format(ticket_id=ticket_id, how=how)
        return await _worked(request, ticket_id, "close", body, if_match_header, chosen, said)

    async def _worked(
        request: Request,
        ticket_id: str,
        action: str,
        body: dict[str, Any],
        version: str,
        lang: str,
        said: str,
    ) -> HTMLResponse:
        """The command sent as the API's client; the panel as it is now with `said`, else the
        refusal."""
        async with api(request) as client:
            answer = await _command(client, ticket_id, action, body, version)
            if answer.status_code != 200:
                return await _not_done(client, ticket_id, answer, lang, version)
            shown = await _panel(client, ticket_id, lang, notice=said)
        shown.headers["HX-Trigger"] = QUEUE_CHANGED
        return shown

    def _rows(lang: str, found: list[dict[str, Any]], caption: str) -> HTMLResponse:
        now = datetime.now(UTC)
        rows = [
            {**ticket, "countdown": deadline(ticket["sla_due_at"], now, lang)} for ticket in found
        ]
        updated = str(WORDS[lang]["updated"]).format(time=now.astimezone(zone).strftime("%H:%M:%S"))
        return html("queue.html", lang, rows=rows, caption=caption, updated=updated)

    async def _panel(
        client: httpx.AsyncClient,
        ticket_id: str,
        lang: str,
        notice: str | None = None,
        changed: bool = False,
        suggested: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """The ticket as it is now, with its warranty; `notice` said in the live region."""
        read = await client.get(f"/v1/tickets/{ticket_id}")
        if read.status_code != 200:
            return refusal(_refused(read, lang), lang, read.status_code)
        shown = read.json()
        cover = await client.get(f"/v1/tickets/{shown['ticket_id']}/warranty")
        warranty = cover.json() if cover.status_code == 200 else None
        stock = await client.get(f"/v1/tickets/{shown['ticket_id']}/replacement")
        attached = await client.get(f"/v1/tickets/{shown['ticket_id']}/attachments")
        me = await client.get("/v1/me")
        may_close = me.status_code == 200 and "operator" in me.json()["roles"]
        now = datetime.now(UTC)
        return html(
            "ticket.html",
            lang,
            status,
            ticket=shown,
            warranty=warranty,
            stock=stock.json() if stock.status_code == 200 else None,
            may_close=may_close,
            attachments=attached.json() if attached.status_code == 200 else [],
            countdown=deadline(shown["sla_due_at"], now, lang),
            if_match=if_match(shown["version"]),
            when=lambda at: when(at, lang, zone),
            notice=notice,
            changed=changed,
            suggested=suggested or _last_suggestion(warranty),
            outcomes=OUTCOMES,
            teams=TEAMS,
        )

    async def _not_done(
        client: httpx.AsyncClient,
        ticket_id: str,
        answer: httpx.Response,
        lang: str,
        sent_version: str,
    ) -> HTMLResponse:
        """A refused command: a ticket changed since it was shown comes back as it is now
        (409); any other refusal is said with the API's reason."""
        t = WORDS[lang]
        body = answer.json()
        current = body.get("ticket") if isinstance(body, dict) else None
        if answer.status_code == 409 and current and f'"{current["version"]}"' != sent_version:
            return await _panel(client, ticket_id, lang, str(t["changed"]), True, status=409)
        return refusal(_refused(answer, lang), lang, answer.status_code)

    return router


async def _command(
    client: httpx.AsyncClient, ticket_id: str, action: str, body: dict[str, Any], version: str
) -> httpx.Response:
    return await client.post(
        f"/v1/tickets/{ticket_id}/{action}", json=body, headers={"If-Match": version}
    )


def _refused(answer: httpx.Response, lang: str) -> str:
    t = WORDS[lang]
    try:
        reason = reason_of(answer.json())
    except ValueError:
        reason = answer.reason_phrase
    key = "not_yours" if answer.status_code == 403 else "refused"
    return str(t[key]).format(reason=reason)


def _verdict(answer: dict[str, Any], lang: str) -> str:
    t: dict[str, Any] = WORDS[lang]
    verdict = t["verdicts"].get(answer["verdict"], answer["verdict"])
    by = answer.get("decided_by")
    suggested = answer.get("suggested_outcome")
    return str(t["checks_done"]).format(
        verdict=verdict,
        decided_by=str(t["checks_decided_by"]).format(check=by) if by else "",
        suggested=t["outcomes"].get(suggested, suggested) if suggested else t["nothing_suggested"],
    )


def _last_suggestion(warranty: dict[str, Any] | None) -> str | None:
    """The decision the last walked checklist pointed to, for the decision form to offer."""
    checks = warranty["checks"] if warranty else []
    if not checks or checks[-1]["covered"] is None:
        return None
    return SUGGESTED[(Verdict(checks[-1]["verdict"]), checks[-1]["covered"])]


def _text(value: object) -> str | None:
    """A form field's text, None when left empty (the API then says what is missing)."""
    text = str(value).strip() if isinstance(value, str) else ""
    return text or None

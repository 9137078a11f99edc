"""Route -> use case, nothing more: open a claim, read it, act on it (assign, wait, resume,
resolve, close, reopen, merge), the queues, and the responsibles' time.

Commands carry `If-Match: "<version>"`, the version (ETag) of the ticket their caller read:
of two people acting on the same version exactly one wins, the other gets 409 with the ticket
as it is now. Without If-Match a command is 428."""

import base64
import binascii
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from cc_attachments import Blob, BlobStore, TooLarge, download
from cc_runtime import CurrentPrincipal
from cc_runtime.identity import Principal
from cc_schemas import Actor, ClaimOutcome, Event
from claims import domain
from claims.availability import Availability, first_in_stock
from claims.decisions import BadDecision, Fulfilment, order_commands
from claims.details import PRIORITY_RANK, Details, Stored, UnknownCluster
from claims.domain import Priority, Responsible, State
from claims.handlers import (
    AlsoPublish,
    Claims,
    Command,
    Conflict,
    NotFound,
    Warranty,
    act,
    check_warranty,
    open_claim,
    warranty_of,
)
from claims.repository import (
    PostgresAttachments,
    PostgresPurchases,
    PostgresTickets,
    QueueFilter,
    QueuePosition,
    TicketRepository,
)
from claims.responsibles import held_report
from claims.scope import OutOfScope, check_scope, confined_to
from claims.upgrades import Upgrades
from claims.views import (
    AssignBody,
    CheckAnswer,
    CheckBody,
    CheckView,
    CloseBody,
    HeldTime,
    MergeBody,
    OpenBody,
    ProductFeedback,
    PurchaseView,
    QueuePage,
    ReassignBody,
    Reassigned,
    ReopenBody,
    ReplacementView,
    ResolveBody,
    ResumeBody,
    TicketView,
    WaitBody,
    WarrantyAnswer,
    ticket_view,
)
from claims.warranty import IncompleteChecklist

MAX_PAGE = 100
FORM_OVERHEAD = 64 * 1024  # a multipart form's boundaries and headers around the file
PENDING_STATES = (State.PENDING_CUSTOMER, State.PENDING_TEAM, State.PENDING_SUPPLIER)
COMMAND: dict[str, Any] = {
    "response_model": TicketView,
    "responses": {
        404: {"description": "no such ticket"},
        409: {"description": "the ticket changed since it was read, or its state refuses"},
        428: {"description": "If-Match missing"},
    },
}
IfMatch = Annotated[
    str | None,
    Header(description='The version (ETag) of the ticket as read, e.g. `"3"`.'),
]


def ticket_routes(
    claims: Claims, tickets: PostgresTickets, stock: tuple[Availability, Upgrades]
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["tickets"])
    availability, upgrades = stock

    async def _refuse_out_of_stock(ticket_id: str, chosen: str | None) -> None:
        """A replacement the shop says it cannot send is refused before anything is written,
        naming the better product it has when there is one."""
        current = await tickets.get(ticket_id)
        product = chosen or (current.details.product_code if current else None)
        if product is None or await availability.in_stock(product) is not False:
            return  # in stock, or not known: the shop refuses what it cannot send
        if chosen is not None:
            advice = "another product"
        elif better := await first_in_stock(upgrades.better_than(product), availability):
            advice = f"a better one (replacement_product: {better} is in stock)"
        else:
            advice = "a better one (replacement_product)"
        raise HTTPException(
            409, detail=f"{product} is out of stock: send {advice}, or credit its value"
        )

    @router.get(
        "/tickets/{ticket_id}/replacement",
        summary="Can the claim's product be replaced: in stock, and when it is not, the better "
        "product the shop has (upgrades.toml, best first)",
        responses={404: {"description": "no such ticket"}},
    )
    async def replacement(ticket_id: str, caller: CurrentPrincipal) -> ReplacementView:
        stored = await scoped(tickets, caller, ticket_id)
        product = stored.details.product_code
        if product is None:
            return ReplacementView(
                product_code=None, in_stock=None, better=[], suggested_product=None
            )
        better = upgrades.better_than(product)
        in_stock = await availability.in_stock(product)
        suggested = await first_in_stock(better, availability) if in_stock is False else None
        return ReplacementView(
            product_code=product,
            in_stock=in_stock,
            better=list(better),
            suggested_product=suggested,
        )

    @router.post("/tickets", status_code=201, summary="Open a claim")
    async def open_ticket(
        body: OpenBody,
        caller: CurrentPrincipal,
        response: Response,
        idempotency_key: Annotated[
            str | None,
            Header(
                max_length=200,
                description="The caller's own key for this request: sent again (a retry), it "
                "answers the claim the first request opened instead of opening another.",
            ),
        ] = None,
    ) -> TicketView:
        first = (
            Responsible(body.assignee.person, body.assignee.team.value) if body.assignee else None
        )
        try:
            stored = await open_claim(
                claims, _details(body), first, _actor(caller), _now(), idempotency_key
            )
        except UnknownCluster as error:
            raise HTTPException(422, detail=str(error)) from None
        response.headers["Location"] = f"/v1/tickets/{stored.ticket.ticket_id}"
        response.headers["ETag"] = _etag(stored.ticket.version)
        return ticket_view(stored, _now())

    @router.get(
        "/tickets/{ticket_id}",
        summary="A ticket with its assignment chain and timeline",
        response_model=TicketView,
        responses={
            404: {"description": "no such ticket"},
            308: {"description": "merged: the ticket it was merged into (?follow=false: itself)"},
        },
    )
    async def get_ticket(ticket_id: str, caller: CurrentPrincipal, follow: bool = True) -> Response:
        stored = await scoped(tickets, caller, ticket_id)
        into = stored.ticket.merged_into
        if into is not None and follow:  # ?follow=false shows the merged ticket itself
            return RedirectResponse(f"/v1/tickets/{into}", status_code=308)
        view = ticket_view(stored, _now())
        view.timeline = await tickets.timeline(ticket_id)
        return JSONResponse(
            view.model_dump(mode="json"), headers={"ETag": _etag(stored.ticket.version)}
        )

    async def run(
        ticket_id: str,
        command: Command,
        caller: Principal,
        if_match: str | None,
        also: AlsoPublish | None = None,
    ) -> Response:
        expected = _version(if_match)
        await scoped(tickets, caller, ticket_id)
        try:
            stored = await act(claims, ticket_id, expected, command, _actor(caller), also=also)
        except NotFound as error:
            raise HTTPException(404, detail=str(error)) from None
        except BadDecision as error:
            raise HTTPException(422, detail=str(error)) from None
        except Conflict as conflict:
            return _conflict(conflict)
        view = ticket_view(stored, _now())
        return JSONResponse(
            view.model_dump(mode="json"), headers={"ETag": _etag(stored.ticket.version)}
        )

    @router.post(
        "/tickets/{ticket_id}/assign", summary="Hand the ticket to a responsible", **COMMAND
    )
    async def assign(
        ticket_id: str, body: AssignBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        to = Responsible(body.person, body.team.value)
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.assign(t, to, caller.subject, now, body.reason),
            caller,
            if_match,
        )

    @router.post(
        "/tickets/{ticket_id}/wait",
        summary="Wait for the customer, a team or a supplier",
        **COMMAND,
    )
    async def wait(
        ticket_id: str, body: WaitBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.wait_for(t, body.waiting_for, caller.subject, now, body.reason),
            caller,
            if_match,
        )

    @router.post("/tickets/{ticket_id}/resume", summary="Back to open from a wait", **COMMAND)
    async def resume(
        ticket_id: str, body: ResumeBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.resume(t, caller.subject, now, body.reason),
            caller,
            if_match,
        )

    @router.post(
        "/tickets/{ticket_id}/resolve",
        summary="Record the decision, who took it and why",
        **COMMAND,
    )
    async def resolve(
        ticket_id: str, body: ResolveBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        now = _now()
        outcome = body.outcome.value
        fulfilment = Fulfilment(body.replacement_product, body.spare_part, body.take_back)
        if body.outcome is ClaimOutcome.REPLACEMENT:
            await _refuse_out_of_stock(ticket_id, body.replacement_product)

        def commands(current: Stored, version: int) -> list[tuple[str, Event]]:
            decided = (caller.subject, body.reason, now)
            return order_commands(
                ticket_id, version, current.details, body.outcome, fulfilment, decided
            )

        return await run(
            ticket_id,
            lambda t: domain.resolve(t, outcome, caller.subject, now, body.reason),
            caller,
            if_match,
            commands,
        )

    @router.post("/tickets/{ticket_id}/close", summary="Close resolved or unresolved", **COMMAND)
    async def close(
        ticket_id: str, body: CloseBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.close(t, body.resolution, caller.subject, now, body.reason),
            caller,
            if_match,
        )

    @router.post(
        "/tickets/{ticket_id}/reopen", summary="Reopen a closed ticket within the window", **COMMAND
    )
    async def reopen(
        ticket_id: str, body: ReopenBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.reopen(t, caller.subject, now, body.reason, claims.rules),
            caller,
            if_match,
        )

    @router.post("/tickets/{ticket_id}/merge", summary="Merge into another ticket", **COMMAND)
    async def merge(
        ticket_id: str, body: MergeBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        if await tickets.get(body.into) is None:
            raise HTTPException(422, detail=f"no ticket {body.into!r} to merge into")
        now = _now()
        return await run(
            ticket_id,
            lambda t: domain.merge(t, body.into, caller.subject, now, body.reason),
            caller,
            if_match,
        )

    @router.get("/tickets", summary="A queue: live tickets, highest priority first, then oldest")
    async def queue(
        caller: CurrentPrincipal,
        view: Literal["mine", "unassigned", "team", "pending", "all"] = "mine",
        team: Annotated[str | None, Query(max_length=40)] = None,
        cluster: Annotated[str | None, Query(max_length=64)] = None,
        product_code: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> QueuePage:
        which = QueueFilter(
            team=_team_scope(caller, team),
            assignee=caller.subject if view == "mine" else None,
            unassigned=view == "unassigned",
            states=PENDING_STATES if view == "pending" else (),
            cluster=cluster,
            product_code=product_code,
        )
        found = await tickets.queue(which, limit, _position(cursor))
        now = _now()
        last = found[-1] if len(found) == limit else None
        return QueuePage(
            tickets=[ticket_view(s, now) for s in found],
            next_cursor=_cursor(last) if last else None,
        )

    @router.get(
        "/reports/responsibles",
        summary="Time each responsible held tickets, per team, in a period (calendar and "
        "business time), the hand-overs they received and the tickets they held",
    )
    async def responsibles(
        since: datetime | None = None, until: datetime | None = None
    ) -> list[HeldTime]:
        until = until or _now()
        since = since or until - timedelta(days=30)
        if since.tzinfo is None or until.tzinfo is None or since >= until:
            raise HTTPException(422, detail="since and until need a zone, since before until")
        stints = await tickets.stints_between(since, until)
        rows = held_report(stints, since, until, claims.calendar)
        return [HeldTime(**vars(row)) for row in rows]

    @router.get(
        "/search/tickets",
        summary="Full-text search of tickets of any state (Italian and English; words, "
        '"a phrase", -excluded), the best matches first',
    )
    async def search(
        caller: CurrentPrincipal,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    ) -> list[TicketView]:
        now, team = _now(), _team_scope(caller, None)
        found = await tickets.search(q, limit)
        return [ticket_view(s, now) for s in found if team is None or team_of(s) == team]

    @router.post(
        "/reassignments",
        summary="Bulk reassign: hand several tickets to one responsible; each ticket on its "
        "own, at the version read (the answer lists each one's result)",
    )
    async def reassign(body: ReassignBody, caller: CurrentPrincipal) -> list[Reassigned]:
        to = Responsible(body.person, body.team.value)
        results = []
        for item in body.tickets:
            now = _now()
            try:
                stored = await act(
                    claims,
                    item.ticket_id,
                    item.version,
                    lambda t, now=now: domain.assign(t, to, caller.subject, now, body.reason),  # type: ignore[misc]
                    _actor(caller),
                )
            except NotFound as error:
                results.append(Reassigned(ticket_id=item.ticket_id, status=404, detail=str(error)))
            except Conflict as conflict:
                results.append(
                    Reassigned(ticket_id=item.ticket_id, status=409, detail=str(conflict))
                )
            else:
                results.append(
                    Reassigned(ticket_id=item.ticket_id, status=200, version=stored.ticket.version)
                )
        return results

    @router.get(
        "/reports/products",
        summary="Product feedback: claims per product and cluster over time, the no-fault-found "
        "share, the checks that explained the faults (JSON, or CSV with format=csv)",
    )
    async def products(
        since: datetime | None = None,
        until: datetime | None = None,
        period: Literal["day", "week", "month"] = "month",
        format: Literal["json", "csv"] = "json",
    ) -> Response:
        until = until or _now()
        since = since or until - timedelta(days=365)
        if since.tzinfo is None or until.tzinfo is None or since >= until:
            raise HTTPException(422, detail="since and until need a zone, since before until")
        rows = [
            ProductFeedback(**row, no_fault_found_share=_share(row))
            for row in await tickets.product_feedback(
                since, until, period, claims.calendar.zone.key
            )
        ]
        if format == "csv":
            return Response(_csv(rows), media_type="text/csv; charset=utf-8")
        return JSONResponse([r.model_dump(mode="json") for r in rows])

    return router


def _share(row: dict[str, Any]) -> float | None:
    return round(row["no_fault_found"] / row["decided"], 4) if row["decided"] else None


def _csv(rows: list[ProductFeedback]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    fields = list(ProductFeedback.model_fields)
    writer.writerow(fields)
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow([" ".join(v) if isinstance(v, list) else v for v in values.values()])
    return out.getvalue()


def warranty_routes(claims: Claims, warranty: Warranty, purchases: PostgresPurchases) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["warranty"])

    @router.get(
        "/tickets/{ticket_id}/warranty",
        summary="The purchase (from the order), the warranty cover and the product's checklist",
        responses={404: {"description": "no such ticket"}},
    )
    async def get_warranty(ticket_id: str, caller: CurrentPrincipal) -> WarrantyAnswer:
        stored = await scoped(claims.tickets, caller, ticket_id)
        view = await warranty_of(warranty, stored, _now().date())
        bought = view.purchase
        return WarrantyAnswer(
            ticket_id=ticket_id,
            purchase=PurchaseView(
                order_id=bought.order_id,
                placed_on=bought.placed_on,
                delivered_on=bought.delivered_on,
                product_codes=list(bought.product_codes),
            )
            if bought
            else None,
            covered=view.cover.covered if view.cover else None,
            covered_until=view.cover.until if view.cover else None,
            reason=view.cover.reason if view.cover else str(view.why_no_cover),
            checklist=[CheckView(**vars(c)) for c in view.checklist],
            checks=await purchases.checks(ticket_id),
        )

    @router.post(
        "/tickets/{ticket_id}/warranty-check",
        summary="Record the walked checklist: which check decided, and the decision it points to",
        response_model=CheckAnswer,
        responses={**COMMAND["responses"], 422: {"description": "checks missing or unknown"}},
    )
    async def post_check(
        ticket_id: str, body: CheckBody, caller: CurrentPrincipal, if_match: IfMatch = None
    ) -> Response:
        expected = _version(if_match)
        await scoped(claims.tickets, caller, ticket_id)
        try:
            stored, check, suggested = await check_warranty(
                claims, warranty, ticket_id, expected, body.answers, _actor(caller), _now()
            )
        except NotFound as error:
            raise HTTPException(404, detail=str(error)) from None
        except IncompleteChecklist as error:
            raise HTTPException(422, detail=str(error)) from None
        except Conflict as conflict:
            return _conflict(conflict)
        answer = CheckAnswer(
            ticket=ticket_view(stored, _now()),
            verdict=check.result.verdict.value,
            decided_by=check.result.decided_by,
            covered=check.cover.covered if check.cover else None,
            suggested_outcome=suggested,
        )
        return JSONResponse(
            answer.model_dump(mode="json"), headers={"ETag": _etag(stored.ticket.version)}
        )

    return router


def attachment_routes(
    claims: Claims, attachments: PostgresAttachments, blobs: BlobStore, limit: int
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["attachments"])

    @router.post(
        "/tickets/{ticket_id}/attachments",
        status_code=201,
        summary="Attach a file (multipart `file`): typed from its content, kept once",
        responses={404: {"description": "no such ticket"}, 413: {"description": "too large"}},
    )
    async def attach(
        ticket_id: str, request: Request, file: UploadFile, caller: CurrentPrincipal
    ) -> dict[str, Any]:
        refuse_oversized(request, limit)
        await scoped(claims.tickets, caller, ticket_id)
        blob = await store_upload(blobs, file, limit)
        name = file.filename or "attachment"
        return await attachments.add(ticket_id, blob, name, caller.subject, _now())

    @router.get("/tickets/{ticket_id}/attachments", summary="A ticket's attachments")
    async def list_attachments(ticket_id: str, caller: CurrentPrincipal) -> list[dict[str, Any]]:
        await scoped(claims.tickets, caller, ticket_id)
        return await attachments.of_ticket(ticket_id)

    @router.get(
        "/tickets/{ticket_id}/attachments/{attachment_id}",
        summary="Download an attachment (saved by the browser, never rendered)",
        responses={404: {"description": "no such attachment on this ticket"}},
    )
    async def fetch(ticket_id: str, attachment_id: str, caller: CurrentPrincipal) -> Response:
        await scoped(claims.tickets, caller, ticket_id)
        found = await attachments.get(ticket_id, attachment_id)
        if found is None:
            raise HTTPException(404, detail=f"no attachment {attachment_id!r} on {ticket_id!r}")
        return download(
            blobs, found["sha256"], found["content_type"], found["filename"], found["size"]
        )

    return router


def refuse_oversized(request: Request, limit: int) -> None:
    """413 before reading a body that says it is too large (the form's own bytes allowed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise HTTPException(413, detail=f"the file is over the limit of {limit:,} bytes")


async def store_upload(blobs: BlobStore, file: UploadFile, limit: int) -> Blob:
    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(64 * 1024):
            yield chunk

    try:
        return await blobs.put(chunks(), limit)
    except TooLarge as error:
        raise HTTPException(413, detail=str(error)) from None


def _conflict(conflict: Conflict) -> JSONResponse:
    current = ticket_view(conflict.current, _now()).model_dump(mode="json")
    return JSONResponse(
        {"detail": str(conflict), "reason": "conflict", "ticket": current},
        status_code=409,
        headers={"ETag": _etag(conflict.current.ticket.version)},
    )


def _team_scope(caller: Principal, asked: str | None) -> str | None:
    """The team a listing is limited to: the caller's own when they are confined to it."""
    team = confined_to(caller)
    if team is not None and asked not in (None, team):
        raise HTTPException(403, detail=f"you work your team's claims ({team}), not {asked}'s")
    return asked if team is None else team


def team_of(stored: Stored) -> str | None:
    holder = stored.ticket.responsible or stored.ticket.last_responsible
    return holder.team if holder else None


async def scoped(tickets: TicketRepository, caller: Principal, ticket_id: str) -> Stored:
    """The ticket, when the caller may work it: 404 when there is none, 403 when another team
    holds it and the caller is confined to theirs."""
    stored = await tickets.get(ticket_id)
    if stored is None:
        raise HTTPException(404, detail=f"no ticket {ticket_id!r}")
    try:
        check_scope(caller, stored, team_of(stored))
    except OutOfScope as refused:
        raise HTTPException(403, detail=str(refused)) from None
    return stored


def _details(body: OpenBody) -> Details:
    return Details(
        customer_id=body.customer_id,
        channel=body.channel.value,
        cluster=body.cluster,
        subject=body.subject,
        description=body.description,
        priority=Priority(body.priority.value),
        order_id=body.order_id,
        product_code=body.product_code,
        case_id=body.case_id,
        tags=tuple(body.tags),
    )


def _actor(caller: Principal) -> Actor:
    return Actor(subject=caller.subject, role=caller.role)


def _now() -> datetime:
    return datetime.now(UTC)


def _etag(version: int) -> str:
    return f'"{version}"'


def _version(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(428, detail='send If-Match: "<version>" with the version you read')
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HTTPException(422, detail=f"If-Match {if_match!r} is not a ticket version")
    return int(text)


def _cursor(last: Stored) -> str:
    due = last.sla.due_at if last.sla else None
    rank = PRIORITY_RANK[last.details.priority]
    raw = "|".join(
        [
            due.isoformat() if due else "",
            str(rank),
            last.ticket.opened_at.isoformat(),
            last.ticket.ticket_id,
        ]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(cursor: str | None) -> QueuePosition | None:
    if cursor is None:
        return None
    try:
        due, rank, at, ticket_id = base64.urlsafe_b64decode(cursor).decode().split("|", 3)
        return QueuePosition(
            due_at=datetime.fromisoformat(due) if due else None,
            rank=int(rank),
            opened_at=datetime.fromisoformat(at),
            ticket_id=ticket_id,
        )
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(422, detail="cursor is not one this API gave") from None

"""Route -> handler, nothing more: the customer import (admin), identify, the customer 360 and
the competence a customer needs (operators). Each write is audited (cc_runtime.audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from cc_runtime import AuditTrail, WriteBy
from crm.contact_points import InvalidContactPoint, normalise_email, normalise_phone
from crm.customer_csv import COLUMNS, BadHeader
from crm.handlers import (
    CustomerQuery,
    ImportLimits,
    Recognition,
    customer_360,
    erase_customer,
    import_csv,
    look_up,
    request_order_change,
    search_customers,
)
from crm.order_requests import RequestState
from crm.recognition import Presented
from crm.repository import (
    CustomerRepository,
    CustomerSearch,
    ErasureRepository,
    NewRequest,
    OrderRequestRepository,
    PostgresSummaries,
)
from crm.settings import Settings
from crm.views import (
    BadCursor,
    CompetenceBody,
    CompetenceSet,
    Customer360,
    ErasureBody,
    ErasureDone,
    Identified,
    OrderDetail,
    OrderRequestBody,
    OrderRequestView,
    PersonalDataExport,
    SearchHit,
    SearchResults,
    ask_of,
    position_of,
)

MAX_PAGE = 100


def customer_routes(
    settings: Settings,
    repository: CustomerRepository,
    summaries: PostgresSummaries,
    recognition: Recognition,
    trail: AuditTrail,
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["customers"])
    limits = ImportLimits(
        batch_rows=settings.import_batch_rows,
        rejections_listed=settings.import_rejections_listed,
    )

    @router.post(
        "/customers/imports",
        summary="Import customers from CSV (streamed; rejected rows reported, the rest imported)",
        description=(
            "The body is the CSV itself (`Content-Type: text/csv`, UTF-8), read as it arrives. "
            f"Columns, named by the header line: {', '.join(COLUMNS)}; several values in a cell "
            "are separated by `|`. Each row is stored or rejected with its line number and "
            "reason; customers already known are updated. 422 when the header lacks "
            "`customer_id`."
        ),
    )
    async def import_customers(request: Request, write: WriteBy) -> dict[str, Any]:
        await trail.record(write)  # before the first row: no row imported unaudited
        try:
            report = await import_csv(
                request.stream(),
                repository,
                settings.default_region,
                datetime.now(UTC),
                limits,
            )
        except BadHeader as error:
            raise HTTPException(422, detail=str(error)) from None
        return asdict(report)

    @router.get(
        "/identify",
        summary="Who has this phone number or e-mail address",
        description="Exactly one of `phone` (any national or international form; numbers "
        "without a prefix are taken in CRM_DEFAULT_REGION) or `email`. 422 with the reason "
        "when it is not a usable number or address.",
    )
    async def identify(
        phone: Annotated[str | None, Query(max_length=64)] = None,
        email: Annotated[str | None, Query(max_length=320)] = None,
    ) -> Identified:
        presented = _presented(phone, email, settings.default_region)
        found, candidates = await look_up(presented, recognition, datetime.now(UTC))
        known = len(candidates) == 1 and found.level.value == "known"
        return Identified(
            level=found.level,
            matched_by=found.matched_by,
            presented=found.presented,
            customer_id=candidates[0].customer_id if known else None,
            candidates=candidates,
        )

    @router.get(
        "/customers/{customer_id}",
        summary="Customer 360: profile, strategic level, orders in progress, contacts",
        description="Contacts newest first, `limit` per page; `next_cursor` gives the next.",
        responses={404: {"description": "crm does not know this customer"}},
    )
    async def get_customer(
        customer_id: str,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Customer360:
        try:
            before = position_of(cursor)
        except BadCursor as error:
            raise HTTPException(422, detail=str(error)) from None
        found = await customer_360(customer_id, recognition, (before, limit), datetime.now(UTC))
        if found is None:
            raise HTTPException(404, detail=f"no customer {customer_id!r}")
        return found

    @router.put(
        "/customers/{customer_id}/competence",
        summary="Set the competence an operator needs for this customer",
        responses={404: {"description": "crm does not know this customer"}},
    )
    async def set_competence(
        customer_id: str, body: CompetenceBody, write: WriteBy
    ) -> CompetenceSet:
        if not await summaries.set_competence(customer_id, body.competence_needed, write):
            raise HTTPException(404, detail=f"no customer {customer_id!r}")
        return CompetenceSet(
            customer_id=customer_id,
            competence_needed=body.competence_needed,
            set_by=write.subject,
        )

    return router


def personal_data_routes(
    erasures: ErasureRepository, trail: AuditTrail, written: Callable[[], None]
) -> APIRouter:
    """GDPR: a customer's data exported and erased (admin); both audited."""
    router = APIRouter(prefix="/v1", tags=["personal data"])

    @router.get(
        "/customers/{customer_id}/export",
        summary="Every row crm holds about a customer, table by table (GDPR access request)",
        responses={404: {"description": "crm does not know this customer (or erased them)"}},
    )
    async def export(customer_id: str, write: WriteBy) -> PersonalDataExport:
        tables = await erasures.export(customer_id)
        if tables is None:
            raise HTTPException(404, detail=f"no customer {customer_id!r}")
        await trail.record(write.on(customer_id))  # who read a customer's whole record
        return PersonalDataExport(customer_id=customer_id, exported_at=write.at, tables=tables)

    @router.post(
        "/customers/{customer_id}/erase",
        summary="Erase a customer (GDPR): personal data deleted, contacts kept anonymous",
        description="The record, phones, e-mails and handles are deleted; contacts, orders "
        "and claims stay as statistics under a random pseudonym. `customer.erased` is "
        "published on customer-events so every service forgets them. Erasing again "
        "changes nothing (`already_erased`).",
        responses={404: {"description": "crm does not know this customer"}},
    )
    async def erase(
        customer_id: str, write: WriteBy, body: ErasureBody | None = None
    ) -> ErasureDone:
        reason = body.reason if body else None
        erased = await erase_customer(customer_id, reason, write, erasures, written)
        if not erased.known and not erased.already:
            raise HTTPException(404, detail=f"no customer {customer_id!r}")
        return ErasureDone(
            customer_id=customer_id,
            already_erased=erased.already,
            contact_points_deleted=erased.contact_points_deleted,
            contacts_anonymised=erased.contacts_anonymised,
            orders_anonymised=erased.orders_anonymised,
            claims_anonymised=erased.claims_anonymised,
            attachments_deleted=erased.attachments_deleted,
        )

    return router


def order_routes(requests: OrderRequestRepository, written: Callable[[], None]) -> APIRouter:
    """Orders in progress: what the shop said of an order, and operators' requests on it."""
    router = APIRouter(prefix="/v1", tags=["orders"])

    @router.get(
        "/orders/{order_id}",
        summary="An order as the shop's order-events tell it, with the requests made of it",
        responses={404: {"description": "crm does not know this order"}},
    )
    async def get_order(order_id: str) -> OrderDetail:
        found = await requests.order(order_id)
        if found is None:
            raise HTTPException(404, detail=f"no order {order_id!r}")
        asked = [OrderRequestView(**r) for r in await requests.requests_of(order_id)]
        return OrderDetail(**found, requests=asked)

    @router.post(
        "/orders/{order_id}/requests",
        status_code=202,
        summary="Ask the shop to cancel, change address or items, release a carrier hold, "
        "take a return or send a parcel back",
        description="Published on order-commands; the request stays `requested` until the "
        "shop's order-events confirm it. 409 with the reason, and nothing published, when "
        "the order cannot take it (a shipped order cannot change address) or another request "
        "waits for the shop.",
        responses={
            404: {"description": "crm does not know this order"},
            409: {"description": "the order cannot take this request now; the reason says why"},
        },
    )
    async def ask(order_id: str, body: OrderRequestBody, write: WriteBy) -> OrderRequestView:
        decided = await request_order_change(order_id, ask_of(body), write, requests, written)
        if decided is None:
            raise HTTPException(404, detail=f"no order {order_id!r}")
        if not isinstance(decided, NewRequest):
            raise HTTPException(409, detail=decided)
        return OrderRequestView(
            request_id=decided.request_id,
            order_id=order_id,
            kind=decided.kind,
            state=RequestState.REQUESTED,
            reason=decided.reason,
            detail=decided.detail,
            requested_by=write.subject,
            requested_at=write.at,
        )

    return router


def search_routes(search: CustomerSearch, recognition: Recognition, region: str) -> APIRouter:
    """Manual identification, when recognition says unknown or ambiguous."""
    router = APIRouter(prefix="/v1", tags=["customers"])

    @router.get(
        "/search/customers",
        summary="Find a customer by name, postcode, e-mail, phone or order number",
        description="Any of the parameters; names and e-mails typo-tolerant (trigrams) with "
        "accents folded, a postcode narrows a name; phones in any form; order numbers exact "
        "(any case). Best first. 422 when none is given or the phone cannot be a number.",
    )
    async def find(
        name: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
        postcode: Annotated[str | None, Query(max_length=20)] = None,
        email: Annotated[str | None, Query(min_length=3, max_length=320)] = None,
        phone: Annotated[str | None, Query(max_length=64)] = None,
        order: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> SearchResults:
        if not any((name, postcode, email, phone, order)):
            raise HTTPException(422, detail="give a name, postcode, email, phone or order")
        try:
            number = normalise_phone(phone, region) if phone else None
        except InvalidContactPoint as error:
            raise HTTPException(422, detail=str(error)) from None
        query = CustomerQuery(
            name=name,
            postcode=postcode.strip().upper() if postcode else None,
            email=email.strip() if email else None,
            phone=(number.e164, number.national) if number else None,
            order_id=order.strip() if order else None,
        )
        found = await search_customers(query, search, recognition, datetime.now(UTC), limit)
        return SearchResults(
            results=[
                SearchHit(customer=f.summary, matched_by=list(f.matched_by), score=f.score)
                for f in found
            ]
        )

    return router


def _presented(phone: str | None, email: str | None, region: str) -> Presented:
    if (phone is None) == (email is None):
        raise HTTPException(422, detail="give exactly one of phone or email")
    try:
        if phone is not None:
            return Presented(phone=normalise_phone(phone, region))
        assert email is not None
        return Presented(email=normalise_email(email))
    except InvalidContactPoint as error:
        raise HTTPException(422, detail=str(error)) from None

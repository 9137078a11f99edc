"""What crm's HTTP API answers: the identification, the customer 360 and its contact pages
(cursor pagination, newest first). Pure: models and the cursor's encoding."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from cc_schemas import (
    Consent,
    CustomerSummary,
    IdentificationLevel,
    MatchedBy,
    SocialHandle,
    StrategicLevel,
    UtcDatetime,
)
from cc_schemas.customers import Address
from crm.order_requests import Ask, RequestKind, RequestState


class Identified(BaseModel):
    level: IdentificationLevel
    matched_by: MatchedBy | None
    presented: str | None
    customer_id: str | None = Field(description="The customer, when known.")
    candidates: list[CustomerSummary]


class CompetenceBody(BaseModel):
    competence_needed: str | None = Field(
        max_length=80,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The skill an operator needs for this customer (an operator skill name); "
        "null clears it.",
        examples=["product-specialist", "basic-guidance", "business-buyer"],
    )


class CompetenceSet(BaseModel):
    customer_id: str
    competence_needed: str | None
    set_by: str


class PhoneView(BaseModel):
    raw: str
    e164: str


class OrderView(BaseModel):
    """An order in progress (read as JSON from the database: its times normalised to UTC)."""

    order_id: str
    status: str
    status_at: UtcDatetime | None
    status_reason: str | None
    placed_at: UtcDatetime | None
    total_cents: int | None
    currency: str | None
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    expected_delivery: dt.date | None
    waiting_request: str | None = Field(
        default=None,
        description="A request (cancel, change_address ...) the shop has not answered.",
    )


class ContactView(BaseModel):
    """One contact (an interaction): a call or a chat, with what the operator wrote of it."""

    contact_id: str = Field(description="The interaction's id: the call's or the chat's.")
    channel: str
    direction: str
    level: str
    presented: str | None
    queue: str | None
    agent: str | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    first_response_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    outcome: str | None
    resolved: bool | None
    reason: str | None
    notes: str | None
    order_id: str | None
    product: str | None
    case_id: str | None
    version: int
    linked_by: str | None = Field(description="Who attached the customer by hand, if anyone.")


class InteractionView(ContactView):
    customer_id: str | None
    updated_by: str | None
    updated_at: dt.datetime | None
    linked_at: dt.datetime | None
    linked_from_level: str | None


class InteractionBody(BaseModel):
    """What the operator writes of a contact; a field left out (or null) stays as it is."""

    reason: str | None = Field(
        default=None,
        max_length=80,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Contact reason code.",
        examples=["delivery", "damaged", "refund"],
    )
    notes: str | None = Field(default=None, max_length=10_000)
    order_id: str | None = Field(default=None, min_length=1, max_length=100)
    product: str | None = Field(default=None, min_length=1, max_length=100)
    resolved: bool | None = None


class AttachBody(BaseModel):
    customer_id: str = Field(min_length=1, max_length=100)
    add_phone: bool = Field(
        default=False,
        description="Add the caller's number (E.164) to the customer's phones, unless they "
        "have it: their next call from it is known. 422 for a contact without a valid number.",
    )


class OpenCaseView(BaseModel):
    case_id: str
    title: str
    reason: str | None
    order_id: str | None
    product: str | None
    opened_at: UtcDatetime
    last_contact_at: UtcDatetime
    contacts: int
    version: int


class ContactPage(BaseModel):
    contacts: list[ContactView]
    next_cursor: str | None = Field(description="Pass as `cursor` for older contacts.")


class Customer360(BaseModel):
    customer_id: str
    first_name: str | None
    last_name: str | None
    language: str | None
    loyalty_tier: str
    strategic_level: StrategicLevel
    strategic_reason: str
    competence_needed: str | None
    phones: list[PhoneView]
    emails: list[str]
    social_handles: list[SocialHandle]
    addresses: list[Address]
    consents: list[Consent]
    opt_outs: list[str]
    possible_duplicates: list[str] = Field(description="Customers sharing a phone or e-mail.")
    open_claims: int
    orders_in_progress: list[OrderView]
    open_cases: list[OpenCaseView] = Field(description="Latest contact first.")
    contacts: ContactPage
    updated_at: dt.datetime
    source: str


class BadCursor(ValueError):
    pass


FIRST_PAGE = (dt.datetime.max.replace(tzinfo=dt.UTC), "")


def cursor_of(contact: dict[str, Any]) -> str:
    raw = f"{contact['started_at'].isoformat()}|{contact['contact_id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def position_of(cursor: str | None) -> tuple[dt.datetime, str]:
    """Where a page starts: before the contact the cursor names (the first page: the newest)."""
    if not cursor:
        return FIRST_PAGE
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, contact_id = raw.partition("|")
        started = dt.datetime.fromisoformat(at)
    except ValueError as error:
        raise BadCursor(f"cursor {cursor!r} is not one this API gave") from error
    if started.tzinfo is None or not contact_id:
        raise BadCursor(f"cursor {cursor!r} is not one this API gave")
    return started, contact_id


class ErasureBody(BaseModel):
    reason: str | None = Field(
        default=None, max_length=500, description="Why (the customer's request, its reference)."
    )


class ErasureDone(BaseModel):
    customer_id: str
    already_erased: bool = Field(description="Erased before: nothing changed, nothing published.")
    contact_points_deleted: int = Field(description="Phones, e-mails and social handles.")
    contacts_anonymised: int = Field(description="Kept as statistics under a pseudonym.")
    orders_anonymised: int
    claims_anonymised: int
    attachments_deleted: int = Field(description="Of their contacts and cases, content too.")


class PersonalDataExport(BaseModel):
    customer_id: str
    exported_at: dt.datetime
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Every row of every crm table about the customer, by table."
    )


Reason = Annotated[str, Field(min_length=1, max_length=1000, description="Why, in words.")]


class CancelBody(BaseModel):
    kind: Literal["cancel"]
    reason: Reason


class AddressChangeBody(BaseModel):
    kind: Literal["change_address"]
    reason: Reason
    address: Address


class ItemsChangeBody(BaseModel):
    kind: Literal["change_items"]
    reason: Reason
    modification: str = Field(
        min_length=1, max_length=1000, examples=["2 x TRN-2040 instead of 1; no gift wrap"]
    )


class HoldReleaseBody(BaseModel):
    kind: Literal["release_carrier_hold"]
    reason: Reason
    instructions: str | None = Field(default=None, max_length=1000)


class ReturnBody(BaseModel):
    kind: Literal["return"]
    reason: Reason


class ReturnToSenderBody(BaseModel):
    kind: Literal["return_to_sender"]
    reason: Reason


OrderRequestBody = Annotated[
    CancelBody
    | AddressChangeBody
    | ItemsChangeBody
    | HoldReleaseBody
    | ReturnBody
    | ReturnToSenderBody,
    Field(discriminator="kind"),
]


def ask_of(body: OrderRequestBody) -> Ask:
    return Ask(
        kind=RequestKind(body.kind),
        reason=body.reason,
        address=getattr(body, "address", None),
        modification=getattr(body, "modification", None),
        instructions=getattr(body, "instructions", None),
    )


class OrderRequestView(BaseModel):
    request_id: str
    order_id: str
    kind: RequestKind
    state: RequestState = Field(
        description="requested (published, the shop has not answered), confirmed (the shop's "
        "order-event did it) or overtaken (the order moved on to a state that cannot take it)."
    )
    reason: str
    detail: dict[str, Any]
    requested_by: str
    requested_at: dt.datetime
    settled_at: dt.datetime | None = None
    outcome: str | None = None


class OrderDetail(OrderView):
    customer_id: str | None
    requests: list[OrderRequestView] = Field(description="Newest first.")


class SearchHit(BaseModel):
    customer: CustomerSummary
    matched_by: list[str] = Field(description="name, postcode, email, phone, order")
    score: float = Field(description="1 for an exact match; a name's or e-mail's similarity.")


class SearchResults(BaseModel):
    results: list[SearchHit]

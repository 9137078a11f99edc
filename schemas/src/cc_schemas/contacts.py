"""Proactive contact, key `request_id`: topic `contact-requests` (the proactive engine asks for an
operator to reach out) and `contact-outcomes` (what became of the request)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.customers import StrategicLevel
from cc_schemas.envelope import Cents, Currency, Event, EventPart, Id, UtcDatetime
from cc_schemas.shop import CustomerContext


class ContactPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Sort key: higher is more urgent (string order would put "high" before "low")."""
        return list(ContactPriority).index(self)


class ContactChannel(StrEnum):
    CHAT = "chat"
    CALLBACK = "callback"
    EMAIL = "email"


class DeclinedBy(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"


class ContactContext(EventPart):
    """What the operator should know before reaching out."""

    product_ids: tuple[str, ...] = ()
    cart_value_cents: Cents | None = None
    currency: Currency | None = None
    search_queries: tuple[str, ...] = ()
    order_id: str | None = None
    details: dict[str, str] = Field(
        default_factory=dict, examples=[{"dwell_seconds": "420", "page": "/p/wooden-train-set"}]
    )


class ContactRequested(Event):
    event_type: Literal["contact.requested"] = "contact.requested"
    request_id: Id = Field(
        description="Deterministic from the rule and the triggering session/event, so a "
        "replayed trigger does not ask twice."
    )
    session_id: Id
    customer: CustomerContext | None = None
    rule: Id = Field(
        description="Name of the rule that fired.",
        examples=["abandoned_cart", "long_product_dwell", "long_faq_search", "checkout_failed"],
    )
    reason: str | None = Field(
        default=None,
        description="Why, in words for the operator.",
        examples=["Cart of 89.90 EUR left for 30 minutes"],
    )
    priority: ContactPriority = ContactPriority.NORMAL
    strategic_level: StrategicLevel | None = Field(
        default=None,
        description="The customer's strategic level, when the sender knows it: the operators' "
        "queue orders requests of one priority by it.",
    )
    channel: ContactChannel
    context: ContactContext = Field(default_factory=ContactContext)
    expires_at: UtcDatetime = Field(description="After this, reaching out is pointless.")


class ContactOutcome(Event):
    request_id: Id


class ContactAccepted(ContactOutcome):
    event_type: Literal["contact.accepted"] = "contact.accepted"
    operator_id: Id


class ContactDeclined(ContactOutcome):
    event_type: Literal["contact.declined"] = "contact.declined"
    declined_by: DeclinedBy
    operator_id: str | None = None
    reason: str | None = None


class ContactExpired(ContactOutcome):
    event_type: Literal["contact.expired"] = "contact.expired"


class ContactConverted(ContactOutcome):
    event_type: Literal["contact.converted"] = "contact.converted"
    order_id: str | None = Field(default=None, description="The order that followed, if any.")


AnyContactOutcome = Annotated[
    ContactAccepted | ContactDeclined | ContactExpired | ContactConverted,
    Field(discriminator="event_type"),
]

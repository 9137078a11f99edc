"""Customers, topic `customer-events`, key `customer_id`: the shop's customer records
(registered, updated, erased); and crm's recognition of who is calling or chatting, topic
`contact-identifications`, key `contact_id` (the call's or chat's id).

A `customer.registered` or `customer.updated` carries the customer's whole record after the
change (state, not a diff), so a consumer upserts it and a redelivery or a reordering of two
updates of one customer (same key, same partition) cannot leave half of a change applied.
Phones and e-mails are as the shop holds them; crm normalises them (E.164, lower-cased domain).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.envelope import Event, EventPart, Id, Name, UtcDatetime
from cc_schemas.interactions import InteractionChannel


class LoyaltyTier(StrEnum):
    NONE = "none"
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"
    OTHER = "other"


class Address(EventPart):
    kind: AddressKind = AddressKind.SHIPPING
    line1: str = Field(examples=["Via Roma 12"])
    line2: str | None = None
    postcode: str | None = Field(default=None, examples=["20121"])
    city: str = Field(examples=["Milano"])
    region: str | None = Field(default=None, examples=["MI"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.", examples=["IT"]
    )


class SocialHandle(EventPart):
    network: Id = Field(examples=["instagram", "facebook", "x"])
    handle: Id = Field(examples=["@anna.toys"])


class Consent(EventPart):
    """One purpose the customer agreed to or refused, and when."""

    purpose: Id = Field(examples=["marketing_email", "newsletter", "profiling"])
    granted: bool
    at: UtcDatetime | None = Field(default=None, description="When it was given or withdrawn.")


class CustomerRecord(Event):
    customer_id: Id


class CustomerProfile(CustomerRecord):
    """The customer's whole record as the shop holds it."""

    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[str, ...] = Field(
        default=(),
        description="As the customer typed them; the first is the preferred one.",
        examples=[["+39 02 1234 5678", "347 123 4567"]],
    )
    emails: tuple[str, ...] = Field(default=(), description="The first is the preferred one.")
    social_handles: tuple[SocialHandle, ...] = ()
    addresses: tuple[Address, ...] = ()
    language: str | None = Field(
        default=None, description="Preferred language, BCP 47.", examples=["it", "en-GB"]
    )
    consents: tuple[Consent, ...] = ()
    opt_outs: tuple[Id, ...] = Field(
        default=(),
        description="Channels the customer does not want to be contacted on.",
        examples=[["phone", "proactive_chat"]],
    )
    loyalty_tier: LoyaltyTier = LoyaltyTier.NONE


class CustomerRegistered(CustomerProfile):
    event_type: Literal["customer.registered"] = "customer.registered"


class CustomerUpdated(CustomerProfile):
    event_type: Literal["customer.updated"] = "customer.updated"


class CustomerErased(CustomerRecord):
    """The customer asked to be forgotten (GDPR): every service drops what it holds of them."""

    event_type: Literal["customer.erased"] = "customer.erased"
    reason: str | None = None


AnyCustomerEvent = Annotated[
    CustomerRegistered | CustomerUpdated | CustomerErased, Field(discriminator="event_type")
]


class IdentificationLevel(StrEnum):
    KNOWN = "known"  # exactly one customer
    AMBIGUOUS = "ambiguous"  # several customers share what was presented: see candidates
    UNKNOWN = "unknown"  # a number or address that matches nobody
    ANONYMOUS = "anonymous"  # nothing to match: a withheld number


class MatchedBy(StrEnum):
    E164 = "e164"
    NATIONAL_NUMBER = "national_number"
    EMAIL = "email"
    SOCIAL_HANDLE = "social_handle"
    CUSTOMER_ID = "customer_id"  # a chat whose visitor the shop named


class StrategicLevel(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class CustomerSummary(EventPart):
    """What an operator needs in the first second of a contact."""

    customer_id: Id
    name: str | None = Field(default=None, examples=["Anna Rossi"])
    language: str | None = None
    loyalty_tier: LoyaltyTier = LoyaltyTier.NONE
    strategic_level: StrategicLevel = StrategicLevel.STANDARD
    strategic_reason: str = Field(default="", examples=["gold: 14 orders, EUR 1,240 in 12 months"])
    competence_needed: Name | None = Field(
        default=None,
        description="The skill an operator needs for this customer, as operators set it.",
        examples=["product-specialist", "basic-guidance", "business-buyer"],
    )
    orders_in_progress: int = Field(default=0, ge=0)
    open_claims: int = Field(default=0, ge=0)
    last_contact_at: UtcDatetime | None = None
    opt_outs: tuple[Id, ...] = ()
    possible_duplicate: bool = Field(
        default=False, description="Another record shares one of this one's phones or e-mails."
    )


class CaseProposal(EventPart):
    """The open case a contact most likely belongs to, as crm scores it."""

    case_id: Id
    title: str | None = None
    score: float = Field(description="Higher is likelier; comparable within one contact only.")
    why: tuple[str, ...] = Field(
        default=(), examples=[["same customer", "last contact 2 d before"]]
    )


class ContactIdentified(Event):
    """Who is on a call or chat, as far as crm can tell, for the operator desk's screen pop."""

    event_type: Literal["contact.identified"] = "contact.identified"
    contact_id: Id = Field(
        description="The call's `call_id` or the chat's `chat_id`.",
        examples=["1710408413.4211"],
    )
    channel: InteractionChannel
    level: IdentificationLevel
    matched_by: MatchedBy | None = Field(default=None, description="Null when nobody matched.")
    presented: str | None = Field(
        default=None,
        description="What was matched, normalised (E.164 number, e-mail); null when withheld.",
        examples=["+390212345678"],
    )
    customer_id: str | None = Field(default=None, description="The customer, when known.")
    candidates: tuple[CustomerSummary, ...] = Field(
        default=(), description="One when known, each candidate when ambiguous, none otherwise."
    )
    strategic_level: StrategicLevel | None = Field(
        default=None, description="The known customer's, for routing."
    )
    competence_needed: Name | None = Field(
        default=None, description="The known customer's, for routing to an operator with it."
    )
    case_proposal: CaseProposal | None = Field(
        default=None,
        description="The known customer's open case this contact most likely belongs to, for "
        "the screen pop; null when none is within the window (or the customer is not known).",
    )

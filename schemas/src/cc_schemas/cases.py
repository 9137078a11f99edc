"""Cases: contacts about one problem linked together by crm, topic `cases`, key `case_id`.

Read by kpi (first-contact resolution: a case resolved with one inbound contact) and the FAQ
miner (the problem and its resolution in words, with their language)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.envelope import Event, EventPart, Id, UtcDatetime
from cc_schemas.interactions import InteractionChannel


class CaseOutcome(StrEnum):
    RESOLVED = "resolved"  # the problem is solved
    CLOSED = "closed"  # ended without a solution (no answer from the customer, a duplicate ...)


class CaseLinkKind(StrEnum):
    PROPOSED = "proposed"  # the operator confirmed crm's proposal
    CHOSEN = "chosen"  # the operator picked another open case
    OPENED = "opened"  # the contact opened this case
    SPLIT = "split"  # moved here when its case was split


class CaseEvent(Event):
    case_id: Id
    customer_id: str | None = Field(
        default=None, description="The customer the case is about; null while unknown."
    )


class CaseContact(EventPart):
    """A contact (interaction) of a case, as the case event tells it."""

    interaction_id: Id
    channel: InteractionChannel
    started_at: UtcDatetime


class CaseOpened(CaseEvent):
    event_type: Literal["case.opened"] = "case.opened"
    title: str = Field(description="The operator's one-line statement of the problem.")
    reason: str | None = Field(
        default=None, description="Contact reason code (the operator's), e.g. `delivery`."
    )
    order_id: str | None = None
    product: str | None = Field(default=None, description="Product id or SKU concerned.")
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the case's words: `it`, `en`."
    )
    opened_by_interaction: str | None = Field(
        default=None, description="The contact that opened it; null for a case opened by hand."
    )


class CaseContactLinked(CaseEvent):
    event_type: Literal["case.contact_linked"] = "case.contact_linked"
    contact: CaseContact
    how: CaseLinkKind
    previous_case_id: str | None = Field(
        default=None, description="The case the contact left (a split or a correction)."
    )
    contacts: int = Field(ge=1, description="Contacts the case holds after this one.")


class CaseMerged(CaseEvent):
    """`case_id` was merged into `into_case_id`: it redirects there, its contacts moved."""

    event_type: Literal["case.merged"] = "case.merged"
    into_case_id: Id
    contacts_moved: int = Field(ge=0)


class CaseSplit(CaseEvent):
    """`case_id` was opened from contacts taken out of `from_case_id`."""

    event_type: Literal["case.split"] = "case.split"
    from_case_id: Id
    interaction_ids: tuple[Id, ...] = Field(min_length=1)


class CaseRelated(CaseEvent):
    """Two cases are about related problems; each stays open on its own."""

    event_type: Literal["case.related"] = "case.related"
    related_case_id: Id


class CaseResolved(CaseEvent):
    """The case ended: `outcome` resolved or closed, with the problem and what solved it (or
    why it closed) in words."""

    event_type: Literal["case.resolved"] = "case.resolved"
    outcome: CaseOutcome
    close_reason: str = Field(description="Why it ended: `solved`, `no_reply`, `duplicate` ...")
    problem: str = Field(description="The problem, in the customer's and operator's words.")
    resolution: str = Field(description="What solved it, or why it closed, in words.")
    language: str | None = Field(default=None, description="ISO 639-1 code of the words.")
    reason: str | None = None
    order_id: str | None = None
    product: str | None = None
    opened_at: UtcDatetime
    contacts: tuple[CaseContact, ...] = Field(description="The case's contacts, oldest first.")


class CaseReopened(CaseEvent):
    """A resolved or closed case open again (a new contact about it, or the operator)."""

    event_type: Literal["case.reopened"] = "case.reopened"


AnyCaseEvent = Annotated[
    CaseOpened
    | CaseContactLinked
    | CaseMerged
    | CaseSplit
    | CaseRelated
    | CaseResolved
    | CaseReopened,
    Field(discriminator="event_type"),
]

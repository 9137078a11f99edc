"""Claims tickets, key `ticket_id`: one topic per step, `ticket-opened`, `ticket-assigned`,
`ticket-closed` (written by the claims service)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from cc_schemas.envelope import Event, Id


class TicketChannel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"
    WEB = "web"


class ClaimCluster(StrEnum):
    RETURN = "return"
    WARRANTY_REPLACEMENT = "warranty_replacement"
    INSTRUCTIONS_NFF = "instructions_nff"  # no fault found: the customer needed instructions
    SPARE_PARTS = "spare_parts"
    LOYALTY = "loyalty"
    DELIVERY = "delivery"
    OTHER = "other"


class Team(StrEnum):
    CONTACT_CENTRE = "contact_centre"
    MARKETING = "marketing"
    BACK_OFFICE = "back_office"
    LOGISTICS = "logistics"
    OTHER = "other"


class Resolution(StrEnum):
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


class ClaimOutcome(StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"
    NO_FAULT_FOUND = "no_fault_found"
    SPARE_PART_SENT = "spare_part_sent"
    VOUCHER = "voucher"
    NONE = "none"


class TicketEvent(Event):
    ticket_id: Id


class TicketOpened(TicketEvent):
    event_type: Literal["ticket.opened"] = "ticket.opened"
    customer_id: Id
    case_id: str | None = Field(
        default=None, description="CRM case linking contacts about the same problem."
    )
    channel: TicketChannel
    cluster: ClaimCluster
    subject: str = Field(examples=["Wheel broke off the wooden train"])
    order_id: str | None = None
    opened_by: Id = Field(description="User id of whoever opened it.")
    assignee: str | None = Field(default=None, description="User id responsible from the start.")
    team: Team


class TicketAssigned(TicketEvent):
    """The ticket got a (new) responsible; each assignment starts that person's clock."""

    event_type: Literal["ticket.assigned"] = "ticket.assigned"
    assignee: Id
    team: Team
    previous_assignee: str | None = None
    previous_team: Team | None = None
    assigned_by: Id


class TicketClosed(TicketEvent):
    event_type: Literal["ticket.closed"] = "ticket.closed"
    resolution: Resolution
    outcome: ClaimOutcome | None = None
    closed_by: Id
    note: str | None = None

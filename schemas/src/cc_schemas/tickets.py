"""Claims tickets, key `ticket_id`: one topic per step, `ticket-opened`, `ticket-assigned`,
`ticket-closed`, `ticket-changes` for the steps between (waiting, resumed, resolved,
reopened, merged), and `ticket-sla` for deadlines near or missed; all written by the claims
service."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from cc_schemas.envelope import Event, Id, Name, UtcDatetime


class TicketChannel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"
    WEB = "web"


class ClaimCluster(StrEnum):
    """The default clusters. The claims service's list is configurable, so events carry a
    `ClusterCode`: consumers count any code rather than refuse one they do not know."""

    RETURN = "return"
    WARRANTY_REPLACEMENT = "warranty_replacement"
    INSTRUCTIONS_NFF = "instructions_nff"  # no fault found: the customer needed instructions
    SPARE_PARTS = "spare_parts"
    LOYALTY = "loyalty"
    DELIVERY = "delivery"
    OTHER = "other"


ClusterCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(
        description="A claim cluster's code, from the claims service's configured list.",
        examples=["warranty_replacement"],
    ),
]


class Team(StrEnum):
    CONTACT_CENTRE = "contact_centre"
    MARKETING = "marketing"
    BACK_OFFICE = "back_office"
    LOGISTICS = "logistics"
    QUALITY = "quality"
    SUPPLIER = "supplier"
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
    REPAIR = "repair"
    CREDIT_NOTE = "credit_note"
    REJECTED = "rejected"
    DISPOSED_BY_CUSTOMER = "disposed_by_customer"
    NONE = "none"


class TicketState(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_TEAM = "pending_team"
    PENDING_SUPPLIER = "pending_supplier"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketEvent(Event):
    ticket_id: Id


class TicketOpened(TicketEvent):
    event_type: Literal["ticket.opened"] = "ticket.opened"
    customer_id: Id
    case_id: str | None = Field(
        default=None, description="CRM case linking contacts about the same problem."
    )
    channel: TicketChannel
    cluster: ClusterCode
    subject: str = Field(examples=["Wheel broke off the wooden train"])
    order_id: str | None = None
    product_code: Name | None = Field(default=None, examples=["TRN-2040"])
    priority: TicketPriority = TicketPriority.NORMAL
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
    reason: str | None = Field(default=None, description="Why the ticket was handed over.")


class TicketClosed(TicketEvent):
    event_type: Literal["ticket.closed"] = "ticket.closed"
    resolution: Resolution
    outcome: ClaimOutcome | None = None
    closed_by: Id
    note: str | None = None


class TicketStateChanged(TicketEvent):
    """A step between assignment and closing that kpi and the desk need: waiting for the
    customer, a team or a supplier and back, a decision (resolved), a reopening."""

    event_type: Literal["ticket.state_changed"] = "ticket.state_changed"
    from_state: TicketState
    to_state: TicketState
    changed_by: Id
    reason: str | None = None
    outcome: ClaimOutcome | None = Field(
        default=None, description="The decision, when the ticket was resolved."
    )


class TicketMerged(TicketEvent):
    """The ticket was merged into another: it ends here, neither resolved nor unresolved, and
    its history continues on `into_ticket_id`."""

    event_type: Literal["ticket.merged"] = "ticket.merged"
    into_ticket_id: Id
    merged_by: Id
    reason: str | None = None


AnyTicketChange = Annotated[TicketStateChanged | TicketMerged, Field(discriminator="event_type")]


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_UPDATE = "next_update"
    SOLUTION = "solution"


class SlaEvent(TicketEvent):
    target: SlaTarget
    due_at: UtcDatetime = Field(description="The deadline, in business time on the calendar.")
    policy: Name = Field(description="The SLA policy applied (e.g. `default`, `urgent`).")
    cluster: ClusterCode
    priority: TicketPriority
    team: Team | None = None
    assignee: str | None = None


class SlaWarning(SlaEvent):
    """A deadline is near (the policy's warning time before it) and the target not met yet."""

    event_type: Literal["sla.warning"] = "sla.warning"


class SlaBreached(SlaEvent):
    """A deadline passed with the target not met."""

    event_type: Literal["sla.breached"] = "sla.breached"


AnySlaEvent = Annotated[SlaWarning | SlaBreached, Field(discriminator="event_type")]

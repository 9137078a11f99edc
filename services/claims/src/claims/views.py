"""What claims' HTTP API reads and answers: command bodies and the ticket as people see it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cc_schemas import ClaimOutcome, Team, TicketChannel, TicketPriority
from cc_schemas.envelope import Id, Name
from claims.details import Stored
from claims.domain import Resolution, State, WaitingFor
from claims.warranty import Answer

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponsibleBody(Body):
    person: Id = Field(description="The responsible's sign-in subject.")
    team: Team


class OpenBody(Body):
    customer_id: Id
    channel: TicketChannel
    cluster: Name = Field(description="One of the configured cluster codes (CLAIMS_CLUSTERS).")
    subject: Subject
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""
    priority: TicketPriority = TicketPriority.NORMAL
    order_id: Id | None = None
    product_code: Id | None = None
    case_id: Id | None = None
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    assignee: ResponsibleBody | None = Field(
        default=None, description="Who holds it from the start; without one it is `new`."
    )


class AssignBody(ResponsibleBody):
    reason: Text | None = None


class TicketVersion(Body):
    ticket_id: Id
    version: int = Field(ge=1, description="The version read (its ETag).")


class ReassignBody(ResponsibleBody):
    tickets: list[TicketVersion] = Field(min_length=1, max_length=200)
    reason: Text | None = None


class Reassigned(BaseModel):
    ticket_id: str
    status: int = Field(description="200 reassigned, 404 no such ticket, 409 changed or refused.")
    version: int | None = None
    detail: str | None = None


class WaitBody(Body):
    waiting_for: WaitingFor
    reason: Text


class ResumeBody(Body):
    reason: Text | None = None


class ResolveBody(Body):
    outcome: ClaimOutcome
    reason: Text
    replacement_product: Id | None = Field(
        default=None,
        description="With `replacement`: the product to send when not the same one (the same "
        "is out of stock: a better one).",
    )
    spare_part: Id | None = Field(default=None, description="With `spare_part_sent`: the part.")
    take_back: bool = Field(
        default=False,
        description="Authorise the return of the faulty product (order.return_requested); "
        "otherwise the customer keeps or disposes of it.",
    )


class CloseBody(Body):
    resolution: Resolution
    reason: Text | None = Field(default=None, description="Required when unresolved.")


class ReopenBody(Body):
    reason: Text


class MergeBody(Body):
    into: Id = Field(description="The ticket that carries on.")
    reason: Text | None = None


class StintView(BaseModel):
    person: str
    team: str
    started_at: datetime
    ended_at: datetime | None
    held_seconds: float
    assigned_by: str
    reason: str | None


class TicketView(BaseModel):
    ticket_id: str
    version: int
    state: State
    customer_id: str
    channel: str
    cluster: str
    subject: str
    description: str
    priority: str
    order_id: str | None
    product_code: str | None
    case_id: str | None
    tags: list[str]
    opened_at: datetime
    opened_by: str
    responsible: ResponsibleBody | None
    decision: dict[str, Any] | None
    resolution: Resolution | None
    closed_at: datetime | None
    merged_into: str | None
    chain: list[StintView]
    sla_policy: str | None = None
    sla_due_at: datetime | None = Field(
        default=None,
        description="The nearest deadline not met (none: all met, or waiting for the customer).",
    )
    timeline: list[dict[str, Any]] | None = None


def ticket_view(stored: Stored, now: datetime) -> TicketView:
    t, d = stored.ticket, stored.details
    holder = t.responsible
    return TicketView(
        ticket_id=t.ticket_id,
        version=t.version,
        state=t.state,
        customer_id=d.customer_id,
        channel=d.channel,
        cluster=d.cluster,
        subject=d.subject,
        description=d.description,
        priority=d.priority.value,
        order_id=d.order_id,
        product_code=d.product_code,
        case_id=d.case_id,
        tags=list(d.tags),
        opened_at=t.opened_at,
        opened_by=t.opened_by,
        responsible=ResponsibleBody(person=holder.person, team=Team(holder.team))
        if holder
        else None,
        decision=_decision(stored),
        resolution=t.resolution,
        closed_at=t.closed_at,
        merged_into=t.merged_into,
        sla_policy=stored.sla.policy if stored.sla else None,
        sla_due_at=stored.sla.due_at if stored.sla else None,
        chain=[
            StintView(
                person=s.holder.person,
                team=s.holder.team,
                started_at=s.started_at,
                ended_at=s.ended_at,
                held_seconds=s.held(now).total_seconds(),
                assigned_by=s.assigned_by,
                reason=s.reason,
            )
            for s in t.stints
        ],
    )


def _decision(stored: Stored) -> dict[str, Any] | None:
    decision = stored.ticket.decision
    if decision is None:
        return None
    return {
        "outcome": decision.outcome,
        "decided_by": decision.decided_by,
        "reason": decision.reason,
        "decided_at": decision.decided_at,
    }


class QueuePage(BaseModel):
    tickets: list[TicketView]
    next_cursor: str | None


class HeldTime(BaseModel):
    person: str
    team: str
    held_seconds: float
    held_business_seconds: float = Field(description="Of it, within opening hours.")
    stints_begun: int
    tickets: int


class ReplacementView(BaseModel):
    product_code: str | None = Field(description="The claim's product.")
    in_stock: bool | None = Field(description="What the shop says of it; null: not known.")
    better: list[str] = Field(description="The products up from it (upgrades.toml), best first.")
    suggested_product: str | None = Field(
        description="When the product is out of stock: the first better one the shop has."
    )


class CheckBody(Body):
    answers: dict[Annotated[str, StringConstraints(max_length=64)], Answer] = Field(
        description="Every check of the ticket's checklist: `fine` (it does not explain the "
        "fault) or `failed` (it does: a user error or misuse).",
        max_length=50,
    )


class CheckView(BaseModel):
    check_id: str
    question: str
    kind: str


class PurchaseView(BaseModel):
    order_id: str
    placed_on: date
    delivered_on: date | None
    product_codes: list[str]


class WarrantyAnswer(BaseModel):
    ticket_id: str
    purchase: PurchaseView | None
    covered: bool | None
    covered_until: date | None
    reason: str
    checklist: list[CheckView]
    checks: list[dict[str, Any]] = Field(default_factory=list, description="Walked before.")


class CheckAnswer(BaseModel):
    ticket: TicketView
    verdict: str
    decided_by: str | None
    covered: bool | None
    suggested_outcome: str | None = Field(
        description="The decision the checklist and the cover point to (none when the "
        "purchase is unknown): replacement, no_fault_found or rejected."
    )


class ProductFeedback(BaseModel):
    product_code: str
    cluster: str
    period: date
    claims: int
    decided: int
    no_fault_found: int
    no_fault_found_share: float | None = Field(description="Of the claims decided.")
    top_checks: list[str] = Field(description="Checks that explained faults, most often first.")

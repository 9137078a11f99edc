"""Use cases of claims: open a claim, and apply a command to a ticket at the version its
caller saw. No I/O of their own: the repository and the relay's wake-up are passed in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from cc_attachments import BlobStore
from cc_schemas import (
    Actor,
    CustomerErased,
    Event,
    OrderDelivered,
    OrderEvent,
    OrderPlaced,
    OrderShipped,
)
from claims.business_time import BusinessCalendar
from claims.customer.notify import Link, notifications, shipped_notification
from claims.details import Details, SlaState, Stored, check_cluster
from claims.domain import (
    Change,
    Outcome,
    Refused,
    Responsible,
    Rules,
    Ticket,
    note_check,
    open_ticket,
)
from claims.events import events_of, sla_event
from claims.repository import Alert, Notify, OpenedBefore, TicketRepository, WarrantyCheck, Written
from claims.sla import Policies, alerts, deadlines, earliest_due, next_check
from claims.warranty import (
    Answer,
    Check,
    Checklists,
    Cover,
    Purchase,
    Verdict,
    cover,
    walk,
)


class NotFound(LookupError):
    """No such ticket (HTTP 404)."""


class Conflict(Exception):
    """The ticket changed since its caller read it, or its state refuses the command (HTTP
    409); `current` is the ticket as it is now, for the caller to look again."""

    def __init__(self, reason: str, current: Stored) -> None:
        super().__init__(reason)
        self.current = current


@dataclass(frozen=True)
class Claims:
    tickets: TicketRepository
    rules: Rules
    clusters: tuple[str, ...]
    policies: Policies
    calendar: BusinessCalendar
    written: Callable[[], None]  # tells the outbox relay there is something to publish
    customer_link: Link  # a signed link to a ticket's customer page, and its expiry


Command = Callable[[Ticket], Outcome]
AlsoPublish = Callable[[Stored, int], list[tuple[str, Event]]]  # the ticket, its new version


async def open_claim(
    claims: Claims,
    details: Details,
    first: Responsible | None,
    actor: Actor,
    now: datetime,
    key: str | None = None,
) -> Stored:
    """Open a claim; again with the same idempotency `key` (a retried request), the claim the
    first one opened."""
    check_cluster(details.cluster, claims.clusters)
    ticket_id = await claims.tickets.next_ticket_id()
    outcome = open_ticket(ticket_id, actor.subject, now, first)
    stored = Stored(details, outcome.ticket)
    events = events_of(None, outcome.ticket, details, outcome.changes, actor)
    events += notifications(stored, outcome.changes, claims.customer_link)
    sla = sla_state(claims, stored, outcome.changes, now)
    stored = Stored(details, outcome.ticket, sla)
    try:
        await claims.tickets.create(Written(stored, outcome.changes, actor, events, sla), key)
    except OpenedBefore as before:
        opened = await claims.tickets.get(before.ticket_id)
        assert opened is not None  # tickets are never deleted
        return opened
    claims.written()
    return stored


async def act(
    claims: Claims,
    ticket_id: str,
    expected_version: int,
    command: Command,
    actor: Actor,
    warranty: WarrantyCheck | None = None,
    also: AlsoPublish | None = None,
) -> Stored:
    """Apply `command` to the ticket as its caller saw it (`expected_version`). Exactly one of
    two people acting on the same version wins; the other gets `Conflict` with the ticket as
    the winner left it."""
    current = await claims.tickets.get(ticket_id)
    if current is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    if current.ticket.version != expected_version:
        raise Conflict(_changed_since(current, expected_version), current)
    try:
        outcome = command(current.ticket)
    except Refused as refused:
        raise Conflict(str(refused), current) from None
    events = events_of(current.ticket, outcome.ticket, current.details, outcome.changes, actor)
    if also is not None:  # e.g. the order-commands a decision sends; BadDecision: nothing written
        events += also(current, outcome.ticket.version)
    told = Stored(current.details, outcome.ticket)
    events += notifications(told, outcome.changes, claims.customer_link)
    history = [*await claims.tickets.history(ticket_id), *outcome.changes]
    sla = sla_state(
        claims, Stored(current.details, outcome.ticket), history, outcome.changes[-1].at
    )
    stored = Stored(current.details, outcome.ticket, sla)
    if not await claims.tickets.update(
        expected_version, Written(stored, outcome.changes, actor, events, sla, warranty)
    ):
        now = await claims.tickets.get(ticket_id)
        assert now is not None  # tickets are never deleted
        raise Conflict(_changed_since(now, expected_version), now)
    claims.written()
    return stored


def _changed_since(current: Stored, expected: int) -> str:
    return (
        f"ticket {current.ticket.ticket_id} changed since version {expected}: "
        f"it is at version {current.ticket.version}, {current.ticket.state.value}"
    )


def sla_state(claims: Claims, stored: Stored, history: Sequence[Change], now: datetime) -> SlaState:
    """The ticket's SLA after a change: its policy, nearest deadline and next check."""
    details = stored.details
    policy = claims.policies.for_ticket(details.cluster, details.priority.value)
    found = deadlines(stored.ticket.opened_at, history, policy, claims.calendar)
    return SlaState(policy.name, earliest_due(found), next_check(found, now))


def sla_alerts(
    claims: Claims, stored: Stored, history: Sequence[Change], now: datetime
) -> tuple[list[Alert], SlaState]:
    """What the SLA watcher publishes for a ticket at `now`: (target, level, due, event) per
    alert (the store keeps each once), and the ticket's SLA state after it."""
    details = stored.details
    policy = claims.policies.for_ticket(details.cluster, details.priority.value)
    found = deadlines(stored.ticket.opened_at, history, policy, claims.calendar)
    raised: list[Alert] = []
    for due, level in alerts(found, now):
        assert due.at is not None
        event = sla_event(stored, due.target, level, due.at, policy.name, now)
        raised.append((due.target.value, level.value, due.at, event))
    return raised, SlaState(policy.name, earliest_due(found), next_check(found, now))


async def watch_sla(claims: Claims, now: datetime, batch: int = 200) -> int:
    """One round of the SLA watcher: the tickets whose next check has come; alerts published."""
    published = 0
    for ticket_id in await claims.tickets.due_for_check(now, batch):
        published += await claims.tickets.check_sla(
            ticket_id, lambda stored, history: sla_alerts(claims, stored, history, now)
        )
    if published:
        claims.written()
    return published


class PurchaseReader(Protocol):
    async def get(self, order_id: str) -> Purchase | None: ...


@dataclass(frozen=True)
class Warranty:
    purchases: PurchaseReader
    checklists: Checklists
    months: int


@dataclass(frozen=True)
class WarrantyView:
    purchase: Purchase | None
    cover: Cover | None
    checklist: tuple[Check, ...]
    why_no_cover: str | None  # when there is no purchase to date the warranty from


SUGGESTED = {  # verdict, covered -> the decision the checklist points to
    (Verdict.DEFECT, True): "replacement",
    (Verdict.DEFECT, False): "rejected",
    (Verdict.USER_ERROR, True): "no_fault_found",
    (Verdict.USER_ERROR, False): "no_fault_found",
    (Verdict.MISUSE, True): "rejected",
    (Verdict.MISUSE, False): "rejected",
}


async def warranty_of(warranty: Warranty, stored: Stored, today: date) -> WarrantyView:
    """The ticket's purchase and warranty cover (from the order, never the customer's word)
    and the checklist of its product."""
    checklist = warranty.checklists.for_product(stored.details.product_code)
    order_id = stored.details.order_id
    if order_id is None:
        return WarrantyView(None, None, checklist, "the claim names no order")
    purchase = await warranty.purchases.get(order_id)
    if purchase is None:
        return WarrantyView(None, None, checklist, f"order {order_id} is not known yet")
    return WarrantyView(purchase, cover(purchase, warranty.months, today), checklist, None)


async def check_warranty(
    claims: Claims,
    warranty: Warranty,
    ticket_id: str,
    expected_version: int,
    answers: Mapping[str, Answer],
    actor: Actor,
    now: datetime,
) -> tuple[Stored, WarrantyCheck, str | None]:
    """Record a walked checklist in the ticket's timeline: which check decided, the cover,
    and the decision they point to (None when the cover is unknown)."""
    current = await claims.tickets.get(ticket_id)
    if current is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    view = await warranty_of(warranty, current, now.date())
    result = walk(view.checklist, answers)  # IncompleteChecklist: 422
    covered = view.cover.covered if view.cover else None
    summary = "; ".join(
        [result.summary(), view.cover.reason if view.cover else str(view.why_no_cover)]
    )
    check = WarrantyCheck(result, view.cover)
    stored = await act(
        claims,
        ticket_id,
        expected_version,
        lambda t: note_check(t, summary, actor.subject, now),
        actor,
        check,
    )
    suggested = SUGGESTED[(result.verdict, covered)] if covered is not None else None
    return stored, check, suggested


class Shipments(Protocol):
    async def shipped(self, order_id: str, at: datetime, notify: Notify) -> int: ...


async def record_order_event(
    event: OrderEvent, purchases: PurchaseWriter, shipments: Shipments, link: Link
) -> None:
    """A purchase's dates and products, as the shop reports them; a shipment a claim waited
    on is announced to its customer."""
    if isinstance(event, OrderShipped):
        tracking = " ".join(p for p in (event.carrier, event.tracking_number) if p) or None

        def notify(ticket_id: str, customer_id: str) -> list[tuple[str, Event]]:
            return shipped_notification(ticket_id, customer_id, tracking, event.occurred_at, link)

        await shipments.shipped(event.order_id, event.occurred_at, notify)
    elif isinstance(event, OrderPlaced):
        products = [item.product_id for item in event.items]
        await purchases.placed(
            event.order_id, event.customer_id, event.occurred_at.date(), products
        )
    elif isinstance(event, OrderDelivered):
        await purchases.delivered(event.order_id, event.customer_id, event.occurred_at.date())


class PurchaseWriter(Protocol):
    async def placed(
        self, order_id: str, customer_id: str | None, on: date, products: list[str]
    ) -> None: ...
    async def delivered(self, order_id: str, customer_id: str | None, on: date) -> None: ...


class Erasures(Protocol):
    async def erase(
        self, customer_id: str, pseudonym: str, at: datetime
    ) -> tuple[int, list[str]]: ...


def new_pseudonym() -> str:
    """A stand-in for an erased customer: random, so nothing leads back to them (a hash of
    their id would, for anyone holding the shop's ids); the same for all their tickets, which
    still count together."""
    return f"erased-{uuid.uuid4().hex}"


async def record_customer_event(event: Event, erasures: Erasures, blobs: BlobStore) -> None:
    """customer.erased: forget the customer, their attachments' content too; registrations
    and updates are crm's, not ours."""
    if isinstance(event, CustomerErased):
        _, orphans = await erasures.erase(event.customer_id, new_pseudonym(), event.occurred_at)
        for sha256 in orphans:  # after the commit: a blob left behind by a crash is unreferenced
            await blobs.delete(sha256)

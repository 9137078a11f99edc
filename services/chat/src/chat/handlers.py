"""Use cases of the contact-request queue: a request arrives, an operator accepts or declines
it, the clock expires it, an order converts it. No I/O of their own: the repository and the
relay's wake-up are passed in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cc_runtime import PermanentError
from cc_runtime.audit import AuditEntry
from cc_schemas import Actor, ContactRequested, Event, OrderPlaced
from chat import queue
from chat.chats import opened_by_accepting
from chat.outcomes import outcome_of, queued
from chat.queue import ContactRequest, Refused
from chat.repository import ContactRequests, Opens

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such request (HTTP 404)."""


@dataclass(frozen=True)
class Desk:
    requests: ContactRequests
    conversion_window: timedelta
    written: Callable[[], None]  # tells the outbox relay there is something to publish
    seat_default: int | None = None  # hold an accept to the seat limit (this when unsaid)


async def receive(desk: Desk, event: ContactRequested) -> bool:
    """Queue the request; False for one already queued (a redelivery or a replayed trigger).
    One that arrives already expired waits for the watcher, which publishes its expiry."""
    if event.expires_at < event.occurred_at:
        raise PermanentError(
            f"request {event.request_id} expires ({event.expires_at.isoformat()}) before it "
            f"was made ({event.occurred_at.isoformat()})"
        )
    return await desk.requests.add(queued(event), event.event_id)


async def accept(desk: Desk, request_id: str, by: AuditEntry) -> ContactRequest:
    """Raises `Refused` with the reason when the request is no longer waiting: of two operators
    accepting at once, exactly one wins. A chat request opens its proactive chat with it."""
    return await _move(
        desk,
        request_id,
        lambda r: queue.accept(r, by.subject, by.at),
        by,
        opens=lambda r: opened_by_accepting(r, by),
    )


async def decline(desk: Desk, request_id: str, reason: str, by: AuditEntry) -> ContactRequest:
    return await _move(desk, request_id, lambda r: queue.decline(r, by.subject, reason, by.at), by)


async def pass_offer(desk: Desk, request_id: str, reason: str, by: AuditEntry) -> ContactRequest:
    """The operator a request is offered to declines the offer with a reason: the request
    stays waiting and goes to another operator, never back to them. Raises `Refused` when it
    is not offered to them (or no longer waiting)."""
    passed = await desk.requests.pass_offer(
        request_id, lambda r: queue.pass_offer(r, by.subject, by.at), reason, by
    )
    if passed is None:
        raise NotFound(f"no contact request {request_id!r}")
    return passed


async def expire_due(desk: Desk, now: datetime, batch: int = 200) -> int:
    """One round of the expiry watcher: the requests whose expiry has passed leave the queue
    and publish contact.expired. The number expired."""
    expired = 0
    for request_id in await desk.requests.due_to_expire(now, batch):
        try:
            await _move_by_clock(desk, request_id, lambda r: queue.expire(r, now))
            expired += 1
        except Refused:  # an operator took it meanwhile
            pass
    if expired:
        desk.written()
    return expired


async def record_order(desk: Desk, event: Event) -> int:
    """An order placed by a customer converts their requests accepted within the window
    before it. The number converted; other order events change nothing."""
    if not isinstance(event, OrderPlaced) or event.customer_id is None:
        return 0
    converted = 0
    found = await desk.requests.accepted_before(
        event.customer_id, event.occurred_at, desk.conversion_window
    )
    for request_id in found:
        try:
            await _move_by_clock(
                desk,
                request_id,
                lambda r: queue.convert(
                    r, event.order_id, event.occurred_at, desk.conversion_window
                ),
            )
            converted += 1
        except Refused:  # converted by an earlier order meanwhile
            pass
    if converted:
        desk.written()
    return converted


async def _move(
    desk: Desk,
    request_id: str,
    step: Callable[[ContactRequest], ContactRequest],
    by: AuditEntry,
    opens: Opens | None = None,
) -> ContactRequest:
    actor = Actor(subject=by.subject, role=by.role)
    moved = await desk.requests.move(
        request_id, lambda r: _published(step(r), actor), by, opens, desk.seat_default
    )
    if moved is None:
        raise NotFound(f"no contact request {request_id!r}")
    desk.written()
    return moved


async def _move_by_clock(
    desk: Desk, request_id: str, step: Callable[[ContactRequest], ContactRequest]
) -> None:
    await desk.requests.move(request_id, lambda r: _published(step(r), None))


def _published(after: ContactRequest, actor: Actor | None) -> tuple[ContactRequest, Event]:
    return after, outcome_of(after, actor)

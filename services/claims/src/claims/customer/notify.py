"""What the customer should be told of a claim's changes, as `customer.notification_requested`
(received, waiting for you, a decision, closed), each with a fresh link to their claim page.
Pure: the link is made by the function passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cc_schemas import (
    CUSTOMER_NOTIFICATIONS,
    CustomerNotificationRequested,
    Event,
    NotificationKind,
    make_event_id,
)
from claims.details import Stored
from claims.domain import CUSTOMER, Change, State

Link = Callable[[str], tuple[str, datetime]]  # ticket id -> (URL of its page, expiry)


def _kind(change: Change) -> NotificationKind | None:
    if change.by == CUSTOMER:
        return None  # they know what they did
    if change.kind == "opened":
        return NotificationKind.CLAIM_RECEIVED
    if change.kind == "waiting" and change.to_state is State.PENDING_CUSTOMER:
        return NotificationKind.WAITING_FOR_YOU
    if change.kind == "resolved":
        return NotificationKind.DECISION
    if change.kind == "closed":
        return NotificationKind.CLOSED
    return None


def notifications(
    stored: Stored, changes: tuple[Change, ...], link: Link
) -> list[tuple[str, Event]]:
    ticket = stored.ticket
    told: list[tuple[str, Event]] = []
    for place, change in enumerate(changes):
        kind = _kind(change)
        if kind is None:
            continue
        message = change.reason if kind is NotificationKind.WAITING_FOR_YOU else None
        if kind is NotificationKind.DECISION and ticket.decision is not None:
            message = ticket.decision.outcome
        url, expires = link(ticket.ticket_id)
        notification_id = make_event_id("claims", ticket.ticket_id, ticket.version, place, "notify")
        told.append(
            (
                CUSTOMER_NOTIFICATIONS,
                CustomerNotificationRequested(
                    event_id=notification_id,
                    occurred_at=change.at,
                    source="claims",
                    notification_id=notification_id,
                    customer_id=stored.details.customer_id,
                    kind=kind,
                    ticket_id=ticket.ticket_id,
                    message=message,
                    link=url,
                    link_expires_at=expires,
                ),
            )
        )
    return told


def shipped_notification(
    ticket_id: str, customer_id: str, tracking: str | None, at: datetime, link: Link
) -> list[tuple[str, Event]]:
    """What the decision sent (a replacement, a spare part) is on its way."""
    url, expires = link(ticket_id)
    notification_id = make_event_id("claims", ticket_id, "shipped", at.isoformat())
    return [
        (
            CUSTOMER_NOTIFICATIONS,
            CustomerNotificationRequested(
                event_id=notification_id,
                occurred_at=at,
                source="claims",
                notification_id=notification_id,
                customer_id=customer_id,
                kind=NotificationKind.SHIPPED,
                ticket_id=ticket_id,
                message=tracking,
                link=url,
                link_expires_at=expires,
            ),
        )
    ]

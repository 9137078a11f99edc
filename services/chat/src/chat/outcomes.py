"""What a request's move publishes on `contact-outcomes`, and the request a `contact.requested`
event puts in the queue. Pure: requests in, events out.

A request reaches each state once, so event ids are made from the request and the state: the
relay may send an event twice, its id stays the same."""

from __future__ import annotations

from cc_schemas import (
    Actor,
    ContactAccepted,
    ContactConverted,
    ContactDeclined,
    ContactExpired,
    ContactOutcome,
    ContactRequested,
    DeclinedBy,
    make_event_id,
)
from chat.queue import ContactRequest, State

SOURCE = "chat"


def queued(event: ContactRequested) -> ContactRequest:
    """The waiting request a `contact.requested` event asks for."""
    return ContactRequest(
        request_id=event.request_id,
        session_id=event.session_id,
        customer_id=event.customer.customer_id if event.customer else None,
        rule=event.rule,
        reason=event.reason,
        priority=event.priority,
        strategic_level=event.strategic_level,
        channel=event.channel,
        context=event.context,
        requested_at=event.occurred_at,
        expires_at=event.expires_at,
    )


def outcome_of(request: ContactRequest, actor: Actor | None) -> ContactOutcome:
    """The `contact-outcomes` event of the state `request` has just reached."""
    assert request.decided_at is not None, "a request leaves waiting with a time"
    common = {
        "event_id": make_event_id(SOURCE, request.request_id, request.state.value),
        "occurred_at": request.converted_at or request.decided_at,
        "source": SOURCE,
        "request_id": request.request_id,
        "actor": actor,
    }
    match request.state:
        case State.ACCEPTED:
            assert request.operator_id is not None
            return ContactAccepted(**common, operator_id=request.operator_id)
        case State.DECLINED:
            return ContactDeclined(
                **common,
                declined_by=DeclinedBy.OPERATOR,
                operator_id=request.operator_id,
                reason=request.decline_reason,
            )
        case State.EXPIRED:
            return ContactExpired(**common)
        case State.CONVERTED:
            return ContactConverted(**common, order_id=request.converted_by_order)
    raise ValueError(f"a waiting request has no outcome: {request.request_id}")

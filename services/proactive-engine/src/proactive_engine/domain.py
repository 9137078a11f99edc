"""From a rule's decision to a contact request: suppression, channel, priority, context, the
deterministic request id and the expiry. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cc_schemas import (
    ContactChannel,
    ContactContext,
    ContactPriority,
    ContactRequested,
    CustomerContext,
    make_event_id,
)
from proactive_engine.config import Engagement, Priorities
from proactive_engine.rules import Decision, last_values
from proactive_engine.session import SessionState

SOURCE = "proactive-engine"


class Suppression(StrEnum):
    OPTED_OUT = "opted_out"
    ORDERED = "ordered"
    IN_CHAT = "in_chat"
    NO_CHANNEL = "no_channel"
    EXPIRED = "expired"
    THROTTLED = "throttled"
    ALREADY_PUBLISHED = "already_published"


@dataclass(frozen=True)
class Surroundings:
    """What the engine knows about the session from outside its events, at firing time."""

    in_chat: bool = False


def request_id_of(session_id: str, decision: Decision) -> str:
    """Same session, rule and episode: same id, so a replayed trigger cannot ask twice."""
    return make_event_id(SOURCE, session_id, decision.rule, decision.episode)


def subject_of(state: SessionState) -> str:
    """Whom the once-per-period limit counts: the customer, or the session if anonymous."""
    return f"customer:{state.customer_id}" if state.customer_id else f"session:{state.session_id}"


def suppression(
    state: SessionState,
    decision: Decision,
    surroundings: Surroundings,
    engagement: Engagement,
    now: datetime,
    stale_before: datetime | None = None,
) -> Suppression | None:
    """Why no request may be sent for this decision judged at `now`, or None when one may.
    Expired: its expiry is not after `now`, nor after `stale_before` when given (the wall
    clock's say: a request that would leave too late)."""
    if state.opted_out:
        return Suppression.OPTED_OUT
    if decision.suppressed_by_order and state.ordered_at is not None:
        return Suppression.ORDERED
    if surroundings.in_chat:
        return Suppression.IN_CHAT
    expired_by = now if stale_before is None else max(now, stale_before)
    if decision.deadline + decision.expires <= expired_by:
        return Suppression.EXPIRED
    if channel_for(state, engagement, now) is None:
        return Suppression.NO_CHANNEL
    return None


def channel_for(
    state: SessionState, engagement: Engagement, now: datetime
) -> ContactChannel | None:
    """Live chat while the session is alive; otherwise only a channel the customer consented
    to, and only for a known customer."""
    if state.last_at is not None and now - state.last_at <= engagement.session_alive:
        return ContactChannel.CHAT
    customer = state.customer
    if customer is None or customer.customer_id is None:
        return None
    if customer.contact_by_phone:
        return ContactChannel.CALLBACK
    if customer.contact_by_email:
        return ContactChannel.EMAIL
    return None


def priority_of(
    state: SessionState, decision: Decision, priorities: Priorities, now: datetime
) -> ContactPriority:
    """The rule's priority, one step up for each of: a valuable cart, a VIP, a long struggle;
    an urgent-value cart is urgent whatever the rest."""
    if state.cart_value_cents >= priorities.urgent_cart_value_cents:
        return ContactPriority.URGENT
    steps = sum(
        [
            state.cart_value_cents >= priorities.high_cart_value_cents,
            (state.customer.segment if state.customer else None) in priorities.vip_segments,
            state.first_at is not None
            and (now - state.first_at).total_seconds() >= priorities.struggle_minutes * 60,
        ]
    )
    levels = list(ContactPriority)
    return levels[min(decision.priority.rank + steps, len(levels) - 1)]


def context_of(state: SessionState, decision: Decision) -> ContactContext:
    products = state.cart_product_ids or last_values(state.viewed_products)
    return ContactContext(
        product_ids=tuple(products),
        cart_value_cents=state.cart_value_cents or None,
        currency=state.currency if state.cart_value_cents else None,
        search_queries=tuple(last_values(state.faq_searches)),
        order_id=decision.order_id or state.order_id,
        details=decision.details,
    )


def contact_request(
    state: SessionState,
    decision: Decision,
    customer: CustomerContext | None,
    engagement: Engagement,
    priorities: Priorities,
    now: datetime,
) -> ContactRequested:
    """The request to publish; call only when `suppression` found nothing."""
    channel = channel_for(state, engagement, now)
    if channel is None:
        raise ValueError("no channel: check suppression first")
    request_id = request_id_of(state.session_id, decision)
    return ContactRequested(
        event_id=request_id,
        occurred_at=now,
        source=SOURCE,
        request_id=request_id,
        session_id=state.session_id,
        customer=customer,
        rule=decision.rule,
        reason=decision.reason,
        priority=priority_of(state, decision, priorities, now),
        channel=channel,
        context=context_of(state, decision),
        expires_at=decision.deadline + decision.expires,
    )

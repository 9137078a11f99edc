"""The operators' queue of contact requests, pure: a request's states, the moves operators and
the clock make on it, and the order operators see the live ones in. No I/O.

A request waits in the queue until an operator accepts it, an operator declines it (with a
reason: it leaves the queue, once, for everyone) or its expiry passes. An accepted request is
converted when the same customer orders within the conversion window after acceptance."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from cc_schemas import ContactChannel, ContactContext, ContactPriority, StrategicLevel

STRATEGIC_RANK = {level: rank for rank, level in enumerate(StrategicLevel)}


class State(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CONVERTED = "converted"


class Refused(Exception):
    """The request's state refuses the move; the message is the reason, for the operator."""


@dataclass(frozen=True)
class ContactRequest:
    request_id: str
    session_id: str
    customer_id: str | None
    rule: str
    reason: str | None
    priority: ContactPriority
    strategic_level: StrategicLevel | None
    channel: ContactChannel
    context: ContactContext
    requested_at: datetime
    expires_at: datetime
    state: State = State.WAITING
    operator_id: str | None = None  # who accepted or declined it
    decided_at: datetime | None = None  # when it was accepted, declined or expired
    decline_reason: str | None = None
    converted_by_order: str | None = None
    converted_at: datetime | None = None  # when that order was placed
    offered_to: str | None = None  # the operator auto-assignment offers it to now
    offered_until: datetime | None = None  # when that offer lapses


def queue_key(request: ContactRequest) -> tuple[int, int, datetime, str]:
    """Most urgent first, then the most strategic customer (unknown last), then the oldest."""
    strategic = STRATEGIC_RANK[request.strategic_level] if request.strategic_level else -1
    return (-request.priority.rank, -strategic, request.requested_at, request.request_id)


def live_queue(requests: list[ContactRequest], now: datetime) -> list[ContactRequest]:
    """The requests an operator may still take at `now`, in the order they should be taken."""
    return sorted((r for r in requests if is_live(r, now)), key=queue_key)


def is_live(request: ContactRequest, now: datetime) -> bool:
    return request.state is State.WAITING and now < request.expires_at


def seconds_left(request: ContactRequest, now: datetime) -> int:
    """The expiry countdown, whole seconds, never below zero."""
    return max(0, int((request.expires_at - now).total_seconds()))


def accept(request: ContactRequest, operator_id: str, now: datetime) -> ContactRequest:
    _check_live(request, now)
    return replace(request, state=State.ACCEPTED, operator_id=operator_id, decided_at=now)


def decline(
    request: ContactRequest, operator_id: str, reason: str, now: datetime
) -> ContactRequest:
    _check_live(request, now)
    if not reason.strip():
        raise Refused("a decline needs a reason")
    return replace(
        request,
        state=State.DECLINED,
        operator_id=operator_id,
        decided_at=now,
        decline_reason=reason.strip(),
    )


def expire(request: ContactRequest, now: datetime) -> ContactRequest:
    if request.state is not State.WAITING:
        raise Refused(f"request {request.request_id} is {request.state.value}, not waiting")
    if now < request.expires_at:
        raise Refused(f"request {request.request_id} expires at {request.expires_at.isoformat()}")
    return replace(request, state=State.EXPIRED, decided_at=request.expires_at)


def convert(
    request: ContactRequest, order_id: str, ordered_at: datetime, window: timedelta
) -> ContactRequest:
    """The order `order_id` placed at `ordered_at` follows the accepted contact."""
    if request.state is not State.ACCEPTED or request.decided_at is None:
        raise Refused(f"request {request.request_id} is {request.state.value}, not accepted")
    if not request.decided_at <= ordered_at <= request.decided_at + window:
        raise Refused(f"order {order_id} is outside the conversion window")
    return replace(
        request, state=State.CONVERTED, converted_by_order=order_id, converted_at=ordered_at
    )


def offered_to(request: ContactRequest, now: datetime) -> str | None:
    """The operator the waiting request is offered to at `now`; None once the offer lapsed."""
    if not is_live(request, now) or request.offered_until is None or now >= request.offered_until:
        return None
    return request.offered_to


def pass_offer(request: ContactRequest, operator_id: str, now: datetime) -> ContactRequest:
    """The operator the request is offered to declines the offer: it goes to another
    operator, the request stays waiting (a decline of the request itself is final)."""
    _check_live(request, now)
    if offered_to(request, now) != operator_id:
        raise Refused(f"request {request.request_id} is not offered to {operator_id}")
    return replace(request, offered_to=None, offered_until=None)


def _check_live(request: ContactRequest, now: datetime) -> None:
    if request.state is State.ACCEPTED:
        raise Refused(f"already accepted by {request.operator_id}")
    if request.state is State.CONVERTED:
        raise Refused(f"already accepted by {request.operator_id} (and converted)")
    if request.state is State.DECLINED:
        raise Refused(f"already declined by {request.operator_id}: {request.decline_reason}")
    if request.state is State.EXPIRED or now >= request.expires_at:
        raise Refused(f"expired at {request.expires_at.isoformat()}")

"""What an operator may ask of an order in progress, and when the shop's order-events settle
it: which order state can take which request (a shipped order cannot change address), the
order-commands event each request becomes, and which order-event confirms it. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cc_schemas import (
    Actor,
    Address,
    CarrierHoldReleaseRequested,
    OrderAddressChangeRequested,
    OrderCancelRequested,
    OrderCommand,
    OrderModificationRequested,
    OrderReturnRequested,
    ReturnToSenderAuthorised,
    make_event_id,
)

SOURCE = "crm"


class RequestKind(StrEnum):
    CANCEL = "cancel"
    CHANGE_ADDRESS = "change_address"
    CHANGE_ITEMS = "change_items"
    RELEASE_CARRIER_HOLD = "release_carrier_hold"
    RETURN = "return"
    RETURN_TO_SENDER = "return_to_sender"


class RequestState(StrEnum):
    REQUESTED = "requested"  # published, the shop has not answered yet
    CONFIRMED = "confirmed"  # the shop's order-event did it
    OVERTAKEN = "overtaken"  # the order moved on to a state that cannot take it


@dataclass(frozen=True)
class OrderState:
    order_id: str
    status: str
    carrier: str | None  # known once the order is shipped: it left the warehouse

    @property
    def dispatched(self) -> bool:
        return self.carrier is not None or self.status not in ("placed", "delayed")


@dataclass(frozen=True)
class Pending:
    kind: RequestKind
    requested_by: str
    requested_at: dt.datetime


def words_of(name: str) -> str:
    return name.replace("_", " ")


def refusal(kind: RequestKind, order: OrderState) -> str | None:
    """Why this order cannot take this request now; None when it can."""
    status = f"order {order.order_id} is {words_of(order.status)}"
    match kind:
        case RequestKind.CANCEL | RequestKind.CHANGE_ADDRESS | RequestKind.CHANGE_ITEMS:
            if order.dispatched:
                return (
                    f"{status}: only an order not shipped yet can take a {words_of(kind)} "
                    "(once delivered, ask for a return; held at the carrier, release it or "
                    "send it back)"
                )
        case RequestKind.RELEASE_CARRIER_HOLD:
            if order.status != "held_at_carrier":
                return f"{status}: only an order held at the carrier can be released"
        case RequestKind.RETURN_TO_SENDER:
            if (
                order.status not in ("held_at_carrier", "shipped", "delayed")
                or not order.dispatched
            ):
                return f"{status}: only a parcel with the carrier can be sent back to the shop"
        case RequestKind.RETURN:
            if order.status != "delivered":
                return f"{status}: only a delivered order can be returned"
    return None


def refusal_with(kind: RequestKind, order: OrderState, pending: Pending | None) -> str | None:
    """Why a new request is refused: one request waits for the shop at a time, then the rule."""
    if pending is not None:
        return (
            f"order {order.order_id} already has a {words_of(pending.kind)} request "
            f"by {pending.requested_by} at {pending.requested_at.isoformat()} waiting for the "
            "shop's answer"
        )
    return refusal(kind, order)


# The order-event by which the shop confirms each request.
CONFIRMED_BY: dict[str, tuple[RequestKind, ...]] = {
    "order.cancelled": (RequestKind.CANCEL,),
    "order.modified": (RequestKind.CHANGE_ADDRESS, RequestKind.CHANGE_ITEMS),
    "order.shipped": (RequestKind.RELEASE_CARRIER_HOLD,),
    "order.delivered": (RequestKind.RELEASE_CARRIER_HOLD,),
    "order.returned": (RequestKind.RETURN, RequestKind.RETURN_TO_SENDER),
}


@dataclass(frozen=True)
class Settled:
    state: RequestState
    outcome: str


def settlement(
    kind: RequestKind, event_type: str, words: str | None, order: OrderState
) -> Settled | None:
    """What an order-event does to the request waiting on its order: confirms it, leaves it
    waiting, or shows it can no longer happen (the parcel shipped before the cancel)."""
    if kind in CONFIRMED_BY.get(event_type, ()):
        return Settled(RequestState.CONFIRMED, f"{event_type}: {words}" if words else event_type)
    why = refusal(kind, order)
    return Settled(RequestState.OVERTAKEN, why) if why else None


@dataclass(frozen=True)
class Ask:
    """An operator's request as received: its kind, why, and what it needs."""

    kind: RequestKind
    reason: str
    address: Address | None = None
    modification: str | None = None
    instructions: str | None = None

    def detail(self) -> dict[str, Any]:
        """What the request needs besides its kind and reason, as stored."""
        found = {
            "address": self.address.model_dump(mode="json") if self.address else None,
            "modification": self.modification,
            "instructions": self.instructions,
        }
        return {k: v for k, v in found.items() if v is not None}


def command_for(
    ask: Ask, order: OrderState, request_id: str, actor: Actor, at: dt.datetime
) -> OrderCommand:
    """The order-commands event a request becomes."""
    common = {
        "event_id": make_event_id(SOURCE, request_id, "order-command"),
        "occurred_at": at,
        "source": SOURCE,
        "actor": actor,
        "order_id": order.order_id,
        "requested_by": actor.subject,
        "reason": ask.reason,
    }
    match ask.kind:
        case RequestKind.CANCEL:
            return OrderCancelRequested(**common)
        case RequestKind.CHANGE_ADDRESS:
            assert ask.address is not None
            return OrderAddressChangeRequested(**common, address=ask.address)
        case RequestKind.CHANGE_ITEMS:
            assert ask.modification is not None
            return OrderModificationRequested(**common, modification=ask.modification)
        case RequestKind.RELEASE_CARRIER_HOLD:
            return CarrierHoldReleaseRequested(
                **common, carrier=order.carrier, instructions=ask.instructions
            )
        case RequestKind.RETURN_TO_SENDER:
            return ReturnToSenderAuthorised(**common, carrier=order.carrier)
        case RequestKind.RETURN:
            return OrderReturnRequested(**common)

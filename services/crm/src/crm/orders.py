"""Orders as crm follows them from order-events: each event is one change of an order (its
status, money, carrier, tracking). Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cc_schemas import (
    AnyOrderEvent,
    OrderCancelled,
    OrderDelayed,
    OrderDelivered,
    OrderHeldAtCarrier,
    OrderModified,
    OrderPlaced,
    OrderReturned,
    OrderShipped,
)

IN_PROGRESS = ("placed", "shipped", "delayed", "held_at_carrier")
# Orders that count towards a customer's value (a cancelled or returned one does not).
VALUED = ("placed", "shipped", "delayed", "held_at_carrier", "delivered")


@dataclass(frozen=True)
class OrderChange:
    order_id: str
    customer_id: str | None
    at: dt.datetime
    status: str | None  # None: the status stays (a modification)
    reason: str | None = None  # a modification's: what changed
    event_type: str = ""
    placed_at: dt.datetime | None = None
    total_cents: int | None = None
    currency: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    expected_delivery: dt.date | None = None


def change_of(event: AnyOrderEvent) -> OrderChange:
    match event:
        case OrderPlaced():
            return _change(
                event,
                status="placed",
                placed_at=event.occurred_at,
                total_cents=event.total_cents,
                currency=event.currency,
            )
        case OrderModified():
            return _change(
                event,
                status=None,
                reason=event.change,
                total_cents=event.total_cents,
                currency=event.currency,
            )
        case OrderCancelled():
            return _change(event, status="cancelled", reason=event.reason)
        case OrderShipped():
            return _change(
                event,
                status="shipped",
                carrier=event.carrier,
                tracking_number=event.tracking_number,
                tracking_url=event.tracking_url,
            )
        case OrderDelayed():
            return _change(
                event,
                status="delayed",
                reason=event.reason,
                expected_delivery=event.expected_delivery,
            )
        case OrderHeldAtCarrier():
            return _change(
                event,
                status="held_at_carrier",
                reason=event.reason,
                carrier=event.carrier,
                tracking_number=event.tracking_number,
            )
        case OrderDelivered():
            return _change(event, status="delivered", carrier=event.carrier)
        case OrderReturned():
            return _change(event, status="returned", reason=event.reason)
    raise TypeError(f"not an order event: {type(event).__name__}")


def _change(event: AnyOrderEvent, status: str | None, **fields: Any) -> OrderChange:
    return OrderChange(
        order_id=event.order_id,
        customer_id=event.customer_id,
        at=event.occurred_at,
        status=status,
        event_type=event.event_type,
        **fields,
    )

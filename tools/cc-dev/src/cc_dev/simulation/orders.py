"""Orders and logistics on order-events: placed, modified, cancelled, shipped, delayed, held at
the carrier, delivered, returned (a day compressed into hours); and how the shop answers the
CRM's order-commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cc_dev.simulation.base import Stream
from cc_schemas import (
    CarrierHoldReleaseRequested,
    OrderAddressChangeRequested,
    OrderCancelled,
    OrderCancelRequested,
    OrderCommand,
    OrderDelayed,
    OrderDelivered,
    OrderEvent,
    OrderHeldAtCarrier,
    OrderItem,
    OrderModificationRequested,
    OrderModified,
    OrderPlaced,
    OrderReplacementRequested,
    OrderReturned,
    OrderShipped,
    ReturnToSenderAuthorised,
    SparePartRequested,
    make_event_id,
)

CARRIERS = ("DHL", "DPD", "Hermes")


def order_life(
    s: Stream,
    order_id: str,
    customer_id: str | None,
    placed: datetime,
    items: tuple[OrderItem, ...],
    total: int,
) -> None:
    """Everything that happens to one order, as far as it falls in the simulated window."""
    r, at = s.rng, placed

    def common(step: str) -> dict[str, object]:
        return {
            "event_id": s.event_id(order_id, step),
            "occurred_at": at,
            "source": "shop" if step in {"placed", "modified", "cancelled"} else "logistics",
            "order_id": order_id,
            "customer_id": customer_id,
        }

    s.emit(at, OrderPlaced(**common("placed"), total_cents=total, currency="EUR", items=items))
    if r.random() < 0.05:
        at += timedelta(minutes=r.uniform(5, 60))
        s.emit(at, OrderModified(**common("modified"), change="delivery address changed"))
    if r.random() < 0.05:
        at += timedelta(minutes=r.uniform(5, 90))
        s.emit(at, OrderCancelled(**common("cancelled"), reason="customer changed their mind"))
        return
    carrier = r.choice(CARRIERS)
    at += timedelta(hours=r.uniform(0.5, 3))
    tracking = f"{carrier[:2].upper()}{r.randrange(10**9):09d}"
    s.emit(at, OrderShipped(**common("shipped"), carrier=carrier, tracking_number=tracking))
    if r.random() < 0.05:
        at += timedelta(hours=r.uniform(0.5, 2))
        expected = (at + timedelta(days=r.randint(1, 4))).date()
        s.emit(
            at,
            OrderDelayed(**common("delayed"), expected_delivery=expected, reason="carrier backlog"),
        )
    if r.random() < 0.05:
        at += timedelta(hours=r.uniform(0.5, 2))
        s.emit(
            at,
            OrderHeldAtCarrier(
                **common("held"),
                carrier=carrier,
                reason=r.choice(("address not found", "customs")),
                tracking_number=tracking,
            ),
        )
    at += timedelta(hours=r.uniform(1, 4))
    s.emit(at, OrderDelivered(**common("delivered"), carrier=carrier))
    if r.random() < 0.08:
        at += timedelta(hours=r.uniform(0.5, 3))
        s.emit(
            at,
            OrderReturned(
                **common("returned"), reason=r.choice(("damaged in transit", "not as expected"))
            ),
        )


def answer(command: OrderCommand, now: datetime | None = None) -> OrderEvent:
    """The order-event a shop publishes in reply to a CRM command (it always complies)."""
    at = now or datetime.now(UTC)
    common = {
        "event_id": make_event_id("shop", command.event_id, "answer"),
        "occurred_at": at,
        "source": "shop",
        "order_id": command.order_id,
    }
    if isinstance(command, OrderCancelRequested):
        return OrderCancelled(**common, reason=command.reason)
    if isinstance(command, OrderModificationRequested):
        return OrderModified(**common, change=command.modification)
    if isinstance(command, OrderReplacementRequested | SparePartRequested):
        # What a claim decided to send leaves as a shipment of the order (claims tells the
        # customer when it does).
        tracking = "JD" + make_event_id("shop", command.event_id, "parcel")[:10].upper()
        return OrderShipped(**common, carrier="DHL", tracking_number=tracking)
    if isinstance(command, OrderAddressChangeRequested):
        address = command.address
        where = f"{address.line1}, {address.postcode or ''} {address.city} ({address.country})"
        return OrderModified(**common, change=f"delivery address changed to {where}")
    if isinstance(command, CarrierHoldReleaseRequested):  # on its way again
        return OrderShipped(**common, carrier=command.carrier or CARRIERS[0])
    if isinstance(command, ReturnToSenderAuthorised):
        return OrderReturned(**common, reason=f"returned to sender: {command.reason}")
    return OrderReturned(**common, reason=command.reason)

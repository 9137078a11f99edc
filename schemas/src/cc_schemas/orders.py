"""Orders, key `order_id`: topic `order-events` (shop, logistics) and `order-commands` (CRM asks
the shop to act; the shop answers with order-events)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.customers import Address
from cc_schemas.envelope import Cents, Currency, Event, EventPart, Id


class OrderItem(EventPart):
    product_id: Id
    name: str | None = None
    quantity: int = Field(ge=1)
    unit_price_cents: Cents


class OrderEvent(Event):
    order_id: Id
    customer_id: str | None = Field(
        default=None, description="The shop's customer id; null for guest orders or if unknown."
    )


class OrderPlaced(OrderEvent):
    event_type: Literal["order.placed"] = "order.placed"
    total_cents: Cents
    currency: Currency
    items: tuple[OrderItem, ...] = ()


class OrderModified(OrderEvent):
    event_type: Literal["order.modified"] = "order.modified"
    change: str = Field(
        description="What changed, in words.", examples=["delivery address changed"]
    )
    total_cents: Cents | None = Field(default=None, description="New total, when it changed.")
    currency: Currency | None = None


class OrderCancelled(OrderEvent):
    event_type: Literal["order.cancelled"] = "order.cancelled"
    reason: str | None = None


class OrderShipped(OrderEvent):
    event_type: Literal["order.shipped"] = "order.shipped"
    carrier: Id = Field(examples=["DHL"])
    tracking_number: str | None = None
    tracking_url: str | None = None


class OrderDelayed(OrderEvent):
    event_type: Literal["order.delayed"] = "order.delayed"
    expected_delivery: dt.date = Field(description="The new expected delivery date.")
    reason: str | None = None


class OrderHeldAtCarrier(OrderEvent):
    event_type: Literal["order.held_at_carrier"] = "order.held_at_carrier"
    carrier: Id
    reason: str = Field(examples=["address not found", "customs"])
    tracking_number: str | None = None


class OrderDelivered(OrderEvent):
    event_type: Literal["order.delivered"] = "order.delivered"
    carrier: str | None = None


class OrderReturned(OrderEvent):
    event_type: Literal["order.returned"] = "order.returned"
    reason: str = Field(examples=["damaged in transit", "wrong size"])
    items: tuple[OrderItem, ...] = Field(default=(), description="Empty when all came back.")


class OrderCommand(Event):
    order_id: Id
    requested_by: Id = Field(description="Operator id of the CRM user asking.")
    reason: str = Field(description="Why, as the operator recorded it.")
    ticket_id: str | None = Field(
        default=None, description="The claim that decided it, when a claim did."
    )


class OrderCancelRequested(OrderCommand):
    event_type: Literal["order.cancel_requested"] = "order.cancel_requested"


class OrderModificationRequested(OrderCommand):
    event_type: Literal["order.modification_requested"] = "order.modification_requested"
    modification: str = Field(
        description="What to change.", examples=["ship to Hauptstr. 5, 10115 Berlin"]
    )


class OrderReturnRequested(OrderCommand):
    event_type: Literal["order.return_requested"] = "order.return_requested"


class OrderAddressChangeRequested(OrderCommand):
    """Deliver the order to another address: only before it is shipped. Answered with
    order.modified."""

    event_type: Literal["order.address_change_requested"] = "order.address_change_requested"
    address: Address = Field(description="The new delivery address.")


class CarrierHoldReleaseRequested(OrderCommand):
    """Let the carrier deliver an order it holds (the address confirmed, customs paid ...).
    Answered with order.shipped (on its way again) or order.delivered."""

    event_type: Literal["order.carrier_hold_release_requested"] = (
        "order.carrier_hold_release_requested"
    )
    carrier: Id | None = Field(default=None, description="The carrier holding it, if known.")
    instructions: str | None = Field(
        default=None, description="What the carrier needs.", examples=["ring at the side door"]
    )


class ReturnToSenderAuthorised(OrderCommand):
    """The customer will not take the parcel: the carrier may send it back to the shop.
    Answered with order.returned."""

    event_type: Literal["order.return_to_sender_authorised"] = "order.return_to_sender_authorised"
    carrier: Id | None = Field(default=None, description="The carrier holding it, if known.")


class OrderReplacementRequested(OrderCommand):
    """Send the customer a replacement (the same product, or a better one when it is out of
    stock), at no charge: a claim's decision."""

    event_type: Literal["order.replacement_requested"] = "order.replacement_requested"
    product_id: Id = Field(description="The product to send.")
    quantity: int = Field(default=1, ge=1)
    replaces: Id | None = Field(default=None, description="The product it replaces, if other.")


class SparePartRequested(OrderCommand):
    """Send the customer a spare part for a product of the order: a claim's decision."""

    event_type: Literal["order.spare_part_requested"] = "order.spare_part_requested"
    part: Id = Field(examples=["TRN-2040-WHEEL"])
    product_id: Id = Field(description="The product the part belongs to.")
    quantity: int = Field(default=1, ge=1)


AnyOrderEvent = Annotated[
    OrderPlaced
    | OrderModified
    | OrderCancelled
    | OrderShipped
    | OrderDelayed
    | OrderHeldAtCarrier
    | OrderDelivered
    | OrderReturned,
    Field(discriminator="event_type"),
]
AnyOrderCommand = Annotated[
    OrderCancelRequested
    | OrderModificationRequested
    | OrderReturnRequested
    | OrderReplacementRequested
    | SparePartRequested
    | OrderAddressChangeRequested
    | CarrierHoldReleaseRequested
    | ReturnToSenderAuthorised,
    Field(discriminator="event_type"),
]

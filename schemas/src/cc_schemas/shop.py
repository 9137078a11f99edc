"""Shop events, key `session_id`: topic `browse-events` (pages, products, FAQ) and `cart-events`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.envelope import Cents, Currency, Event, EventPart, Id


class PageType(StrEnum):
    HOME = "home"
    CATEGORY = "category"
    PRODUCT = "product"
    SEARCH = "search"
    FAQ = "faq"
    SUPPORT = "support"
    CART = "cart"
    CHECKOUT = "checkout"
    ORDER_STATUS = "order_status"
    ACCOUNT = "account"
    OTHER = "other"


class CheckoutFailureReason(StrEnum):
    PAYMENT_DECLINED = "payment_declined"
    ADDRESS_INVALID = "address_invalid"
    TECHNICAL_ERROR = "technical_error"
    OTHER = "other"


class CustomerContext(EventPart):
    """What the shop knows about the visitor; consent decides whether anyone may reach out."""

    customer_id: str | None = Field(default=None, description="Null for anonymous visitors.")
    segment: str | None = Field(default=None, examples=["new", "regular", "vip"])
    contact_by_chat: bool = False
    contact_by_phone: bool = False
    contact_by_email: bool = False
    proactive_opt_out: bool = Field(
        default=False, description="The customer asked never to be contacted proactively."
    )


class ShopEvent(Event):
    session_id: Id = Field(description="The shop's browser session id.")
    customer: CustomerContext | None = None


# --- browse-events ---


class PageViewed(ShopEvent):
    event_type: Literal["page.viewed"] = "page.viewed"
    page_type: PageType
    url: str = Field(examples=["https://shop.example/de/p/wooden-train-set"])
    product_id: str | None = None
    category: str | None = None


class ProductViewed(ShopEvent):
    event_type: Literal["product.viewed"] = "product.viewed"
    product_id: Id
    name: str
    category: str | None = Field(default=None, examples=["wooden-toys"])
    price_cents: Cents
    currency: Currency


class FaqSearched(ShopEvent):
    event_type: Literal["faq.searched"] = "faq.searched"
    query: str
    results_count: int = Field(ge=0)


class FaqArticleViewed(ShopEvent):
    event_type: Literal["faq.article_viewed"] = "faq.article_viewed"
    article_id: Id
    title: str | None = None


class FaqArticleRated(ShopEvent):
    event_type: Literal["faq.article_rated"] = "faq.article_rated"
    article_id: Id
    helpful: bool


class OrderStatusChecked(ShopEvent):
    event_type: Literal["order_status.checked"] = "order_status.checked"
    order_id: Id


# --- cart-events ---


class _CartItemChange(ShopEvent):
    product_id: Id
    name: str | None = None
    quantity: int = Field(ge=1, description="Units added or removed by this change.")
    unit_price_cents: Cents
    currency: Currency
    cart_value_cents: Cents = Field(description="The cart's total value after the change.")


class CartItemAdded(_CartItemChange):
    event_type: Literal["cart.item_added"] = "cart.item_added"


class CartItemRemoved(_CartItemChange):
    event_type: Literal["cart.item_removed"] = "cart.item_removed"


class CheckoutStarted(ShopEvent):
    event_type: Literal["checkout.started"] = "checkout.started"
    cart_value_cents: Cents
    currency: Currency


class CheckoutFailed(ShopEvent):
    event_type: Literal["checkout.failed"] = "checkout.failed"
    reason: CheckoutFailureReason
    detail: str | None = Field(default=None, examples=["card expired"])


class CheckoutOrderPlaced(ShopEvent):
    """The session's checkout produced an order (the order's own life is on order-events)."""

    event_type: Literal["order.placed"] = "order.placed"
    order_id: Id
    total_cents: Cents
    currency: Currency


AnyBrowseEvent = Annotated[
    PageViewed
    | ProductViewed
    | FaqSearched
    | FaqArticleViewed
    | FaqArticleRated
    | OrderStatusChecked,
    Field(discriminator="event_type"),
]
AnyCartEvent = Annotated[
    CartItemAdded | CartItemRemoved | CheckoutStarted | CheckoutFailed | CheckoutOrderPlaced,
    Field(discriminator="event_type"),
]

"""The facts the engine keeps about one shop session, folded from its events; no I/O.

Folding is order-independent: every list is kept sorted by (event time, event id), every
event leaves one visit and an event already among the visits is a redelivery, ignored; "latest"
facts are chosen by (event time, event id). So any permutation of the same events gives the
same state, and a redelivery changes nothing.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from cc_schemas import (
    CartItemAdded,
    CartItemRemoved,
    CheckoutFailed,
    CheckoutOrderPlaced,
    CheckoutStarted,
    CustomerContext,
    FaqArticleRated,
    FaqArticleViewed,
    FaqSearched,
    OrderStatusChecked,
    PageType,
    PageViewed,
    ProductViewed,
    ShopEvent,
)

RawEvent = bytes
"""A shop event as Kafka delivered it (the message value)."""

MAX_EVENTS_PER_SESSION = 2000  # a bot or a stuck tab must not grow one session without bound


class PageKind(StrEnum):
    PRODUCT = "product"
    HELP = "help"  # FAQ and support pages
    OTHER = "other"


class Stamp(NamedTuple):
    """One moment of the session: when, which event, and what the visitor was looking at.
    A named tuple: folding makes one or two per event, and a pydantic model costs ten times
    more to build."""

    at: datetime
    event_id: str
    kind: PageKind = PageKind.OTHER
    detail: str = ""  # product id, search query or order id, depending on the list


class Latest(NamedTuple):
    """A value's (event time, event id): the later one wins."""

    at: datetime
    event_id: str


@dataclass(slots=True)
class SessionState:
    """A plain slotted class, not a pydantic model: folding sets its fields for every event,
    and 100,000 of them live in memory."""

    session_id: str
    first_at: datetime | None = None
    last_at: datetime | None = None
    customer: CustomerContext | None = None
    customer_set: Latest | None = None
    opted_out: bool = False  # sticky: one opt-out is enough
    # Every event, with its page kind (and for a product view, the product as its detail).
    visits: list[Stamp] = field(default_factory=list)
    cart_quantities: dict[str, int] = field(default_factory=dict)  # net units per product
    cart_value_cents: int = 0
    currency: str | None = None
    cart_value_set: Latest | None = None
    added_to_cart: bool = False
    checkout_failures: list[Stamp] = field(default_factory=list)
    ordered_at: datetime | None = None
    order_id: str | None = None
    faq_searches: list[Stamp] = field(default_factory=list)
    faq_helpful: bool = False
    status_checks: list[Stamp] = field(default_factory=list)
    # Known from outside the session (order-events, loaded at evaluation), and the rule
    # episodes already decided; neither is a fact folded from the session's own events.
    order_problems: dict[str, str] = field(default_factory=dict)
    fired: frozenset[str] = frozenset()

    def facts(self) -> dict[str, object]:
        """The event-derived facts, for comparing two states."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_FACTS}

    @property
    def customer_id(self) -> str | None:
        return self.customer.customer_id if self.customer else None

    @property
    def viewed_products(self) -> list[Stamp]:
        """The product views, in time order (the visits that name a product)."""
        return [v for v in self.visits if v.kind is PageKind.PRODUCT and v.detail]

    @property
    def cart_product_ids(self) -> list[str]:
        return sorted(p for p, units in self.cart_quantities.items() if units > 0)


_NOT_FACTS = frozenset({"order_problems", "fired"})
# A Stamp made from a full tuple, skipping the named tuple's own `__new__` (a Python function
# with defaults): one per event folded.
_new_stamp: Callable[[type[Stamp], tuple[datetime, str, PageKind, str]], Stamp] = tuple.__new__


def fold(state: SessionState, events: list[ShopEvent]) -> SessionState:
    """A new state with the events applied; events already applied are ignored."""
    new = copy.deepcopy(state)
    fold_into(new, events)
    return new


def fold_into(state: SessionState, events: Iterable[ShopEvent]) -> None:
    """Apply the events to this state in place (the engine owns its sessions' states)."""
    for event in events:
        fold_event(state, event)


def fold_event(state: SessionState, event: ShopEvent) -> bool:
    """Apply one event in place; False when it was folded in already or the session is full."""
    at, event_id, visits = event.occurred_at, event.event_id, state.visits
    key = (at, event_id)
    # The visits are the record of what is folded in: found there, the event is a redelivery.
    # Most events come after the latest visit, which one comparison tells.
    i = len(visits)
    if visits and not visits[-1] < key:
        i = bisect.bisect_left(visits, key)
        if visits[i][:2] == key:
            return False
    if len(visits) >= MAX_EVENTS_PER_SESSION:
        return False
    event_type = type(event)
    detail = event.product_id if type(event) is ProductViewed else ""
    kind = _KINDS.get(event_type) or _page_kind(event)
    visits.insert(i, _new_stamp(Stamp, (at, event_id, kind, detail)))
    if state.first_at is None or at < state.first_at:
        state.first_at = at
    if state.last_at is None or at > state.last_at:
        state.last_at = at
    if event.customer is not None:
        _apply_customer(state, event)
    # Dispatch on the exact type: `isinstance` on pydantic models goes through ABCMeta and
    # would cost more than the rest of the fold.
    apply = _SPECIFIC.get(event_type)
    if apply is not None:
        apply(state, event)
    return True


def _apply_customer(state: SessionState, event: ShopEvent) -> None:
    assert event.customer is not None
    state.opted_out = state.opted_out or event.customer.proactive_opt_out
    stamp = Latest(event.occurred_at, event.event_id)
    if state.customer_set is None or stamp > state.customer_set:
        state.customer, state.customer_set = event.customer, stamp


def _cart_changed(state: SessionState, event: CartItemAdded | CartItemRemoved) -> None:
    sign = 1 if type(event) is CartItemAdded else -1
    units = state.cart_quantities.get(event.product_id, 0) + sign * event.quantity
    state.cart_quantities[event.product_id] = units
    state.added_to_cart = state.added_to_cart or sign > 0
    _set_cart_value(state, event.cart_value_cents, event.currency, event)


def _checkout_started(state: SessionState, event: CheckoutStarted) -> None:
    _set_cart_value(state, event.cart_value_cents, event.currency, event)


def _checkout_failed(state: SessionState, event: CheckoutFailed) -> None:
    _insert(state.checkout_failures, _stamp(event, detail=event.reason.value))


def _order_placed(state: SessionState, event: CheckoutOrderPlaced) -> None:
    if state.ordered_at is None or event.occurred_at < state.ordered_at:
        state.ordered_at, state.order_id = event.occurred_at, event.order_id


def _faq_searched(state: SessionState, event: FaqSearched) -> None:
    _insert(state.faq_searches, _stamp(event, detail=event.query))


def _faq_rated(state: SessionState, event: FaqArticleRated) -> None:
    state.faq_helpful = state.faq_helpful or event.helpful


def _status_checked(state: SessionState, event: OrderStatusChecked) -> None:
    _insert(state.status_checks, _stamp(event, detail=event.order_id))


_SPECIFIC: dict[type[ShopEvent], Callable[[SessionState, Any], None]] = {
    CartItemAdded: _cart_changed,
    CartItemRemoved: _cart_changed,
    CheckoutStarted: _checkout_started,
    CheckoutFailed: _checkout_failed,
    CheckoutOrderPlaced: _order_placed,
    FaqSearched: _faq_searched,
    FaqArticleRated: _faq_rated,
    OrderStatusChecked: _status_checked,
}


def _set_cart_value(state: SessionState, cents: int, currency: str, event: ShopEvent) -> None:
    latest = Latest(event.occurred_at, event.event_id)
    if state.cart_value_set is None or latest > state.cart_value_set:
        state.cart_value_cents, state.currency, state.cart_value_set = cents, currency, latest


def _stamp(event: ShopEvent, kind: PageKind = PageKind.OTHER, detail: str = "") -> Stamp:
    return Stamp(event.occurred_at, event.event_id, kind, detail)


# The page kind of each event type but a page view, whose kind depends on its page.
_KINDS: dict[type[ShopEvent], PageKind] = {
    ProductViewed: PageKind.PRODUCT,
    FaqSearched: PageKind.HELP,
    FaqArticleViewed: PageKind.HELP,
    FaqArticleRated: PageKind.HELP,
    CartItemAdded: PageKind.OTHER,
    CartItemRemoved: PageKind.OTHER,
    CheckoutStarted: PageKind.OTHER,
    CheckoutFailed: PageKind.OTHER,
    CheckoutOrderPlaced: PageKind.OTHER,
    OrderStatusChecked: PageKind.OTHER,
}


def _page_kind(event: ShopEvent) -> PageKind:
    page_type = event.page_type if type(event) is PageViewed else None
    if page_type is PageType.PRODUCT:
        return PageKind.PRODUCT
    if page_type in (PageType.FAQ, PageType.SUPPORT):
        return PageKind.HELP
    return PageKind.OTHER


def _insert(stamps: list[Stamp], stamp: Stamp) -> None:
    """Keep the list in (event time, event id) order: a stamp's tuple order."""
    bisect.insort(stamps, stamp)

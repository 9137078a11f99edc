"""Which order can take which request, and how the shop's order-events settle it: the rule
table checked case by case, and as properties over every status, carrier and event."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.order_requests import (
    CONFIRMED_BY,
    OrderState,
    Pending,
    RequestKind,
    RequestState,
    refusal,
    refusal_with,
    settlement,
)

STATUSES = ("placed", "shipped", "delayed", "held_at_carrier", "delivered", "returned", "cancelled")
EVENTS = (
    "order.placed",
    "order.modified",
    "order.cancelled",
    "order.shipped",
    "order.delayed",
    "order.held_at_carrier",
    "order.delivered",
    "order.returned",
)
orders = st.builds(
    OrderState,
    order_id=st.just("O-1"),
    status=st.sampled_from(STATUSES),
    carrier=st.none() | st.just("DHL"),
)
kinds = st.sampled_from(list(RequestKind))


@pytest.mark.parametrize(
    ("kind", "status", "carrier", "allowed"),
    [
        (RequestKind.CANCEL, "placed", None, True),
        (RequestKind.CANCEL, "delayed", None, True),  # late, still in the warehouse
        (RequestKind.CANCEL, "delayed", "DHL", False),  # late, on the road
        (RequestKind.CHANGE_ADDRESS, "shipped", "DHL", False),
        (RequestKind.CHANGE_ITEMS, "placed", None, True),
        (RequestKind.RELEASE_CARRIER_HOLD, "held_at_carrier", "DHL", True),
        (RequestKind.RELEASE_CARRIER_HOLD, "shipped", "DHL", False),
        (RequestKind.RETURN_TO_SENDER, "held_at_carrier", "DHL", True),
        (RequestKind.RETURN_TO_SENDER, "shipped", "DHL", True),
        (RequestKind.RETURN_TO_SENDER, "placed", None, False),
        (RequestKind.RETURN, "delivered", "DHL", True),
        (RequestKind.RETURN, "shipped", "DHL", False),
        (RequestKind.CANCEL, "cancelled", None, False),
    ],
)
def test_the_rule_table(kind: RequestKind, status: str, carrier: str | None, allowed: bool) -> None:
    assert (refusal(kind, OrderState("O-1", status, carrier)) is None) == allowed


def test_a_shipped_order_cannot_change_address_and_says_why() -> None:
    why = refusal(RequestKind.CHANGE_ADDRESS, OrderState("O-1", "shipped", "DHL"))
    assert why == (
        "order O-1 is shipped: only an order not shipped yet can take a change address "
        "(once delivered, ask for a return; held at the carrier, release it or send it back)"
    )


@given(kinds, kinds, orders)
def test_a_waiting_request_refuses_any_other_whatever_the_order(
    kind: RequestKind, waiting: RequestKind, order: OrderState
) -> None:
    pending = Pending(waiting, "anna", datetime(2026, 12, 2, 10, tzinfo=UTC))
    why = refusal_with(kind, order, pending)
    assert why == (
        f"order O-1 already has a {waiting.value.replace('_', ' ')} request by anna at "
        "2026-12-02T10:00:00+00:00 waiting for the shop's answer"
    )


@given(kinds, orders)
def test_an_order_that_can_take_a_request_is_never_refused_it(
    kind: RequestKind, order: OrderState
) -> None:
    assert refusal_with(kind, order, None) == refusal(kind, order)


@given(kinds, st.sampled_from(EVENTS), orders)
def test_an_event_confirms_its_requests_overtakes_impossible_ones_and_leaves_the_rest(
    kind: RequestKind, event_type: str, order: OrderState
) -> None:
    settled = settlement(kind, event_type, "words", order)

    if kind in CONFIRMED_BY.get(event_type, ()):
        assert settled is not None
        assert (settled.state, settled.outcome) == (RequestState.CONFIRMED, f"{event_type}: words")
    elif refusal(kind, order) is not None:
        assert settled is not None
        assert (settled.state, settled.outcome) == (RequestState.OVERTAKEN, refusal(kind, order))
    else:
        assert settled is None


def test_every_request_has_an_event_that_confirms_it() -> None:
    confirmable = {kind for kinds in CONFIRMED_BY.values() for kind in kinds}
    assert confirmable == set(RequestKind)

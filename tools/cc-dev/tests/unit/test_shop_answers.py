"""The simulated shop answers each CRM order command with the order-event that confirms it,
for the same order, once per command (its event_id derives from the command's)."""

from datetime import UTC, datetime

import pytest

from cc_dev.simulation.orders import answer
from cc_schemas import (
    Address,
    CarrierHoldReleaseRequested,
    OrderAddressChangeRequested,
    OrderCancelRequested,
    OrderCommand,
    OrderModificationRequested,
    OrderReturnRequested,
    ReturnToSenderAuthorised,
    encode,
    parse,
    topic_of,
)

AT = datetime(2026, 12, 2, 10, tzinfo=UTC)
COMMAND = {
    "event_id": "cmd-1",
    "occurred_at": AT,
    "source": "crm",
    "order_id": "O-1",
    "requested_by": "anna",
    "reason": "customer asked",
}
MILANO = Address(line1="Via Torino 5", postcode="20123", city="Milano", country="IT")


@pytest.mark.parametrize(
    ("command", "confirmed_by", "says"),
    [
        (OrderCancelRequested(**COMMAND), "order.cancelled", "customer asked"),
        (
            OrderAddressChangeRequested(**COMMAND, address=MILANO),
            "order.modified",
            "delivery address changed to Via Torino 5, 20123 Milano (IT)",
        ),
        (
            OrderModificationRequested(**COMMAND, modification="2 x TRN-2040 instead of 1"),
            "order.modified",
            "2 x TRN-2040 instead of 1",
        ),
        (CarrierHoldReleaseRequested(**COMMAND, carrier="DPD"), "order.shipped", "DPD"),
        (
            ReturnToSenderAuthorised(**COMMAND),
            "order.returned",
            "returned to sender: customer asked",
        ),
        (OrderReturnRequested(**COMMAND), "order.returned", "customer asked"),
    ],
)
def test_each_command_is_answered_with_the_event_that_confirms_it(
    command: OrderCommand, confirmed_by: str, says: str
) -> None:
    reply = answer(command, now=AT)

    parsed = parse(topic_of(reply), encode(reply))  # valid for order-events' contract
    assert (parsed.event_type, parsed.order_id, topic_of(reply)) == (
        confirmed_by,
        "O-1",
        "order-events",
    )
    words = {k: v for k, v in parsed.model_dump().items() if k in ("reason", "change", "carrier")}
    assert says in words.values(), words
    assert answer(command, now=AT).event_id == reply.event_id

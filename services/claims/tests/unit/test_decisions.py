"""A claim's decision as order-commands: a replacement of the same product or a better one, a
spare part, a return authorisation when the product is taken back; what cannot be carried out
is refused with the reason."""

from datetime import UTC, datetime

import pytest

from cc_schemas import ClaimOutcome, OrderReplacementRequested, SparePartRequested
from claims.decisions import BadDecision, Fulfilment, order_commands
from claims.details import Details

AT = datetime(2026, 12, 2, 10, tzinfo=UTC)
TRAIN = Details(
    customer_id="C-1",
    channel="phone",
    cluster="warranty_replacement",
    subject="Engine dead",
    order_id="O-7",
    product_code="TRN-2040",
)


def commands(
    outcome: ClaimOutcome, fulfilment: Fulfilment, details: Details = TRAIN
) -> list[object]:
    sent = order_commands("T-1000", 4, details, outcome, fulfilment, ("anna", "engine dead", AT))
    assert {topic for topic, _ in sent} <= {"order-commands"}
    return [event for _, event in sent]


def test_a_replacement_of_the_same_product_taken_back() -> None:
    sent = commands(ClaimOutcome.REPLACEMENT, Fulfilment(take_back=True))
    assert [(e.event_type, e.order_id, e.ticket_id) for e in sent] == [  # type: ignore[attr-defined]
        ("order.replacement_requested", "O-7", "T-1000"),
        ("order.return_requested", "O-7", "T-1000"),
    ]
    replacement = sent[0]
    assert isinstance(replacement, OrderReplacementRequested)
    assert (replacement.product_id, replacement.replaces) == ("TRN-2040", None)


def test_out_of_stock_a_better_product_replaces_it() -> None:
    (replacement,) = commands(ClaimOutcome.REPLACEMENT, Fulfilment(replacement="TRN-3000"))
    assert isinstance(replacement, OrderReplacementRequested)
    assert (replacement.product_id, replacement.replaces) == ("TRN-3000", "TRN-2040")


def test_a_spare_part_names_the_part_and_its_product() -> None:
    (part,) = commands(ClaimOutcome.SPARE_PART_SENT, Fulfilment(spare_part="TRN-2040-WHEEL"))
    assert isinstance(part, SparePartRequested)
    assert (part.part, part.product_id) == ("TRN-2040-WHEEL", "TRN-2040")


def test_instructions_and_vouchers_send_nothing() -> None:
    assert commands(ClaimOutcome.NO_FAULT_FOUND, Fulfilment()) == []
    assert commands(ClaimOutcome.VOUCHER, Fulfilment()) == []


def test_the_event_ids_are_stable_per_ticket_version_and_command() -> None:
    first = commands(ClaimOutcome.REPLACEMENT, Fulfilment(take_back=True))
    again = commands(ClaimOutcome.REPLACEMENT, Fulfilment(take_back=True))
    assert [e.event_id for e in first] == [e.event_id for e in again]  # type: ignore[attr-defined]
    assert len({e.event_id for e in first}) == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("outcome", "fulfilment", "details", "why"),
    [
        (
            ClaimOutcome.REPLACEMENT,
            Fulfilment(),
            Details("C-1", "phone", "return", "x"),
            "names none",
        ),
        (ClaimOutcome.SPARE_PART_SENT, Fulfilment(), TRAIN, "needs the part's code"),
        (ClaimOutcome.REFUND, Fulfilment(spare_part="W"), TRAIN, "only with the outcome spare"),
        (ClaimOutcome.REFUND, Fulfilment(replacement="P"), TRAIN, "only with the outcome replace"),
    ],
    ids=["no-order", "no-part", "part-without-outcome", "product-without-outcome"],
)
def test_what_cannot_be_carried_out_is_refused(
    outcome: ClaimOutcome, fulfilment: Fulfilment, details: Details, why: str
) -> None:
    with pytest.raises(BadDecision, match=why):
        commands(outcome, fulfilment, details)

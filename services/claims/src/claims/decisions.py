"""What a claim's decision asks of the shop, as `order-commands`: a replacement (the same
product, or a better one when it is out of stock), a spare part, and a return authorisation when
the product is taken back (rather than disposed of by the customer). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_schemas import (
    ORDER_COMMANDS,
    ClaimOutcome,
    Event,
    OrderCommand,
    OrderReplacementRequested,
    OrderReturnRequested,
    SparePartRequested,
    make_event_id,
)
from claims.details import Details


class BadDecision(ValueError):
    """A decision that cannot be carried out as asked (HTTP 422); the message says why."""


@dataclass(frozen=True)
class Fulfilment:
    replacement: str | None = None  # the product to send; None: the same product
    spare_part: str | None = None
    take_back: bool = False  # authorise the return of the faulty product


def order_commands(
    ticket_id: str,
    version: int,
    details: Details,
    outcome: ClaimOutcome,
    fulfilment: Fulfilment,
    decided: tuple[str, str, datetime],  # by, why, when
) -> list[tuple[str, Event]]:
    by, why, at = decided
    needs_order = fulfilment.take_back or outcome in (
        ClaimOutcome.REPLACEMENT,
        ClaimOutcome.SPARE_PART_SENT,
    )
    if fulfilment.spare_part and outcome is not ClaimOutcome.SPARE_PART_SENT:
        raise BadDecision("a spare part is sent only with the outcome spare_part_sent")
    if fulfilment.replacement and outcome is not ClaimOutcome.REPLACEMENT:
        raise BadDecision("a replacement product goes only with the outcome replacement")
    if not needs_order:
        return []
    if details.order_id is None:
        raise BadDecision(f"{outcome.value} needs the claim's order, and it names none")

    def common(kind: str) -> dict[str, Any]:
        return {
            "event_id": make_event_id("claims", ticket_id, version, kind),
            "occurred_at": at,
            "source": "claims",
            "order_id": details.order_id,
            "requested_by": by,
            "reason": why,
            "ticket_id": ticket_id,
        }

    commands: list[OrderCommand] = []
    if outcome is ClaimOutcome.REPLACEMENT:
        product = fulfilment.replacement or details.product_code
        if product is None:
            raise BadDecision("a replacement needs the product to send (the claim names none)")
        replaces = details.product_code if product != details.product_code else None
        commands.append(
            OrderReplacementRequested(
                **common("replacement"), product_id=product, replaces=replaces
            )
        )
    if outcome is ClaimOutcome.SPARE_PART_SENT:
        if not fulfilment.spare_part or not details.product_code:
            raise BadDecision("a spare part needs the part's code and the claim's product code")
        commands.append(
            SparePartRequested(
                **common("spare_part"), part=fulfilment.spare_part, product_id=details.product_code
            )
        )
    if fulfilment.take_back:
        commands.append(OrderReturnRequested(**common("return")))
    return [(ORDER_COMMANDS, c) for c in commands]

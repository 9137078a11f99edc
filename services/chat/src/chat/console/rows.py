"""What the console shows of a request, in the operator's language. Pure: request in, words
out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chat.console.messages import CHANNELS, MESSAGES, PRIORITIES, RULES
from chat.queue import ContactRequest, offered_to, seconds_left


@dataclass(frozen=True)
class Row:
    request_id: str
    priority_code: str
    priority: str
    rule: str
    reason: str | None
    customer: str
    customer_lines: list[str]
    channel: str
    context: list[str]
    waiting: str
    expires_in: str
    expires_at: str
    accept_label: str
    decline_label: str
    offer: str | None = None  # "offered to you" by auto-assignment, while it lasts
    pass_label: str = ""


def row_of(request: ContactRequest, lang: str, now: datetime, me: str | None = None) -> Row:
    t = MESSAGES[lang]
    mine = me is not None and offered_to(request, now) == me
    offer_left = (
        max(1, int((request.offered_until - now).total_seconds()))
        if mine and request.offered_until is not None
        else None
    )
    return Row(
        request_id=request.request_id,
        priority_code=request.priority.value,
        priority=PRIORITIES[lang][request.priority],
        rule=RULES[lang].get(request.rule, request.rule),
        reason=request.reason,
        customer=customer_of(request, lang),
        customer_lines=_customer_lines(request, lang),
        channel=CHANNELS[lang][request.channel],
        context=context_lines(request, lang),
        waiting=duration(max(0, int((now - request.requested_at).total_seconds())), lang),
        expires_in=duration(seconds_left(request, now), lang),
        expires_at=request.expires_at.isoformat(),
        accept_label=t["accept_label"].format(request_id=request.request_id),
        decline_label=t["decline_label"].format(request_id=request.request_id),
        offer=t["offered_to_you"].format(seconds=offer_left) if offer_left else None,
        pass_label=t["pass_label"].format(request_id=request.request_id),
    )


def customer_of(request: ContactRequest, lang: str) -> str:
    return request.customer_id or MESSAGES[lang]["anonymous"]


def _customer_lines(request: ContactRequest, lang: str) -> list[str]:
    t = MESSAGES[lang]
    lines = [t["session"].format(session_id=request.session_id)]
    if request.strategic_level:
        lines.append(t["strategic"].format(level=request.strategic_level.value))
    return lines


def context_lines(request: ContactRequest, lang: str) -> list[str]:
    t = MESSAGES[lang]
    context = request.context
    lines = []
    if context.cart_value_cents is not None:
        value = f"{context.cart_value_cents / 100:.2f} {context.currency or ''}".strip()
        if lang == "it":  # Italian writes 89,90
            value = value.replace(".", ",")
        lines.append(t["cart"].format(value=value))
    if context.product_ids:
        lines.append(t["products"].format(products=", ".join(context.product_ids)))
    if context.search_queries:
        lines.append(t["searches"].format(searches=", ".join(context.search_queries)))
    if context.order_id:
        lines.append(t["order"].format(order_id=context.order_id))
    return lines


def duration(seconds: int, lang: str) -> str:
    minutes, rest = divmod(seconds, 60)
    return MESSAGES[lang]["minutes_seconds"].format(minutes=minutes, seconds=rest)

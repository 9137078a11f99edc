"""Canned responses, pure: a small configured table of ready answers whose placeholders
({customer_name}, {order_id}, {operator_name}) are filled from what chat knows of the chat.
No I/O.

Filled safely: one pass of a fixed pattern, each value put in as plain text (a value holding
"{order_id}" is not expanded again, and nothing like str.format's attribute access exists), the
result shown in the console's message box through an escaping template for the operator to
read and edit before sending. A placeholder chat knows no value for stays as written, so the
operator sees what to fill in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
KNOWN_PLACEHOLDERS = frozenset({"customer_name", "order_id", "operator_name"})


@dataclass(frozen=True)
class Canned:
    key: str
    title: str  # what the operator picks it by
    text: str


DEFAULT_TABLE: tuple[Canned, ...] = (
    Canned("greeting", "Greeting", "Hello {customer_name}, I am {operator_name}: how can I help?"),
    Canned(
        "order_status",
        "Order status",
        "I am looking at order {order_id} for you: one moment, please.",
    ),
    Canned("return", "Returns", "You can return it within 30 days: I will send you the label."),
    Canned("closing", "Closing", "Is there anything else I can do for you, {customer_name}?"),
    Canned(
        "saluto",
        "Saluto (it)",
        "Buongiorno {customer_name}, sono {operator_name}: come posso aiutarla?",
    ),
)


class UnknownPlaceholder(ValueError):
    """A configured answer names a placeholder chat cannot fill."""


def check_table(table: tuple[Canned, ...]) -> tuple[Canned, ...]:
    """The table as configured, refused when an answer names an unknown placeholder or two
    answers share a key."""
    keys = [c.key for c in table]
    if len(keys) != len(set(keys)):
        raise UnknownPlaceholder(f"canned responses share a key: {sorted(keys)}")
    for canned in table:
        unknown = set(PLACEHOLDER.findall(canned.text)) - KNOWN_PLACEHOLDERS
        if unknown:
            raise UnknownPlaceholder(
                f"canned response {canned.key!r} names {sorted(unknown)}; "
                f"known: {sorted(KNOWN_PLACEHOLDERS)}"
            )
    return table


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """The answer with each placeholder that has a value replaced by it, the others left."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return found if found else match.group(0)

    return PLACEHOLDER.sub(value, text)

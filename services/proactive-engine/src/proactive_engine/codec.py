"""A session's folded state as bytes for the session store, and back; no I/O.

JSON (orjson) of plain values: times as RFC 3339 strings, each stamp a `[at, event_id, kind,
detail]` array, the customer as its fields. JSON rather than pickle so that what the database
holds is data, readable by anyone (`convert_from(state, 'UTF8')`), never code. orjson writes
datetimes, enums and (through `default=tuple`) the stamps' named tuples itself, and
`datetime.fromisoformat` reads a time back in a third of what arithmetic on an integer costs:
a partition's load turns about ten times as many stamps as sessions back into objects.
`v` is the format's version: a change to the state's fields that needs more than a default for
a missing key gets a new version, read beside the old one. The rule episodes decided (`fired`)
are stored apart, in their own column, and the order problems are read from the orders table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cc_schemas import CustomerContext
from proactive_engine.owned import LiveSession
from proactive_engine.session import Latest, PageKind, SessionState, Stamp

VERSION = 1
_KINDS = {kind.value: kind for kind in PageKind}
_at = datetime.fromisoformat


def _at_or_none(stored: str | None) -> datetime | None:
    return None if stored is None else _at(stored)


def _stamps(stored: list[list[Any]]) -> list[Stamp]:
    kinds, at = _KINDS, _at
    return [
        Stamp(at(when), event_id, kinds[kind], detail) for when, event_id, kind, detail in stored
    ]


def _latest(stored: list[Any] | None) -> Latest | None:
    return None if stored is None else Latest(_at(stored[0]), stored[1])


def encode_state(state: SessionState) -> bytes:
    """The state's facts as bytes (not its id, decided episodes or order problems)."""
    customer = state.customer
    return orjson.dumps(
        {
            "v": VERSION,
            "first_at": state.first_at,
            "last_at": state.last_at,
            "customer": None if customer is None else customer.model_dump(),
            "customer_set": state.customer_set,
            "opted_out": state.opted_out,
            "visits": state.visits,
            "cart_quantities": state.cart_quantities,
            "cart_value_cents": state.cart_value_cents,
            "currency": state.currency,
            "cart_value_set": state.cart_value_set,
            "added_to_cart": state.added_to_cart,
            "checkout_failures": state.checkout_failures,
            "ordered_at": state.ordered_at,
            "order_id": state.order_id,
            "faq_searches": state.faq_searches,
            "faq_helpful": state.faq_helpful,
            "status_checks": state.status_checks,
        },
        default=tuple,  # the named tuples (Stamp, Latest), which orjson does not write itself
    )


def decode_state(session_id: str, data: bytes, fired: frozenset[str]) -> SessionState:
    stored = orjson.loads(data)
    if stored.get("v") != VERSION:
        raise ValueError(f"session {session_id}: stored state of unknown version {stored.get('v')}")
    customer = stored["customer"]
    return SessionState(
        session_id=session_id,
        first_at=_at_or_none(stored["first_at"]),
        last_at=_at_or_none(stored["last_at"]),
        customer=None if customer is None else CustomerContext(**customer),
        customer_set=_latest(stored["customer_set"]),
        opted_out=stored["opted_out"],
        visits=_stamps(stored["visits"]),
        cart_quantities=stored["cart_quantities"],
        cart_value_cents=stored["cart_value_cents"],
        currency=stored["currency"],
        cart_value_set=_latest(stored["cart_value_set"]),
        added_to_cart=stored["added_to_cart"],
        checkout_failures=_stamps(stored["checkout_failures"]),
        ordered_at=_at_or_none(stored["ordered_at"]),
        order_id=stored["order_id"],
        faq_searches=_stamps(stored["faq_searches"]),
        faq_helpful=stored["faq_helpful"],
        status_checks=_stamps(stored["status_checks"]),
        fired=fired,
    )


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session as stored: its partition, latest event time, decided episodes and state."""

    session_id: str
    partition: int
    last_at: datetime
    fired: Sequence[str]
    state: bytes


def row_of(live: LiveSession, fired: Iterable[str] | None = None) -> SessionRow | None:
    """The session's row; `fired` instead of its decided episodes when given. None for a
    session without events (never stored: there is nothing to keep)."""
    state = live.state
    if state.last_at is None:
        return None
    episodes = sorted(state.fired if fired is None else fired)
    return SessionRow(live.session_id, live.partition, state.last_at, episodes, encode_state(state))


def live_session(row: SessionRow) -> LiveSession:
    return LiveSession(decode_state(row.session_id, row.state, frozenset(row.fired)), row.partition)

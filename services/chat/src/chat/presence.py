"""Operator presence, pure: online / away / offline from the console's heartbeats, seats (the
chats an operator holds at once) and the choice of who a waiting chat goes to. No I/O.

An operator is what they last said (online, away, offline) while their heartbeats keep coming;
one whose browser vanished (no heartbeat for `timeout`) is offline whatever they last said."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Operator:
    operator_id: str
    status: Presence  # what the operator last said
    seat_limit: int  # how many chats they hold at once
    last_seen: datetime  # their console's last heartbeat
    team: str | None = None
    open_chats: int = 0
    offers: int = 0  # contact requests offered to them now: each holds a seat while it lasts


def status_at(operator: Operator, now: datetime, timeout: timedelta) -> Presence:
    """Offline once the heartbeats stopped for `timeout`, else what the operator said."""
    if now - operator.last_seen > timeout:
        return Presence.OFFLINE
    return operator.status


def free_seats(operator: Operator) -> int:
    return max(operator.seat_limit - operator.open_chats - operator.offers, 0)


def available(operators: Iterable[Operator], now: datetime, timeout: timedelta) -> list[Operator]:
    """The operators who may be given a chat now: online, heard from, with a free seat."""
    return [
        o for o in operators if status_at(o, now, timeout) is Presence.ONLINE and free_seats(o) > 0
    ]


def choose(
    operators: Iterable[Operator], now: datetime, timeout: timedelta, team: str | None = None
) -> Operator | None:
    """Who a waiting chat goes to: of the available operators (of `team`, when the chat was
    sent to one), the one with the fewest open chats; ties by operator id, so the choice is
    the same whoever makes it."""
    candidates = [o for o in available(operators, now, timeout) if team is None or o.team == team]
    if not candidates:
        return None
    return min(candidates, key=lambda o: (o.open_chats + o.offers, o.operator_id))


def choose_for_offer(
    operators: Iterable[Operator],
    offers_held: Mapping[str, int],
    passed: Collection[str],
    now: datetime,
    timeout: timedelta,
) -> Operator | None:
    """Who a waiting contact request is offered to: of the online operators who have not let
    it pass (declined or lapsed), the one with the fewest open chats and offers held below
    their seat limit (an offer holds a seat while it lasts); ties by operator id."""

    def load(o: Operator) -> int:
        return o.open_chats + offers_held.get(o.operator_id, 0)

    candidates = [
        o
        for o in operators
        if status_at(o, now, timeout) is Presence.ONLINE
        and o.operator_id not in passed
        and load(o) < o.seat_limit
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda o: (load(o), o.operator_id))


def seat_refusal(operator_id: str, open_chats: int, seat_limit: int) -> str | None:
    """Why an operator may not take one more chat by hand (Take, or Accept of a chat request):
    they hold their seat limit already. None when they may. A supervisor's reassignment is
    not held to it."""
    if open_chats < seat_limit:
        return None
    return (
        f"{operator_id} holds {open_chats} of {seat_limit} chats (the seat limit): end one "
        "first, or ask a supervisor to reassign it"
    )

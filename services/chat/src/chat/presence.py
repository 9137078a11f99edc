"""Operator presence, pure: online / away / offline from the console's heartbeats, seats (the
chats an operator holds at once) and the choice of who a waiting chat goes to. No I/O.

An operator is what they last said (online, away, offline) while their heartbeats keep coming;
one whose browser vanished (no heartbeat for `timeout`) is offline whatever they last said."""

from __future__ import annotations

from collections.abc import Iterable
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


def status_at(operator: Operator, now: datetime, timeout: timedelta) -> Presence:
    """Offline once the heartbeats stopped for `timeout`, else what the operator said."""
    if now - operator.last_seen > timeout:
        return Presence.OFFLINE
    return operator.status


def free_seats(operator: Operator) -> int:
    return max(operator.seat_limit - operator.open_chats, 0)


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
    return min(candidates, key=lambda o: (o.open_chats, o.operator_id))

"""The supervisor's view, pure: from what chat has stored (waiting requests and chats, the last
half hour's contacts, the operators' presence, calls and pauses) to the wallboard: what waits
and for how long, the service level per channel, each operator's state and load, and an alert
for each channel over its target.

Service level of a channel = contacts answered within the target / contacts offered, over the
contacts offered in the window (the last 30 minutes). A contact still waiting past the target
counts as offered and not answered; one still waiting within it is not counted yet (it may
still make it). None when nothing was offered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chat.presence import Operator, Presence, status_at


class OperatorState(StrEnum):
    ON_CALL = "on_call"  # call events: a call answered by them and not ended
    PAUSED = "paused"  # agent events: paused on the phone
    CHATTING = "chatting"  # holds at least one open chat
    AVAILABLE = "available"  # online with nothing on
    AWAY = "away"  # said away in the console
    OFFLINE = "offline"  # said so, or silent past the presence timeout


@dataclass(frozen=True)
class Waiting:
    kind: str  # request or chat
    item_id: str
    channel: str
    since: datetime


@dataclass(frozen=True)
class Held:
    chat_id: str
    operator_id: str
    since: datetime  # when the chat started


@dataclass(frozen=True)
class Offered:
    """One contact offered to the desk: when, and when an operator took it (None: not yet,
    or never: expired, declined, abandoned)."""

    channel: str
    offered_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class Snapshot:
    waiting: tuple[Waiting, ...]
    offered: tuple[Offered, ...]  # the window's contacts
    operators: tuple[Operator, ...]  # open_chats counted
    on_call: frozenset[str]
    paused: frozenset[str]
    held: tuple[Held, ...] = ()  # open chats an operator holds


@dataclass(frozen=True)
class HeldRow:
    chat_id: str
    operator_id: str
    age: timedelta


@dataclass(frozen=True)
class WaitingRow:
    kind: str
    item_id: str
    channel: str
    waited: timedelta


@dataclass(frozen=True)
class ServiceLevel:
    channel: str
    offered: int
    answered_in_target: int
    level: float | None  # answered_in_target / offered; None when nothing was offered


@dataclass(frozen=True)
class OperatorRow:
    operator_id: str
    state: OperatorState
    open_chats: int
    seat_limit: int
    on_call: bool


@dataclass(frozen=True)
class Alert:
    channel: str
    reason: str  # "oldest" (waiting past the target) or "level" (below the goal)
    oldest: timedelta | None
    level: float | None


@dataclass(frozen=True)
class Wallboard:
    waiting: tuple[WaitingRow, ...]  # oldest first
    service_levels: tuple[ServiceLevel, ...]  # by channel name
    operators: tuple[OperatorRow, ...]  # by state, then id
    alerts: tuple[Alert, ...]
    held: tuple[HeldRow, ...] = ()  # chats in progress, oldest first


@dataclass(frozen=True)
class Targets:
    answer_within: timedelta  # a contact taken within this is answered in target
    goal: float  # the service level a channel must keep (0-1)
    window: timedelta = timedelta(minutes=30)


STATE_ORDER = tuple(OperatorState)


def wallboard(snapshot: Snapshot, now: datetime, targets: Targets, timeout: timedelta) -> Wallboard:
    waiting = tuple(
        WaitingRow(w.kind, w.item_id, w.channel, now - w.since)
        for w in sorted(snapshot.waiting, key=lambda w: (w.since, w.item_id))
    )
    levels = service_levels(snapshot.offered, now, targets)
    operators = tuple(
        sorted(
            (operator_row(o, snapshot, now, timeout) for o in snapshot.operators),
            key=lambda r: (STATE_ORDER.index(r.state), r.operator_id),
        )
    )
    held = tuple(
        HeldRow(h.chat_id, h.operator_id, now - h.since)
        for h in sorted(snapshot.held, key=lambda h: (h.since, h.chat_id))
    )
    return Wallboard(waiting, levels, operators, alerts(waiting, levels, targets), held)


def service_levels(
    offered: tuple[Offered, ...], now: datetime, targets: Targets
) -> tuple[ServiceLevel, ...]:
    counts: dict[str, list[int]] = {}
    for contact in offered:
        if contact.offered_at < now - targets.window or contact.offered_at > now:
            continue
        deadline = contact.offered_at + targets.answer_within
        in_target = contact.answered_at is not None and contact.answered_at <= deadline
        decided = in_target or now > deadline or contact.answered_at is not None
        if not decided:
            continue  # still waiting, and may yet be answered in time
        count = counts.setdefault(contact.channel, [0, 0])
        count[0] += 1
        count[1] += int(in_target)
    return tuple(
        ServiceLevel(channel, n, hit, hit / n if n else None)
        for channel, (n, hit) in sorted(counts.items())
    )


def operator_row(
    operator: Operator, snapshot: Snapshot, now: datetime, timeout: timedelta
) -> OperatorRow:
    on_call = operator.operator_id in snapshot.on_call
    return OperatorRow(
        operator.operator_id,
        state_of(operator, on_call, operator.operator_id in snapshot.paused, now, timeout),
        operator.open_chats,
        operator.seat_limit,
        on_call,
    )


def state_of(
    operator: Operator, on_call: bool, paused: bool, now: datetime, timeout: timedelta
) -> OperatorState:
    """A call outranks everything (the phone says they are on it, whatever the console says);
    then a pause on the phone; then the console's presence and the chats held."""
    if on_call:
        return OperatorState.ON_CALL
    if paused:
        return OperatorState.PAUSED
    presence = status_at(operator, now, timeout)
    if presence is Presence.OFFLINE:
        return OperatorState.OFFLINE
    if operator.open_chats > 0:
        return OperatorState.CHATTING
    if presence is Presence.AWAY:
        return OperatorState.AWAY
    return OperatorState.AVAILABLE


def alerts(
    waiting: tuple[WaitingRow, ...], levels: tuple[ServiceLevel, ...], targets: Targets
) -> tuple[Alert, ...]:
    """A channel whose oldest contact waits past the target, or whose level is under the
    goal; one alert per channel, the waiting one first (it is the one to act on now)."""
    found: dict[str, Alert] = {}
    for row in waiting:  # oldest first: the first of a channel is its oldest
        if row.waited > targets.answer_within and row.channel not in found:
            found[row.channel] = Alert(row.channel, "oldest", row.waited, None)
    for level in levels:
        if level.level is not None and level.level < targets.goal and level.channel not in found:
            found[level.channel] = Alert(level.channel, "level", None, level.level)
    return tuple(found[c] for c in sorted(found))

"""Use cases of operator presence and auto-assignment: an operator's console says online, away
or offline (and repeats it: the heartbeat); a watcher makes the vanished ones offline and gives
waiting chats to the online operator with the fewest open chats below their seat limit. No I/O
of their own: the repositories and the relay's wake-up are passed in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cc_schemas import ChatAssignment
from chat import chat_events, conversation, presence, waiting
from chat.chat_events import Published
from chat.conversation import Chat, Message
from chat.presence import Operator, Presence
from chat.queue import ContactRequest
from chat.repository import ContactRequests, Operators, Step
from chat.waiting import Estimate, QueueFigures

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seats:
    operators: Operators
    timeout: timedelta  # no heartbeat for this long: offline
    default_seat_limit: int  # when the operator's token does not name theirs
    written: Callable[[], None]  # tells the outbox relay there is something to publish
    handling_window: timedelta = timedelta(hours=1)  # "recent" chats, for the wait estimate
    default_handling_seconds: float = 300.0  # when no chat ended within the window
    requests: ContactRequests | None = None  # waiting contact requests to offer (None: none)
    offer_lasts: timedelta = timedelta(seconds=20)  # an offer not taken by then goes on


async def heartbeat(
    seats: Seats,
    operator_id: str,
    status: Presence,
    seat_limit: int | None,
    team: str | None,
    now: datetime,
) -> Operator:
    limit = seat_limit if seat_limit is not None else seats.default_seat_limit
    return await seats.operators.heartbeat(operator_id, status, limit, team, now)


async def watch_round(seats: Seats, now: datetime) -> tuple[list[str], list[Chat]]:
    """One round of the presence watcher: who went offline, and the chats it assigned; then
    the waiting contact requests it offered."""
    vanished = await seats.operators.mark_vanished(now, seats.timeout)
    if vanished:
        log.info("operators offline (no heartbeat for %s): %s", seats.timeout, vanished)
    given_back = await give_back(seats, now)
    assigned = await assign_waiting(seats, now)
    await offer_waiting(seats, now)
    return vanished, given_back + assigned


async def give_back(seats: Seats, now: datetime, at_most: int = 100) -> list[Chat]:
    """The chats of operators gone offline whose customer waits for a reply go to available
    operators (fewest open chats first), one transaction each; chats where the operator spoke
    last stay theirs until the customer writes again. Nobody available: they stay too."""
    given: list[Chat] = []
    while len(given) < at_most:
        chat = await seats.operators.give_back_next(
            now - seats.timeout, lambda c, ops: _giving_back(c, ops, now, seats.timeout)
        )
        if chat is None:
            break
        given.append(chat)
    if given:
        log.info(
            "chats of operators offline given on: %s", [(c.chat_id, c.operator_id) for c in given]
        )
        seats.written()
    return given


async def offer_waiting(seats: Seats, now: datetime, at_most: int = 100) -> list[ContactRequest]:
    """Offer waiting contact requests (none offered, or the offer lapsed) to available
    operators, one transaction each, in queue order, until none can be. Nothing is published:
    an offer is not an outcome (the contract's outcomes are final: accepted, declined...)."""
    offered: list[ContactRequest] = []
    if seats.requests is None:
        return offered
    while len(offered) < at_most:
        request = await seats.requests.offer_next(
            now,
            now - seats.timeout,
            seats.offer_lasts,
            lambda r, ops, held, passed: _offer(ops, held, passed, now, seats.timeout),
        )
        if request is None:
            break
        offered.append(request)
    if offered:
        log.info("offered %s", [(r.request_id, r.offered_to) for r in offered])
    return offered


def _offer(
    operators: list[Operator],
    held: dict[str, int],
    passed: frozenset[str],
    now: datetime,
    timeout: timedelta,
) -> str | None:
    chosen = presence.choose_for_offer(operators, held, passed, now, timeout)
    return chosen.operator_id if chosen is not None else None


async def assign_waiting(seats: Seats, now: datetime, at_most: int = 100) -> list[Chat]:
    """Give waiting chats to available operators, one transaction each, until none can be."""
    assigned: list[Chat] = []
    while len(assigned) < at_most:
        chat = await seats.operators.assign_next(
            now - seats.timeout, lambda c, ops: _assignment(c, ops, now, seats.timeout)
        )
        if chat is None:
            break
        assigned.append(chat)
    if assigned:
        seats.written()
    return assigned


async def wait_estimate(seats: Seats, started_at: datetime | None, now: datetime) -> Estimate:
    """What a customer whose chat started at `started_at` (None: not started yet) is told."""
    place, online, handling = await seats.operators.queue_figures(
        started_at, now - seats.timeout, now - seats.handling_window
    )
    reachable = [o for o in online if presence.status_at(o, now, seats.timeout) is Presence.ONLINE]
    figures = QueueFigures(
        place=place,
        operators_online=len(reachable),
        online_seats=sum(o.seat_limit for o in reachable),
        free_seats=sum(presence.free_seats(o) for o in reachable),
        handling_seconds=handling if handling is not None else seats.default_handling_seconds,
    )
    return waiting.estimate(figures)


def _giving_back(
    chat: Chat, operators: list[Operator], now: datetime, timeout: timedelta
) -> Step | None:
    chosen = presence.choose(
        [o for o in operators if o.operator_id != chat.operator_id], now, timeout
    )
    if chosen is None:
        return None
    operator_id = chosen.operator_id

    def step(stored: Chat) -> tuple[Chat, Message | None, Published]:
        after = conversation.given_back(stored, operator_id, now)
        return after, None, chat_events.given_back(stored, after, now)

    return step


def _assignment(
    chat: Chat, operators: list[Operator], now: datetime, timeout: timedelta
) -> Step | None:
    chosen = presence.choose(operators, now, timeout, chat.team)
    if chosen is None:
        return None
    operator_id = chosen.operator_id

    def step(stored: Chat) -> tuple[Chat, Message | None, Published]:
        joined = conversation.join(stored, operator_id, now)
        return joined, None, chat_events.joined(joined, None, ChatAssignment.AUTO)

    return step

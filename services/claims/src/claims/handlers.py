"""Use cases of claims: open a claim, and apply a command to a ticket at the version its
caller saw. No I/O of their own: the repository and the relay's wake-up are passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cc_schemas import Actor
from claims.details import Details, check_cluster
from claims.domain import Outcome, Refused, Responsible, Rules, Ticket, open_ticket
from claims.events import events_of
from claims.repository import Stored, TicketRepository, Written


class NotFound(LookupError):
    """No such ticket (HTTP 404)."""


class Conflict(Exception):
    """The ticket changed since its caller read it, or its state refuses the command (HTTP
    409); `current` is the ticket as it is now, for the caller to look again."""

    def __init__(self, reason: str, current: Stored) -> None:
        super().__init__(reason)
        self.current = current


@dataclass(frozen=True)
class Claims:
    tickets: TicketRepository
    rules: Rules
    clusters: tuple[str, ...]
    written: Callable[[], None]  # tells the outbox relay there is something to publish


Command = Callable[[Ticket], Outcome]


async def open_claim(
    claims: Claims, details: Details, first: Responsible | None, actor: Actor, now: datetime
) -> Stored:
    check_cluster(details.cluster, claims.clusters)
    ticket_id = await claims.tickets.next_ticket_id()
    outcome = open_ticket(ticket_id, actor.subject, now, first)
    stored = Stored(details, outcome.ticket)
    events = events_of(None, outcome.ticket, details, outcome.changes, actor)
    await claims.tickets.create(Written(stored, outcome.changes, actor, events))
    claims.written()
    return stored


async def act(
    claims: Claims, ticket_id: str, expected_version: int, command: Command, actor: Actor
) -> Stored:
    """Apply `command` to the ticket as its caller saw it (`expected_version`). Exactly one of
    two people acting on the same version wins; the other gets `Conflict` with the ticket as
    the winner left it."""
    current = await claims.tickets.get(ticket_id)
    if current is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    if current.ticket.version != expected_version:
        raise Conflict(_changed_since(current, expected_version), current)
    try:
        outcome = command(current.ticket)
    except Refused as refused:
        raise Conflict(str(refused), current) from None
    stored = Stored(current.details, outcome.ticket)
    events = events_of(current.ticket, outcome.ticket, current.details, outcome.changes, actor)
    if not await claims.tickets.update(
        expected_version, Written(stored, outcome.changes, actor, events)
    ):
        now = await claims.tickets.get(ticket_id)
        assert now is not None  # tickets are never deleted
        raise Conflict(_changed_since(now, expected_version), now)
    claims.written()
    return stored


def _changed_since(current: Stored, expected: int) -> str:
    return (
        f"ticket {current.ticket.ticket_id} changed since version {expected}: "
        f"it is at version {current.ticket.version}, {current.ticket.state.value}"
    )

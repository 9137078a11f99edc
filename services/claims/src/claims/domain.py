"""The claim ticket, its states and its assignment chain: pure rules, no I/O.

A ticket is `new` until someone takes it, then `open`; it may wait (`pending` on the customer,
a team or a supplier), is `resolved` with a decision (who decided what, and why), and `closed`
resolved or unresolved; a closed ticket reopens within a window, and any live ticket can be
merged into another. Every command returns the changed ticket and the `Change`s it made, which
the handlers store and publish; a command the state does not allow raises `Refused` with the
reason (HTTP 409). Time is passed in, never read.

The assignment chain is a list of stints: each hand-over ends the holder's stint and starts the
next one at the same instant, so a ticket has at most one responsible at a time and the stints'
durations add up to the time it was held (contact centre -> marketing -> contact centre is two
contact-centre stints)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_TEAM = "pending_team"
    PENDING_SUPPLIER = "pending_supplier"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class WaitingFor(StrEnum):
    CUSTOMER = "customer"
    TEAM = "team"
    SUPPLIER = "supplier"


PENDING = {
    WaitingFor.CUSTOMER: State.PENDING_CUSTOMER,
    WaitingFor.TEAM: State.PENDING_TEAM,
    WaitingFor.SUPPLIER: State.PENDING_SUPPLIER,
}
WORKING = frozenset({State.OPEN, *PENDING.values()})  # held by a responsible, not decided yet
LIVE = frozenset({State.NEW, *WORKING, State.RESOLVED})  # may still change hands or be merged


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Resolution(StrEnum):
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


class Refused(Exception):
    """A command the ticket's state does not allow; the message says why."""


@dataclass(frozen=True)
class Responsible:
    person: str
    team: str


@dataclass(frozen=True)
class Stint:
    """One responsible's hold of the ticket, from a hand-over to the next (or to now)."""

    holder: Responsible
    started_at: datetime
    assigned_by: str
    reason: str | None = None
    ended_at: datetime | None = None

    def held(self, now: datetime) -> timedelta:
        return (self.ended_at or now) - self.started_at


@dataclass(frozen=True)
class Decision:
    """What was decided on the claim (replacement, refund, no fault found ...), by whom, why."""

    outcome: str
    decided_by: str
    reason: str
    decided_at: datetime


@dataclass(frozen=True)
class Change:
    """One step of the ticket's history: a state change, with who, when and why."""

    kind: str  # opened, assigned, waiting, resumed, checked, resolved, closed, reopened, merged
    at: datetime
    by: str
    from_state: State | None
    to_state: State
    reason: str | None = None


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    state: State
    opened_at: datetime
    opened_by: str
    stints: tuple[Stint, ...] = ()
    decision: Decision | None = None
    resolution: Resolution | None = None
    closed_at: datetime | None = None
    merged_into: str | None = None
    version: int = 1

    @property
    def responsible(self) -> Responsible | None:
        current = self.stints[-1] if self.stints else None
        return current.holder if current is not None and current.ended_at is None else None

    @property
    def last_responsible(self) -> Responsible | None:
        return self.stints[-1].holder if self.stints else None


@dataclass(frozen=True)
class Rules:
    """The configurable part of the rules: how long a closed ticket may be reopened."""

    reopen_window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    ticket: Ticket
    changes: tuple[Change, ...] = field(default=())


def open_ticket(ticket_id: str, by: str, at: datetime, first: Responsible | None = None) -> Outcome:
    """A new ticket; with a first responsible it is open at once, in their hands."""
    ticket = Ticket(ticket_id=ticket_id, state=State.NEW, opened_at=at, opened_by=by)
    opened = Change("opened", at, by, None, State.NEW)
    if first is None:
        return Outcome(ticket, (opened,))
    assigned = assign(ticket, first, by, at, reason=None)
    return Outcome(replace(assigned.ticket, version=1), (opened, *assigned.changes))


def assign(ticket: Ticket, to: Responsible, by: str, at: datetime, reason: str | None) -> Outcome:
    """Hand the ticket to `to`: the holder's stint ends and `to`'s begins, at `at`."""
    _require(ticket, LIVE - {State.RESOLVED}, "assign")
    if ticket.responsible == to:
        raise Refused(f"ticket {ticket.ticket_id} is already held by {to.person} ({to.team})")
    _require_not_before(ticket, at)
    stints = (*_ended(ticket.stints, at), Stint(to, at, by, reason))
    state = State.OPEN if ticket.state is State.NEW else ticket.state
    change = Change("assigned", at, by, ticket.state, state, reason)
    return _moved(ticket, change, stints=stints)


def wait_for(ticket: Ticket, waiting: WaitingFor, by: str, at: datetime, reason: str) -> Outcome:
    _require(ticket, {State.OPEN}, f"wait for the {waiting.value}")
    return _moved(ticket, Change("waiting", at, by, ticket.state, PENDING[waiting], reason))


def resume(ticket: Ticket, by: str, at: datetime, reason: str | None = None) -> Outcome:
    """Back to `open` from a wait (the customer answered, the team or supplier came back)."""
    _require(ticket, set(PENDING.values()), "resume")
    return _moved(ticket, Change("resumed", at, by, ticket.state, State.OPEN, reason))


def resolve(ticket: Ticket, outcome: str, by: str, at: datetime, reason: str) -> Outcome:
    """Record the decision; the ticket stays with its responsible until it is closed."""
    _require(ticket, WORKING, "resolve")
    decision = Decision(outcome=outcome, decided_by=by, reason=reason, decided_at=at)
    change = Change("resolved", at, by, ticket.state, State.RESOLVED, f"{outcome}: {reason}")
    return _moved(ticket, change, decision=decision)


def close(
    ticket: Ticket, resolution: Resolution, by: str, at: datetime, reason: str | None
) -> Outcome:
    """Closed resolved (after a decision) or unresolved (a normal ending, with its reason)."""
    if resolution is Resolution.RESOLVED:
        _require(ticket, {State.RESOLVED}, "close as resolved (it needs a decision first)")
    else:
        _require(ticket, WORKING | {State.RESOLVED}, "close as unresolved")
        if not reason:
            raise Refused("closing unresolved needs a reason")
    _require_not_before(ticket, at)
    change = Change("closed", at, by, ticket.state, State.CLOSED, reason)
    return _moved(
        ticket,
        change,
        stints=_ended(ticket.stints, at),
        resolution=resolution,
        closed_at=at,
    )


def reopen(ticket: Ticket, by: str, at: datetime, reason: str, rules: Rules) -> Outcome:
    """Back to `open` with its last responsible, within the reopen window after closing."""
    _require(ticket, {State.CLOSED}, "reopen")
    assert ticket.closed_at is not None
    assert ticket.last_responsible is not None
    if at - ticket.closed_at > rules.reopen_window:
        days = rules.reopen_window.days
        raise Refused(f"ticket {ticket.ticket_id} was closed more than {days} days ago")
    _require_not_before(ticket, at)
    stints = (*ticket.stints, Stint(ticket.last_responsible, at, by, reason))
    change = Change("reopened", at, by, State.CLOSED, State.OPEN, reason)
    return _moved(ticket, change, stints=stints, decision=None, resolution=None, closed_at=None)


def merge(ticket: Ticket, into: str, by: str, at: datetime, reason: str | None) -> Outcome:
    """Merged into `into`: its history moves there, and it ends here (neither resolved nor
    unresolved)."""
    _require(ticket, LIVE, "merge")
    if into == ticket.ticket_id:
        raise Refused("a ticket cannot be merged into itself")
    _require_not_before(ticket, at)
    change = Change("merged", at, by, ticket.state, State.MERGED, reason)
    return _moved(ticket, change, stints=_ended(ticket.stints, at), merged_into=into)


def note_check(ticket: Ticket, summary: str, by: str, at: datetime) -> Outcome:
    """A step that works the claim without moving it (the warranty checklist walked): in the
    timeline, with its outcome as the reason."""
    _require(ticket, WORKING, "record a check")
    return _moved(ticket, Change("checked", at, by, ticket.state, ticket.state, summary))


CUSTOMER = "customer"  # who a change by the customer (through their claim page) is by


def customer_wrote(ticket: Ticket, text: str, at: datetime) -> Outcome:
    """The customer's message from their claim page; when it was waiting for them, it answers
    and the claim is open again."""
    _require(ticket, LIVE, "take a message")
    wrote = Change("customer_message", at, CUSTOMER, ticket.state, ticket.state, text)
    if ticket.state is not State.PENDING_CUSTOMER:
        return _moved(ticket, wrote)
    answered = Change("resumed", at, CUSTOMER, ticket.state, State.OPEN, "the customer answered")
    moved = _moved(ticket, answered).ticket
    return Outcome(moved, (wrote, answered))


def held_time(ticket: Ticket, now: datetime) -> dict[Responsible, timedelta]:
    """Calendar time each responsible has held the ticket, over all their stints."""
    totals: dict[Responsible, timedelta] = {}
    for stint in ticket.stints:
        totals[stint.holder] = totals.get(stint.holder, timedelta()) + stint.held(now)
    return totals


def _require(ticket: Ticket, allowed: set[State] | frozenset[State], action: str) -> None:
    if ticket.state not in allowed:
        raise Refused(f"cannot {action}: ticket {ticket.ticket_id} is {ticket.state.value}")


def _require_not_before(ticket: Ticket, at: datetime) -> None:
    """Stints never run backwards: a step is not dated before the last hand-over."""
    since = ticket.opened_at
    if ticket.stints:
        last = ticket.stints[-1]
        since = max(since, last.ended_at or last.started_at)
    if at < since:
        raise Refused(f"a step at {at.isoformat()} comes before the last hand-over")


def _ended(stints: tuple[Stint, ...], at: datetime) -> tuple[Stint, ...]:
    if not stints or stints[-1].ended_at is not None:
        return stints
    return (*stints[:-1], replace(stints[-1], ended_at=at))


def _moved(ticket: Ticket, change: Change, **fields: object) -> Outcome:
    moved = replace(ticket, state=change.to_state, version=ticket.version + 1, **fields)  # type: ignore[arg-type]
    return Outcome(moved, (change,))

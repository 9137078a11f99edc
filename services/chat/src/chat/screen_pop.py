"""The screen pop, pure: what an operator's console shows of the call ringing on them or just
answered by them. Two streams feed one call's pop, in either order: call-events say whose
phone it is on (`agent`, the person's sign-in subject) and how far the call got; crm's
`contact.identified` says who is calling (known, ambiguous, unknown, anonymous).

A pop only moves forward in event time, and on one phone only forward in stage (ringing ->
answered -> ended), so a redelivered or late event changes nothing; a later event naming
another agent (the call rang on, or was transferred to, another phone) moves it to them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum

from cc_schemas import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallExited,
    CallOffered,
    CallRinging,
    CallTransferred,
    ContactIdentified,
    CustomerSummary,
    IdentificationLevel,
    InteractionChannel,
)


class Stage(IntEnum):
    """How far the call got; a pop never goes back."""

    OFFERED = 0  # in a queue, on nobody's phone yet
    RINGING = 1
    ANSWERED = 2
    ENDED = 3


@dataclass(frozen=True)
class Identification:
    level: IdentificationLevel
    presented: str | None
    candidates: tuple[CustomerSummary, ...]


@dataclass(frozen=True)
class Pop:
    call_id: str
    agent: str | None  # the operator's sign-in subject, once the call rings on someone
    stage: Stage
    queue: str | None
    caller_number: str | None  # as the PBX sent it, until crm says who it is
    changed_at: datetime | None  # event time of the last call event that moved it
    identification: Identification | None = None


def on_call_event(pop: Pop | None, event: CallEvent) -> Pop | None:
    """The pop after a call event; None when the event says nothing a pop needs."""
    stage, agent = _stage_of(event)
    if stage is None:
        return pop
    if pop is None:
        pop = Pop(event.call_id, None, Stage.OFFERED, event.queue, None, event.occurred_at)
    if isinstance(event, CallOffered):
        pop = replace(pop, caller_number=event.caller.e164 or event.caller.number_raw or None)
    if pop.changed_at is not None and event.occurred_at < pop.changed_at:
        return pop  # older than what the pop already shows (a redelivery, a late ring)
    moved_on = pop.changed_at is None or event.occurred_at > pop.changed_at
    if agent is not None and agent != pop.agent and (moved_on or pop.agent is None):
        return replace(pop, stage=stage, agent=agent, changed_at=event.occurred_at)
    if stage < pop.stage:
        return pop
    return replace(pop, stage=stage, queue=pop.queue or event.queue, changed_at=event.occurred_at)


def on_identified(pop: Pop | None, event: ContactIdentified) -> Pop | None:
    """The pop once crm says who is calling; chats' identifications are not pops."""
    if event.channel != InteractionChannel.PHONE:
        return pop
    identification = Identification(event.level, event.presented, event.candidates)
    if pop is None:  # crm was quicker than the call's own events
        return Pop(event.contact_id, None, Stage.OFFERED, None, None, None, identification)
    return replace(pop, identification=identification)


def shown_to(pop: Pop | None, operator: str) -> bool:
    """An operator sees the pop of a call ringing on them or answered by them, until it ends."""
    return (
        pop is not None and pop.agent == operator and pop.stage in (Stage.RINGING, Stage.ANSWERED)
    )


def _stage_of(event: CallEvent) -> tuple[Stage | None, str | None]:
    if isinstance(event, CallOffered):
        return Stage.OFFERED, None
    if isinstance(event, CallRinging):
        return Stage.RINGING, event.agent
    if isinstance(event, CallAnswered):
        return Stage.ANSWERED, event.agent
    if isinstance(event, CallTransferred):
        return Stage.ENDED, None  # off this operator's phone; the target's ring pops anew
    if isinstance(event, CallEnded):
        return Stage.ENDED, event.agent
    if isinstance(event, CallAbandoned | CallExited):
        return Stage.ENDED, None
    return None, None

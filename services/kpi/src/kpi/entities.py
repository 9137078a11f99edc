"""Which entity (ticket, chat, interaction, CSAT answer, contact request, agent) each non-call
event belongs to, and the moment that places the entity in a report's period (no I/O).

The omnichannel, claims and agent reports read the events of the entities placed near the
period asked for, not every stored event: a ticket by its earliest opening, a chat by its
earliest start, an interaction by the start its latest version gives, a CSAT answer by its
latest version, a contact request by its earliest publication (as `omnichannel.py` reads
them: earliest and latest by event time, then event id). A batch's new events give each of
their entities a candidate; the store keeps the earliest, or the latest, in the transaction
that stores them.

A ticket also keeps its latest step among closes, reopenings and merges: when that step is a
close or a merge, the ticket ended then (`ended_at`); after a reopening it is open again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cc_schemas import (
    AGENT_EVENTS,
    CHAT_EVENTS,
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
    INTERACTIONS,
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    ChatStarted,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    TicketClosed,
    TicketMerged,
    TicketOpened,
    TicketState,
    TicketStateChanged,
)

# Topic -> (kind of entity, the event's field naming it).
ENTITY_FIELDS = {
    AGENT_EVENTS: ("agent", "agent_id"),
    TICKET_OPENED: ("ticket", "ticket_id"),
    TICKET_ASSIGNED: ("ticket", "ticket_id"),
    TICKET_CLOSED: ("ticket", "ticket_id"),
    TICKET_CHANGES: ("ticket", "ticket_id"),
    CHAT_EVENTS: ("chat", "chat_id"),
    INTERACTIONS: ("interaction", "interaction_id"),
    CSAT_RESPONSES: ("csat", "response_id"),
    CONTACT_REQUESTS: ("request", "request_id"),
    CONTACT_OUTCOMES: ("request", "request_id"),
}
LATEST_KINDS = ("interaction", "csat")  # placed by their latest version; the others, earliest

Key = tuple[str, str]  # kind, entity id


def entity_of(topic: str, event: Event) -> str | None:
    """The id of the entity an event of `topic` belongs to; None for call events."""
    named = ENTITY_FIELDS.get(topic)
    return None if named is None else str(getattr(event, named[1]))


@dataclass(frozen=True)
class Placing:
    """A candidate for an entity's place: the event that gives it (ordered by event time,
    then event id) and the moment it gives; `channel` for a ticket."""

    rank_at: datetime
    rank_id: str
    placed_at: datetime
    channel: str | None = None


@dataclass(frozen=True)
class Step:
    """A ticket's close, reopening or merge (ordered by event time, then event id); `ended_at`
    is its time when it ends the ticket (a close or a merge), None for a reopening."""

    rank_at: datetime
    rank_id: str
    ended_at: datetime | None


@dataclass
class EntityChanges:
    """What a batch's new events change of their entities' places."""

    placings: dict[Key, Placing] = field(default_factory=dict)
    steps: dict[Key, Step] = field(default_factory=dict)  # a ticket's latest close/reopen/merge
    agents: set[str] = field(default_factory=set)

    def keys(self) -> list[Key]:
        """Every entity changed, in one order for every transaction (the rows' lock order)."""
        agents = {("agent", a) for a in self.agents}
        return sorted(self.placings.keys() | self.steps.keys() | agents)


def entity_changes(new: Iterable[tuple[str, Event]]) -> EntityChanges:
    changes = EntityChanges()
    for topic, event in new:
        if topic not in ENTITY_FIELDS:
            continue
        kind, _ = ENTITY_FIELDS[topic]
        key = (kind, str(entity_of(topic, event)))
        if kind == "agent":
            changes.agents.add(key[1])
        elif (step := step_of(event)) is not None:
            known = changes.steps.get(key)
            if known is None or (step.rank_at, step.rank_id) > (known.rank_at, known.rank_id):
                changes.steps[key] = step
        elif (placing := placing_of(event)) is not None:
            _keep(changes.placings, key, placing, latest=kind in LATEST_KINDS)
    return changes


def placing_of(event: Event) -> Placing | None:
    """The place an event gives its entity, if it gives one."""
    at, event_id = event.occurred_at, event.event_id
    if isinstance(event, TicketOpened):
        return Placing(at, event_id, at, event.channel.value)
    if isinstance(event, InteractionRecorded):
        return Placing(at, event_id, event.started_at)
    if isinstance(event, ChatStarted | CsatSubmitted | ContactRequested):
        return Placing(at, event_id, at)
    return None


def step_of(event: Event) -> Step | None:
    """The step an event is in a ticket's life, if it is one: a close or a merge ends it, a
    reopening (closed -> open) makes it open again; other state changes are not steps."""
    at, event_id = event.occurred_at, event.event_id
    if isinstance(event, TicketClosed | TicketMerged):
        return Step(at, event_id, at)
    if isinstance(event, TicketStateChanged) and is_reopening(event):
        return Step(at, event_id, None)
    return None


def is_reopening(event: TicketStateChanged) -> bool:
    return event.from_state is TicketState.CLOSED and event.to_state is TicketState.OPEN


def _keep(placings: dict[Key, Placing], key: Key, candidate: Placing, latest: bool) -> None:
    known = placings.get(key)
    if known is None:
        placings[key] = candidate
        return
    later = (candidate.rank_at, candidate.rank_id) > (known.rank_at, known.rank_id)
    if later == latest:
        placings[key] = candidate

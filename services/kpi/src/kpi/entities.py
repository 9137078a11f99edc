"""Which entity (ticket, chat, interaction, CSAT answer, contact request, agent) each non-call
event belongs to, and the moment that places the entity in a report's period (no I/O).

The omnichannel, claims and agent reports read the events of the entities placed near the
period asked for, not every stored event: a ticket by its earliest opening, a chat by its
earliest start, an interaction by the start its latest version gives, a CSAT answer by its
latest version, a contact request by its earliest publication (as `omnichannel.py` reads
them: earliest and latest by event time, then event id). A batch's new events give each of
their entities a candidate; the store keeps the earliest, or the latest, in the transaction
that stores them.
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
    TICKET_CLOSED,
    TICKET_OPENED,
    ChatStarted,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    TicketClosed,
    TicketOpened,
)

# Topic -> (kind of entity, the event's field naming it).
ENTITY_FIELDS = {
    AGENT_EVENTS: ("agent", "agent_id"),
    TICKET_OPENED: ("ticket", "ticket_id"),
    TICKET_ASSIGNED: ("ticket", "ticket_id"),
    TICKET_CLOSED: ("ticket", "ticket_id"),
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


@dataclass
class EntityChanges:
    """What a batch's new events change of their entities' places."""

    placings: dict[Key, Placing] = field(default_factory=dict)
    closings: dict[Key, datetime] = field(default_factory=dict)  # a ticket's earliest close
    agents: set[str] = field(default_factory=set)

    def keys(self) -> list[Key]:
        """Every entity changed, in one order for every transaction (the rows' lock order)."""
        agents = {("agent", a) for a in self.agents}
        return sorted(self.placings.keys() | self.closings.keys() | agents)


def entity_changes(new: Iterable[tuple[str, Event]]) -> EntityChanges:
    changes = EntityChanges()
    for topic, event in new:
        if topic not in ENTITY_FIELDS:
            continue
        kind, _ = ENTITY_FIELDS[topic]
        key = (kind, str(entity_of(topic, event)))
        if kind == "agent":
            changes.agents.add(key[1])
        elif isinstance(event, TicketClosed):
            at = event.occurred_at
            changes.closings[key] = min(changes.closings.get(key, at), at)
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


def _keep(placings: dict[Key, Placing], key: Key, candidate: Placing, latest: bool) -> None:
    known = placings.get(key)
    if known is None:
        placings[key] = candidate
        return
    later = (candidate.rank_at, candidate.rank_id) > (known.rank_at, known.rank_id)
    if later == latest:
        placings[key] = candidate

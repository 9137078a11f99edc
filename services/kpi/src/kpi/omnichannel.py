"""Omnichannel, claims and proactive-contact KPIs from tickets, chats, interactions, CSAT answers
and contact requests (no I/O). Entities are kept per id; reports are computed when asked, from
the set of events, so arrival order and redeliveries never change them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from cc_schemas import (
    ChatAgentJoined,
    ChatEvent,
    ChatMessageSent,
    ChatStarted,
    ContactOutcome,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    TicketAssigned,
    TicketClosed,
    TicketEvent,
    TicketMerged,
    TicketOpened,
    TicketState,
    TicketStateChanged,
)
from kpi.entities import is_reopening
from kpi.periods import PERIOD_KEYS, in_period, local_hour, period_key

SATISFIED = 4  # 4 and 5 on the 5-point scale count as satisfied

E = TypeVar("E", bound=Event)
Row = dict[str, Any]


def _order(event: Event) -> tuple[datetime, str]:
    return (event.occurred_at, event.event_id)


def earliest(events: Iterable[E]) -> E | None:
    return min(events, key=_order, default=None)


def latest(events: Iterable[E]) -> E | None:
    return max(events, key=_order, default=None)


@dataclass
class Ticket:
    events: dict[str, TicketEvent] = field(default_factory=dict)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events.values() if isinstance(e, kind)]

    @property
    def opened(self) -> TicketOpened | None:
        return earliest(self.of(TicketOpened))

    def steps(self) -> list[TicketEvent]:
        """Its closes, reopenings and merges, in event-time order."""
        steps = [
            e
            for e in self.events.values()
            if isinstance(e, TicketClosed | TicketMerged)
            or (isinstance(e, TicketStateChanged) and is_reopening(e))
        ]
        return sorted(steps, key=_order)

    def ended(self, before: datetime | None = None) -> TicketClosed | TicketMerged | None:
        """The close or merge that ended it (before `before`, when given); None while it is
        open: never closed, or reopened since its last close."""
        steps = [s for s in self.steps() if before is None or s.occurred_at < before]
        last = steps[-1] if steps else None
        return last if isinstance(last, TicketClosed | TicketMerged) else None

    def customer_waits(self) -> list[timedelta]:
        """Each finished wait for the customer: from a change to pending_customer to the
        ticket's next state change, close or merge (a wait still running counts none yet)."""
        moves = sorted(
            (
                e
                for e in self.events.values()
                if isinstance(e, TicketStateChanged | TicketClosed | TicketMerged)
            ),
            key=_order,
        )
        waits: list[timedelta] = []
        since: datetime | None = None
        for move in moves:
            if since is not None:
                waits.append(move.occurred_at - since)
                since = None
            if (
                isinstance(move, TicketStateChanged)
                and move.to_state is TicketState.PENDING_CUSTOMER
            ):
                since = move.occurred_at
        return waits

    def live(self) -> list[tuple[datetime, datetime | None]]:
        """The spans it was open (not closed or merged): from the opening to the first close,
        from each reopening to the next close; the last one ends None while it is open."""
        opened = self.opened
        if opened is None:
            return []
        spans: list[tuple[datetime, datetime | None]] = []
        since: datetime | None = opened.occurred_at
        for step in self.steps():
            if isinstance(step, TicketStateChanged):
                since = step.occurred_at if since is None else since
            elif since is not None:
                spans.append((since, step.occurred_at))
                since = None
        return spans if since is None else [*spans, (since, None)]

    def holders(self) -> list[tuple[str, timedelta]]:
        """(assignee, time held) for each stretch of responsibility of an ended ticket: from
        taking it to the next assignment or its end, counting only the time it was open (a
        reopened ticket goes back to its last holder). An assignment while it was closed
        starts none."""
        opened = self.opened
        if opened is None or self.ended() is None:
            return []
        spans = [(a, b) for a, b in self.live() if b is not None]
        starts = [(opened.assignee, opened.occurred_at)] if opened.assignee else []
        starts += [(a.assignee, a.occurred_at) for a in sorted(self.of(TicketAssigned), key=_order)]
        starts = [(who, at) for who, at in starts if any(a <= at <= b for a, b in spans)]
        if not starts:
            return []
        ends = [at for _, at in starts[1:]] + [spans[-1][1]]
        return [
            (who, sum((_overlap(start, end, a, b) for a, b in spans), timedelta()))
            for (who, start), end in zip(starts, ends, strict=True)
        ]


def _overlap(start: datetime, end: datetime, a: datetime, b: datetime) -> timedelta:
    return max(timedelta(), min(end, b) - max(start, a))


@dataclass
class Chat:
    events: dict[str, ChatEvent] = field(default_factory=dict)

    @property
    def started(self) -> ChatStarted | None:
        return earliest(e for e in self.events.values() if isinstance(e, ChatStarted))

    @property
    def agent(self) -> str:
        """The operator who took the chat (the first to join, else the first to answer), by
        their sign-in subject; "" while nobody has."""
        joined = earliest(e for e in self.events.values() if isinstance(e, ChatAgentJoined))
        if joined is not None:
            return joined.agent
        answers = (e for e in self.events.values() if isinstance(e, ChatMessageSent) and e.agent)
        first = earliest(answers)
        return first.agent or "" if first is not None else ""

    def timings(self) -> tuple[int | None, list[int]]:
        """(first response ms, reply gaps ms) from the messages in event-time order."""
        started = self.started
        messages = sorted(
            (e for e in self.events.values() if isinstance(e, ChatMessageSent)), key=_order
        )
        agent_times = [m.occurred_at for m in messages if m.sender == "agent"]
        first = None
        if started is not None and agent_times:
            first = _ms(agent_times[0] - started.occurred_at)
        gaps: list[int] = []
        waiting: datetime | None = None
        for message in messages:
            if message.sender == "customer" and waiting is None:
                waiting = message.occurred_at
            elif message.sender == "agent" and waiting is not None:
                gaps.append(_ms(message.occurred_at - waiting))
                waiting = None
        return first, gaps


def _ms(delta: timedelta) -> int:
    return round(delta / timedelta(milliseconds=1))  # exact: no float noise at half a ms


@dataclass
class OmnichannelProjection:
    zone: ZoneInfo
    fcr_days: int = 7
    tickets: dict[str, Ticket] = field(default_factory=lambda: defaultdict(Ticket))
    chats: dict[str, Chat] = field(default_factory=lambda: defaultdict(Chat))
    interactions: dict[str, dict[str, InteractionRecorded]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    csat: dict[str, dict[str, CsatSubmitted]] = field(default_factory=lambda: defaultdict(dict))
    requests: dict[str, dict[str, ContactRequested]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    outcomes: dict[str, dict[str, ContactOutcome]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def apply(self, event: Event) -> bool:
        entities, entity_id = self._home(event)
        known = _events_of(entities[entity_id])
        if event.event_id in known:
            return False
        known[event.event_id] = event
        return True

    def _home(self, event: Event) -> tuple[dict[str, Any], str]:
        """The entities of the event's kind, and the id of the one it belongs to."""
        if isinstance(event, TicketEvent):
            return self.tickets, event.ticket_id
        if isinstance(event, ChatEvent):
            return self.chats, event.chat_id
        if isinstance(event, InteractionRecorded):
            return self.interactions, event.interaction_id
        if isinstance(event, CsatSubmitted):
            return self.csat, event.response_id
        if isinstance(event, ContactRequested):
            return self.requests, event.request_id
        if isinstance(event, ContactOutcome):
            return self.outcomes, event.request_id
        raise ValueError(f"kpi does not handle {event.event_type}")

    def hour(self, moment: datetime) -> datetime:
        return local_hour(moment, self.zone)

    def csat_of_day(self, day: date) -> dict[str, float]:
        """Share of satisfied answers (4-5) per channel, for answers given on a local day."""
        answers: dict[str, list[int]] = defaultdict(list)
        for versions in self.csat.values():
            answer = latest(versions.values())
            if answer is not None and self.hour(answer.occurred_at).date() == day:
                answers[answer.channel.value].append(int(answer.score >= SATISFIED))
        return {channel: sum(v) / len(v) for channel, v in answers.items()}


def _events_of(entity: Ticket | Chat | dict[str, Any]) -> dict[str, Any]:
    return entity if isinstance(entity, dict) else entity.events


def group(
    items: Iterable[tuple[datetime, dict[str, Any], Row]],
    group_by: tuple[str, ...],
    start: date,
    end: date,
    finish: Callable[[Row], Row],
) -> list[Row]:
    """Sum each item's measures into its group; items are (local hour, attributes, measures)."""
    totals: dict[tuple[Any, ...], Row] = {}
    for hour, attributes, measures in items:
        if not in_period(hour, start, end):
            continue
        key = tuple(
            period_key(hour, g) if g in PERIOD_KEYS else attributes.get(g, "") for g in group_by
        )
        total = totals.setdefault(key, dict.fromkeys(measures, 0))
        for name, value in measures.items():
            total[name] += value
    return [
        {**dict(zip(group_by, key, strict=True)), **finish(totals[key])} for key in sorted(totals)
    ]

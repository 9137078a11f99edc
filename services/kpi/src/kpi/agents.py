"""Agents' logged-in and paused time from agent-events, per local hour (no I/O).

An agent's timeline is replayed in event-time order (ties by event id) whenever it is read after
a change, so late events land where they belong. Only closed intervals count: a session still
open, or a pause not yet ended, adds nothing until its end is known.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cc_schemas import AgentEvent
from kpi.periods import hours_between

AgentHour = tuple[datetime, str]  # local hour, agent


@dataclass
class AgentTime:
    logged_in_ms: int = 0
    paused_ms: int = 0


def timeline(events: list[AgentEvent]) -> tuple[list[tuple[datetime, datetime]], ...]:
    """(sessions, pauses) as closed [start, end) intervals."""
    sessions: list[tuple[datetime, datetime]] = []
    pauses: list[tuple[datetime, datetime]] = []
    login: datetime | None = None
    pause: datetime | None = None
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        at, kind = event.occurred_at, event.event_type
        if kind == "agent.logged_in" and login is None:
            login = at
        elif kind == "agent.logged_out" and login is not None:
            sessions.append((login, at))
            if pause is not None:
                pauses.append((pause, at))
            login = pause = None
        elif kind == "agent.paused" and login is not None and pause is None:
            pause = at
        elif kind == "agent.unpaused" and pause is not None:
            pauses.append((pause, at))
            pause = None
    return sessions, pauses


@dataclass
class AgentProjection:
    zone: ZoneInfo
    events: dict[str, dict[str, AgentEvent]] = field(default_factory=lambda: defaultdict(dict))
    _hours: dict[str, dict[datetime, AgentTime]] = field(default_factory=dict)

    def apply(self, event: AgentEvent) -> bool:
        known = self.events[event.agent_id]
        if event.event_id in known:
            return False
        known[event.event_id] = event
        self._hours.pop(event.agent_id, None)  # recomputed on the next read
        return True

    def hours(self) -> dict[AgentHour, AgentTime]:
        result: dict[AgentHour, AgentTime] = {}
        for agent in self.events:
            for hour, time in self._agent_hours(agent).items():
                result[(hour, agent)] = time
        return result

    def _agent_hours(self, agent: str) -> dict[datetime, AgentTime]:
        cached = self._hours.get(agent)
        if cached is None:
            cached = defaultdict(AgentTime)
            sessions, pauses = timeline(list(self.events[agent].values()))
            for start, end in sessions:
                for hour, piece in hours_between(start, end, self.zone):
                    cached[hour].logged_in_ms += piece
            for start, end in pauses:
                for hour, piece in hours_between(start, end, self.zone):
                    cached[hour].paused_ms += piece
            self._hours[agent] = cached
        return cached

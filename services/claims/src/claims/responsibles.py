"""Time each responsible held tickets in a period, in calendar and in business time, with the
hand-overs they received and the tickets they held. Pure: the stints in, the rows out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from claims.business_time import BusinessCalendar


@dataclass(frozen=True)
class HeldStint:
    person: str
    team: str
    ticket_id: str
    started_at: datetime
    ended_at: datetime | None  # still held


@dataclass
class Held:
    person: str
    team: str
    held_seconds: float = 0.0
    held_business_seconds: float = 0.0
    stints_begun: int = 0
    tickets: int = 0


def held_report(
    stints: Iterable[HeldStint], since: datetime, until: datetime, calendar: BusinessCalendar
) -> list[Held]:
    """Per person and team, the part of each stint inside [since, until): a CC -> marketing ->
    CC chain gives the contact centre two stints."""
    rows: dict[tuple[str, str], Held] = {}
    seen: dict[tuple[str, str], set[str]] = {}
    for stint in stints:
        start, end = max(stint.started_at, since), min(stint.ended_at or until, until)
        if end <= start:
            continue
        key = (stint.person, stint.team)
        row = rows.setdefault(key, Held(stint.person, stint.team))
        row.held_seconds += (end - start) / timedelta(seconds=1)
        row.held_business_seconds += calendar.between(start, end) / timedelta(seconds=1)
        row.stints_begun += stint.started_at >= since
        seen.setdefault(key, set()).add(stint.ticket_id)
    for key, row in rows.items():
        row.tickets = len(seen[key])
    return sorted(rows.values(), key=lambda r: (r.team, r.person))

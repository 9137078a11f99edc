"""Which tickets a person may work: operators and supervisors any; back-office users
(marketing, logistics, quality) those their team holds (the current, or last, responsible's
team), as their sign-in's `team` attribute says. Pure."""

from __future__ import annotations

from cc_runtime.identity import BACK_OFFICE, OPERATOR, Principal
from claims.details import Stored


class OutOfScope(Exception):
    """A ticket the caller's team does not hold (HTTP 403); the message says why."""


def confined_to(caller: Principal) -> str | None:
    """The team a caller is confined to; None for one who may work every ticket."""
    if OPERATOR in caller.roles or BACK_OFFICE not in caller.roles:
        return None  # operators and supervisors (who are operators too)
    return caller.team or ""  # a back-office sign-in naming no team: no claim is theirs


def check_scope(caller: Principal, stored: Stored, team_of: str | None) -> None:
    """Refuse a confined caller a ticket another team holds (`team_of`: the ticket's team)."""
    team = confined_to(caller)
    if team is not None and team_of != team:
        holder = team_of or "nobody"
        yours = f"your team ({team})" if team else "your team (your sign-in names none)"
        raise OutOfScope(f"ticket {stored.ticket.ticket_id} is held by {holder}, not {yours}")

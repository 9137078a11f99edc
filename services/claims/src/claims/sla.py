"""SLA of a ticket: its policy (per cluster and priority), and when each target falls due in
business time, with the clock paused while the ticket waits for the customer. Pure.

Targets, as helpdesks define them: first response (the first step that works the claim:
asking someone, a decision or a closing; being assigned is not a response), next update (a step
at most this long after the previous one, while the claim is worked), solution (resolved,
closed or merged). The pause history is the ticket's timeline itself, so a changed policy
recomputes every deadline from it and loses no paused time."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from claims.business_time import BusinessCalendar
from claims.domain import Change, State

DEFAULT_FILE = Path(__file__).with_name("sla.toml")
RESPONSES = frozenset({"waiting", "resumed", "resolved", "closed", "merged"})
ENDINGS = frozenset({State.RESOLVED, State.CLOSED, State.MERGED})


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_UPDATE = "next_update"
    SOLUTION = "solution"


@dataclass(frozen=True)
class Policy:
    name: str
    budgets: Mapping[Target, timedelta]  # business time allowed per target
    warn_before: timedelta  # business time before a deadline when it is near


@dataclass(frozen=True)
class Due:
    """A target's deadline; `at` None while the clock is paused (waiting for the customer)."""

    target: Target
    at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None = None

    def breached(self, now: datetime) -> bool:
        moment = self.met_at or now
        return self.at is not None and moment > self.at


@dataclass(frozen=True)
class Policies:
    default: Policy
    specific: Mapping[tuple[str | None, str | None], Policy]  # (cluster, priority) -> policy

    def for_ticket(self, cluster: str, priority: str) -> Policy:
        for key in ((cluster, priority), (cluster, None), (None, priority)):
            if key in self.specific:
                return self.specific[key]
        return self.default


def deadlines(
    opened_at: datetime,
    timeline: Sequence[Change],
    policy: Policy,
    calendar: BusinessCalendar,
) -> list[Due]:
    """Each target's deadline from the ticket's timeline (its changes, oldest first)."""
    running = _running(opened_at, timeline)
    responded = next((c.at for c in timeline if c.kind in RESPONSES), None)
    ended = next((c.at for c in reversed(timeline) if c.to_state in ENDINGS), None)
    if timeline and timeline[-1].to_state not in ENDINGS:
        ended = None  # reopened: the solution clock runs on from where it was
    found = [
        _due(Target.FIRST_RESPONSE, running, policy, calendar, responded),
        _due(Target.SOLUTION, running, policy, calendar, ended),
    ]
    update = _next_update(timeline, running, policy, calendar, responded)
    return [*found, update] if update is not None else found


def _running(
    opened_at: datetime, timeline: Sequence[Change]
) -> list[tuple[datetime, datetime | None]]:
    """The stretches during which SLA clocks run: from opening, except while pending on the
    customer (the last stretch open-ended)."""
    stretches: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = opened_at
    for change in timeline:
        paused = change.to_state is State.PENDING_CUSTOMER
        if paused and since is not None:
            stretches.append((since, change.at))
            since = None
        elif not paused and since is None:
            since = change.at
    if since is not None:
        stretches.append((since, None))
    return stretches


def _due(
    target: Target,
    running: list[tuple[datetime, datetime | None]],
    policy: Policy,
    calendar: BusinessCalendar,
    met_at: datetime | None,
) -> Due:
    budget = policy.budgets[target]
    return Due(
        target=target,
        at=_spend(running, budget, calendar),
        warn_at=_spend(running, max(budget - policy.warn_before, timedelta()), calendar),
        met_at=met_at,
    )


def _spend(
    running: list[tuple[datetime, datetime | None]], budget: timedelta, calendar: BusinessCalendar
) -> datetime | None:
    """The instant `budget` of business time is used up along the running stretches; None when
    it is not, and the clock is paused."""
    left = budget
    for start, end in running:
        if end is None:
            return calendar.after(start, left)
        used = calendar.between(start, end)
        if used >= left:
            return calendar.after(start, left)
        left -= used
    return None


def _next_update(
    timeline: Sequence[Change],
    running: list[tuple[datetime, datetime | None]],
    policy: Policy,
    calendar: BusinessCalendar,
    responded: datetime | None,
) -> Due | None:
    """After the first response, the next step is due `next_update` after the last one, while
    the ticket is worked (not waiting for the customer, not decided)."""
    if responded is None or not timeline or timeline[-1].to_state in ENDINGS:
        return None
    if timeline[-1].to_state is State.PENDING_CUSTOMER:
        return Due(Target.NEXT_UPDATE, at=None, warn_at=None)
    ours = [c for c in timeline if c.kind != "customer_message"]  # the update is ours to give
    last = ours[-1].at
    budget = policy.budgets[Target.NEXT_UPDATE]
    warn = max(budget - policy.warn_before, timedelta())
    return Due(
        Target.NEXT_UPDATE, at=calendar.after(last, budget), warn_at=calendar.after(last, warn)
    )


def load_policies(path: Path = DEFAULT_FILE) -> Policies:
    """Policies from a TOML file (sla.toml's layout): `[default]`, then `[[policy]]` entries
    with an optional `cluster` and `priority`, each with hours per target."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    default = _policy("default", data["default"])
    specific = {}
    for entry in data.get("policy", []):
        key = (entry.get("cluster"), entry.get("priority"))
        if key == (None, None):
            raise ValueError(f"{path}: a [[policy]] needs a cluster, a priority or both")
        name = "/".join(k for k in key if k)
        specific[key] = _policy(name, {**data["default"], **entry})
    return Policies(default, specific)


def _policy(name: str, table: Mapping[str, Any]) -> Policy:
    def hours(key: str) -> timedelta:
        value = table[key]
        if not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"SLA policy {name}: {key} must be a positive number of hours")
        return timedelta(hours=value)

    return Policy(
        name=name,
        budgets={t: hours(f"{t.value}_hours") for t in Target},
        warn_before=hours("warn_before_hours"),
    )


class Level(StrEnum):
    WARNING = "warning"
    BREACHED = "breached"


def alerts(found: Sequence[Due], now: datetime) -> list[tuple[Due, Level]]:
    """What `now` makes known: targets not met whose deadline passed (breached) or is near
    (warning). A target found already past its deadline is only breached."""
    raised = []
    for due in found:
        if due.met_at is not None or due.at is None:
            continue
        if due.at <= now:
            raised.append((due, Level.BREACHED))
        elif due.warn_at is not None and due.warn_at <= now:
            raised.append((due, Level.WARNING))
    return raised


def earliest_due(found: Sequence[Due]) -> datetime | None:
    """The nearest deadline of a target not met (None: all met, or the clock paused)."""
    return min((d.at for d in found if d.met_at is None and d.at is not None), default=None)


def next_check(found: Sequence[Due], now: datetime) -> datetime | None:
    """When something next becomes known: the nearest warning or deadline still ahead."""
    ahead = [
        moment
        for d in found
        if d.met_at is None
        for moment in (d.warn_at, d.at)
        if moment is not None and moment > now
    ]
    return min(ahead, default=None)

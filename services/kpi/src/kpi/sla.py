"""SLA warnings and breaches of claims (`ticket-sla`): each distinct `sla.warning` /
`sla.breached` counted once, in the local hour it was published, per target (first response,
next update, solution), cluster, priority and team: hour buckets of two additive counts, so
they are exact under any arrival order (no I/O). `sla_report.py` turns their sums into rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cc_schemas import TICKET_SLA, Event, SlaBreached, SlaEvent
from kpi.periods import PERIOD_KEYS, local_hour

SLA_GROUPS = ("target", "cluster", "priority", "team", *PERIOD_KEYS)
SlaKey = tuple[datetime, str, str, str, str]  # local hour, target, cluster, priority, team


@dataclass(frozen=True)
class SlaCounts:
    warnings: int = 0
    breaches: int = 0

    def __add__(self, other: SlaCounts) -> SlaCounts:
        return SlaCounts(self.warnings + other.warnings, self.breaches + other.breaches)


def sla_changes(new: Iterable[tuple[str, Event]], zone: ZoneInfo) -> dict[SlaKey, SlaCounts]:
    """What a batch's new SLA events add to each hour bucket (a ticket without a team counts
    under team '')."""
    buckets: dict[SlaKey, SlaCounts] = {}
    for topic, event in new:
        if topic != TICKET_SLA or not isinstance(event, SlaEvent):
            continue
        key = (
            local_hour(event.occurred_at, zone),
            event.target.value,
            event.cluster,
            event.priority.value,
            event.team.value if event.team is not None else "",
        )
        breached = isinstance(event, SlaBreached)
        buckets[key] = buckets.get(key, SlaCounts()) + SlaCounts(int(not breached), int(breached))
    return buckets

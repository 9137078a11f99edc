"""SLA report: warnings and breaches per target, cluster, priority, team and period, from the
store's sums of SLA hour buckets (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kpi.reports import ReportQuery
from kpi.sla import SLA_GROUPS, SlaCounts


def sla_report(
    groups: Iterable[tuple[tuple[Any, ...], SlaCounts]], query: ReportQuery
) -> list[dict[str, Any]]:
    """One row per group, sorted by the group values; one row of zeros for an ungrouped report
    of a period without any."""
    query.check(SLA_GROUPS)
    found: Mapping[tuple[Any, ...], SlaCounts] = dict(groups)
    if not found and not query.group_by:
        found = {(): SlaCounts()}
    return [
        {
            **dict(zip(query.group_by, key, strict=True)),
            "warnings": found[key].warnings,
            "breaches": found[key].breaches,
        }
        for key in sorted(found)
    ]

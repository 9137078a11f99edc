"""Outbound report: attempts, connected, ended by outcome and talk time per queue, agent and
period, from the store's sums of outbound hour buckets (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kpi.outbound import COUNT_NAMES, OUTCOMES, OutboundMeasures
from kpi.periods import PERIOD_KEYS
from kpi.reports import ReportQuery, ratio, seconds

OUTBOUND_GROUPS = ("queue", "agent", *PERIOD_KEYS)


def outbound_report(
    groups: Iterable[tuple[tuple[Any, ...], OutboundMeasures]], query: ReportQuery
) -> list[dict[str, Any]]:
    """connect_rate = connected / attempts whose result is known (connected + not connected);
    average_talk_seconds over connected attempts whose talk time the PBX gave."""
    query.check(OUTBOUND_GROUPS)
    found = dict(groups)
    if not found and not query.group_by:
        return [_finish(_flat(OutboundMeasures()))]
    return [
        {**dict(zip(query.group_by, key, strict=True)), **_finish(_flat(found[key]))}
        for key in sorted(found)
    ]


def _flat(m: OutboundMeasures) -> dict[str, int]:
    counts = {name: getattr(m, name) for name in COUNT_NAMES}
    return {**counts, **{outcome: m.ended[outcome] for outcome in OUTCOMES}}


def _finish(total: dict[str, int]) -> dict[str, Any]:
    return {
        **total,
        "connect_rate": ratio(total["connected"], total["connected"] + total["not_connected"]),
        "average_talk_seconds": seconds(total["talk_ms"], total["talked"]),
    }

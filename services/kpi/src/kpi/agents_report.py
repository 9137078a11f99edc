"""Agent report: logged-in, paused, busy time and occupancy per agent and period (no I/O)."""

from __future__ import annotations

from typing import Any

from kpi.omnichannel import group
from kpi.periods import PERIOD_KEYS
from kpi.reports import ReportQuery, ratio
from kpi.state import KpiState

AGENT_GROUPS = ("agent", *PERIOD_KEYS)


def agent_report(state: KpiState, query: ReportQuery) -> list[dict[str, Any]]:
    """Busy = talk + hold + wrap-up of the calls the agent handled (by the hour they were
    offered); available = logged in - paused; occupancy = busy / available."""
    query.check(AGENT_GROUPS)
    items: list[tuple[Any, dict[str, Any], dict[str, int]]] = []
    for (hour, agent), time in state.agents.hours().items():
        measures = {"logged_in_ms": time.logged_in_ms, "paused_ms": time.paused_ms}
        items.append((hour, {"agent": agent}, {**measures, "busy_ms": 0, "handled": 0}))
    for (hour, _queue, agent), bucket in state.calls.buckets.items():
        m = bucket.measures
        if agent and m.handled:
            busy = m.talk_ms + m.hold_ms + m.wrapup_ms
            measures = {"logged_in_ms": 0, "paused_ms": 0, "busy_ms": busy, "handled": m.handled}
            items.append((hour, {"agent": agent}, measures))
    return group(items, query.group_by, query.start, query.end, _finish)


def _finish(total: dict[str, int]) -> dict[str, Any]:
    available = total["logged_in_ms"] - total["paused_ms"]
    return {**total, "available_ms": available, "occupancy": ratio(total["busy_ms"], available)}

"""Agent report: logged-in, paused, busy time and occupancy per agent and period (no I/O)."""

from __future__ import annotations

from typing import Any

from kpi.omnichannel import group
from kpi.periods import PERIOD_KEYS
from kpi.reports import ReportQuery, ratio
from kpi.state import KpiState

AGENT_GROUPS = ("agent", *PERIOD_KEYS)


def agent_report(state: KpiState, query: ReportQuery) -> list[dict[str, Any]]:
    """Busy = talk + hold + wrap-up of the queue calls the agent handled (by the hour they were
    offered) + talk time of the agent's connected outbound calls (by the hour they were dialled);
    available = logged in - paused; occupancy = busy / available."""
    query.check(AGENT_GROUPS)
    items: list[tuple[Any, dict[str, Any], dict[str, int]]] = []
    for (hour, agent), time in state.agents.hours().items():
        measures = {"logged_in_ms": time.logged_in_ms, "paused_ms": time.paused_ms}
        items.append((hour, {"agent": agent}, {**ZERO, **measures}))
    for (hour, _queue, agent), bucket in state.calls.buckets.items():
        m = bucket.measures
        if agent and m.handled:
            busy = m.talk_ms + m.hold_ms + m.wrapup_ms
            items.append((hour, {"agent": agent}, {**ZERO, "busy_ms": busy, "handled": m.handled}))
    for (hour, _queue, agent), outbound in state.outbound.buckets.items():
        if agent and outbound.talked:
            talk = {"outbound_talk_ms": outbound.talk_ms, "outbound_talked": outbound.talked}
            items.append((hour, {"agent": agent}, {**ZERO, "busy_ms": outbound.talk_ms, **talk}))
    return group(items, query.group_by, query.start, query.end, _finish)


ZERO = {
    "logged_in_ms": 0,
    "paused_ms": 0,
    "busy_ms": 0,
    "handled": 0,
    "outbound_talk_ms": 0,
    "outbound_talked": 0,
}


def _finish(total: dict[str, int]) -> dict[str, Any]:
    """Fields added after the first release (the outbound part of busy time) come last, so that
    CSV columns keep their places."""
    first = {k: v for k, v in total.items() if not k.startswith("outbound_")}
    available = total["logged_in_ms"] - total["paused_ms"]
    return {
        **first,
        "available_ms": available,
        "occupancy": ratio(total["busy_ms"], available),
        "outbound_talk_ms": total["outbound_talk_ms"],
        "outbound_talked": total["outbound_talked"],
    }

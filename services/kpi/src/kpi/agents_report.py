"""Agent report: logged-in, paused, busy time and occupancy per agent and period, from the
agents' events and the store's call and outbound buckets (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kpi.agents import AgentProjection
from kpi.omnichannel import group
from kpi.periods import PERIOD_KEYS
from kpi.reports import ReportQuery, ratio

AGENT_GROUPS = ("agent", *PERIOD_KEYS)


def agent_report(
    agents: AgentProjection,
    busy: Iterable[tuple[datetime, str, str, int, int]],
    query: ReportQuery,
) -> list[dict[str, Any]]:
    """Busy = talk + hold + wrap-up of the queue calls the agent handled (by the hour they were
    offered) + talk time of the agent's connected outbound calls (by the hour they were dialled);
    available = logged in - paused; occupancy = busy / available. `busy` holds (local hour,
    agent, 'calls' or 'outbound', calls, ms) from the store."""
    query.check(AGENT_GROUPS)
    items: list[tuple[Any, dict[str, Any], dict[str, int]]] = []
    for (hour, agent), time in agents.hours().items():
        measures = {"logged_in_ms": time.logged_in_ms, "paused_ms": time.paused_ms}
        items.append((hour, {"agent": agent}, {**ZERO, **measures}))
    for hour, agent, kind, count, ms in busy:
        if kind == "calls":
            items.append((hour, {"agent": agent}, {**ZERO, "busy_ms": ms, "handled": count}))
        else:
            talk = {"outbound_talk_ms": ms, "outbound_talked": count}
            items.append((hour, {"agent": agent}, {**ZERO, "busy_ms": ms, **talk}))
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

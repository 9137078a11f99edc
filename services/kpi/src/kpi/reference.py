"""A plain reference computation of the call, ticket, CSAT and proactive-contact KPIs straight
from a list of raw events, for tests and benchmarks. It shares no code with the service's
projection: it deduplicates, sorts and counts in one pass, the obvious way."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cc_schemas import ContactRequested, CsatSubmitted, Event, TicketClosed, TicketOpened

Row = dict[str, Any]


def _key(hour: datetime, groups: tuple[str, ...], extra: dict[str, Any]) -> tuple[Any, ...]:
    values = {
        "hour": hour.strftime("%Y-%m-%dT%H:00"),
        "day": hour.strftime("%Y-%m-%d"),
        "week": f"{hour.isocalendar()[0]}-W{hour.isocalendar()[1]:02d}",
        "month": hour.strftime("%Y-%m"),
        "hour_of_day": hour.hour,
        "weekday": hour.isoweekday(),
        **extra,
    }
    return tuple(values[g] for g in groups)


def _hour(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _unique(events: list[Event]) -> dict[str, Event]:
    return {e.event_id: e for e in events}


def call_kpis(
    events: list[Event],
    zone: ZoneInfo,
    start: date,
    end: date,
    groups: tuple[str, ...],
    sl_seconds: float = 20,
    short_seconds: float = 5,
) -> list[Row]:
    per_call: dict[str, list[Any]] = defaultdict(list)
    for e in _unique(events).values():
        if e.event_type.startswith("call."):
            per_call[e.call_id].append(e)  # type: ignore[attr-defined]
    sums: dict[tuple[Any, ...], Row] = {}
    for evs in per_call.values():
        evs.sort(key=lambda e: (e.occurred_at, e.event_id))
        by_kind: dict[str, Any] = {}
        transfers = 0
        for e in evs:
            by_kind.setdefault(e.event_type, e)
            transfers += e.event_type == "call.transferred"
        offered = by_kind.get("call.offered")
        if offered is None:
            continue
        hour = _hour(offered.occurred_at, zone)
        if not start <= hour.date() < end:
            continue
        answered: Any = by_kind.get("call.answered")
        finished: Any = min(
            (e for e in evs if e.event_type in ("call.ended", "call.transferred")),
            key=lambda e: (e.occurred_at, e.event_id),
            default=None,
        )
        agent, wait, talk, hold, wrap = "", None, None, 0, 0
        if answered or finished:
            outcome = "answered"
            agent = (answered or finished).agent or (finished.agent if finished else "") or ""
            wait = answered.wait_seconds if answered else finished.wait_seconds
            if finished:
                talk = finished.talk_seconds
                hold = getattr(finished, "hold_seconds", None) or 0
                wrap = getattr(finished, "wrapup_seconds", None) or 0
        elif "call.abandoned" in by_kind:
            wait = by_kind["call.abandoned"].wait_seconds
            outcome = "short" if round(wait * 1000) < round(short_seconds * 1000) else "abandoned"
        elif "call.exited" in by_kind:
            wait, outcome = by_kind["call.exited"].wait_seconds, "exited"
        else:
            outcome = "waiting"
        k = _key(hour, groups, {"queue": offered.queue, "agent": agent})
        s = sums.setdefault(k, defaultdict(int))
        s["offered"] += 1
        s["transfers"] += transfers
        s[outcome] += 1
        if wait is not None and outcome != "waiting":
            w = round(wait * 1000)
            s["waited"] += 1
            s["wait_ms"] += w
            s["longest"] = max(s.get("longest", -1), w)
            if outcome == "answered":
                s["answer_wait_ms"] += w
                s["in_sl"] += w <= round(sl_seconds * 1000)
        if talk is not None:
            s["handled"] += 1
            s["talk_ms"] += round(talk * 1000)
            s["hold_ms"] += round(hold * 1000)
            s["wrapup_ms"] += round(wrap * 1000)
    return [dict(zip(groups, k, strict=True)) | _call_row(sums[k]) for k in sorted(sums)]


def _div(a: int, b: int) -> float | None:
    return a / b if b else None


def _call_row(s: Row) -> Row:
    completed = s["answered"] + s["abandoned"] + s["exited"]
    handled = s["handled"]
    return {
        "offered": s["offered"],
        "answered": s["answered"],
        "answered_in_sl": s["in_sl"],
        "abandoned": s["abandoned"],
        "short_abandoned": s["short"],
        "exited": s["exited"],
        "in_queue": s["waiting"],
        "transfers": s["transfers"],
        "handled": handled,
        "lost": s["abandoned"] + s["exited"],
        "service_level": _div(s["in_sl"], completed),
        "abandon_rate": _div(s["abandoned"], s["offered"] - s["short"]),
        "average_speed_of_answer_seconds": (
            s["answer_wait_ms"] / s["answered"] / 1000 if s["answered"] else None
        ),
        "average_wait_seconds": s["wait_ms"] / s["waited"] / 1000 if s["waited"] else None,
        "longest_wait_seconds": s["longest"] / 1000 if "longest" in s else None,
        "average_talk_seconds": s["talk_ms"] / handled / 1000 if handled else None,
        "average_handling_seconds": (s["talk_ms"] + s["hold_ms"] + s["wrapup_ms"]) / handled / 1000
        if handled
        else None,
    }


def csat_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    answers: dict[str, CsatSubmitted] = {}
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, CsatSubmitted):
            answers[e.response_id] = e  # the latest answer of a response wins
    sums: dict[tuple[Any, ...], list[int]] = {}
    for a in answers.values():
        hour = _hour(a.occurred_at, zone)
        if start <= hour.date() < end:
            s = sums.setdefault(_key(hour, groups, {"channel": a.channel.value}), [0, 0])
            s[0] += 1
            s[1] += a.score >= 4
    return [
        dict(zip(groups, k, strict=True))
        | {"responses": v[0], "satisfied": v[1], "csat": v[1] / v[0]}
        for k, v in sorted(sums.items())
    ]


def ticket_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    opened: dict[str, TicketOpened] = {}
    closed: dict[str, TicketClosed] = {}
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, TicketOpened):
            opened.setdefault(e.ticket_id, e)
        elif isinstance(e, TicketClosed):
            closed.setdefault(e.ticket_id, e)
    sums: dict[tuple[Any, ...], Row] = {}
    for tid, o in opened.items():
        hour = _hour(o.occurred_at, zone)
        if not start <= hour.date() < end:
            continue
        extra = {"channel": o.channel.value, "cluster": o.cluster.value, "team": o.team.value}
        s = sums.setdefault(_key(hour, groups, extra), defaultdict(int))
        s["opened"] += 1
        c = closed.get(tid)
        if c is None:
            s["open"] += 1
            continue
        s["closed"] += 1
        s["resolved"] += c.resolution.value == "resolved"
        s["nff"] += c.outcome is not None and c.outcome.value == "no_fault_found"
        s["throughput_ms"] += round((c.occurred_at - o.occurred_at).total_seconds() * 1000)
    return [
        dict(zip(groups, k, strict=True))
        | {
            "opened": s["opened"],
            "open": s["open"],
            "closed": s["closed"],
            "closed_resolved": s["resolved"],
            "closed_unresolved": s["closed"] - s["resolved"],
            "no_fault_found": s["nff"],
            "resolution_rate": s["resolved"] / s["closed"] if s["closed"] else None,
            "no_fault_found_share": s["nff"] / s["closed"] if s["closed"] else None,
            "average_throughput_seconds": s["throughput_ms"] / s["closed"] / 1000
            if s["closed"]
            else None,
        }
        for k, s in sorted(sums.items())
    ]


def contact_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    requests: dict[str, ContactRequested] = {}
    outcomes: dict[str, set[str]] = defaultdict(set)
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, ContactRequested):
            requests.setdefault(e.request_id, e)
        elif e.event_type.startswith("contact."):
            outcomes[e.request_id].add(e.event_type[len("contact.") :])  # type: ignore[attr-defined]
    sums: dict[tuple[Any, ...], Row] = {}
    for rid, r in requests.items():
        hour = _hour(r.occurred_at, zone)
        if start <= hour.date() < end:
            s = sums.setdefault(
                _key(hour, groups, {"rule": r.rule, "channel": r.channel.value}), defaultdict(int)
            )
            s["requested"] += 1
            for kind in ("accepted", "declined", "converted", "expired"):
                s[kind] += kind in outcomes[rid]
    return [
        dict(zip(groups, k, strict=True))
        | {
            "requested": s["requested"],
            "accepted": s["accepted"],
            "declined": s["declined"],
            "converted": s["converted"],
            "expired": s["expired"],
            "conversion_rate": s["converted"] / s["requested"],
        }
        for k, s in sorted(sums.items())
    ]

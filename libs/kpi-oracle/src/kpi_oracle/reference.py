"""A plain reference computation of every KPI (calls, outbound calls, agents, tickets, backlog,
assignees, SLA warnings and breaches, chats, interactions, CSAT, proactive contacts) straight
from a list of raw events, for tests and benchmarks. It shares no code with the service's
projection: it deduplicates, sorts and counts in one pass, the obvious way."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cc_schemas import (
    ChatMessageSent,
    ChatStarted,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    SlaBreached,
    SlaWarning,
    TicketAssigned,
    TicketClosed,
    TicketMerged,
    TicketOpened,
    TicketStateChanged,
)

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
    sums: dict[tuple[Any, ...], Row] = {}
    for hour, queue, agent, outcome, wait, talk, hold, wrap, transfers in _calls(
        events, zone, short_seconds
    ):
        if not start <= hour.date() < end:
            continue
        k = _key(hour, groups, {"queue": queue, "agent": agent})
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
                s["longest_answered"] = max(s.get("longest_answered", -1), w)
            if outcome == "abandoned":  # short abandons are not abandoned calls here either
                s["abandoned_wait_ms"] += w
        if talk is not None:
            s["handled"] += 1
            s["talk_ms"] += round(talk * 1000)
            s["hold_ms"] += round(hold * 1000)
            s["wrapup_ms"] += round(wrap * 1000)
    return _rows(groups, sums, _call_row)


def _calls(events: list[Event], zone: ZoneInfo, short_seconds: float) -> list[tuple[Any, ...]]:
    """(local hour offered, queue, agent, outcome, wait, talk, hold, wrap-up, transfers) per
    offered call."""
    per_call: dict[str, list[Any]] = defaultdict(list)
    for e in _unique(events).values():
        if e.event_type.startswith("call."):
            per_call[e.call_id].append(e)  # type: ignore[attr-defined]
    out: list[tuple[Any, ...]] = []
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
        hour = _hour(offered.occurred_at, zone)
        out.append((hour, offered.queue, agent, outcome, wait, talk, hold, wrap, transfers))
    return out


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
        "abandoned_wait_ms": s["abandoned_wait_ms"],
        "average_wait_abandoned_seconds": (
            s["abandoned_wait_ms"] / s["abandoned"] / 1000 if s["abandoned"] else None
        ),
        "longest_wait_answered_seconds": (
            s["longest_answered"] / 1000 if "longest_answered" in s else None
        ),
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
    return _rows(
        groups, sums, lambda v: {"responses": v[0], "satisfied": v[1], "csat": v[1] / v[0]}
    )


def ticket_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    """Tickets opened in the period, each counted by how it stands after its last close,
    reopening or merge: open, closed (by that close's resolution and outcome) or merged; and
    its finished waits for the customer (to the step after each)."""
    opened, histories = _tickets(events)
    moves: dict[str, list[Any]] = defaultdict(list)
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, TicketStateChanged | TicketClosed | TicketMerged):
            moves[e.ticket_id].append(e)
    sums: dict[tuple[Any, ...], Row] = {}
    for tid, o in opened.items():
        hour = _hour(o.occurred_at, zone)
        if not start <= hour.date() < end:
            continue
        extra = {"channel": o.channel.value, "cluster": o.cluster, "team": o.team.value}
        s = sums.setdefault(_key(hour, groups, extra), defaultdict(int))
        s["opened"] += 1
        for move, following in zip(moves[tid], moves[tid][1:], strict=False):
            if getattr(move, "to_state", None) == "pending_customer":  # ended by what follows
                s["waits"] += 1
                s["wait_ms"] += _ms_between(move.occurred_at, following.occurred_at)
        last = histories[tid][-1] if histories[tid] else None
        if isinstance(last, TicketMerged):
            s["merged"] += 1
        elif not isinstance(last, TicketClosed):
            s["open"] += 1
        else:
            s["closed"] += 1
            s["resolved"] += last.resolution.value == "resolved"
            s["nff"] += last.outcome is not None and last.outcome.value == "no_fault_found"
            s["throughput_ms"] += _ms_between(o.occurred_at, last.occurred_at)
    return _rows(
        groups,
        sums,
        lambda s: {
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
            "merged": s["merged"],
            "customer_waits": s["waits"],
            "customer_wait_ms": s["wait_ms"],
            "average_customer_wait_seconds": _secs(s["wait_ms"], s["waits"]),
        },
    )


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
    return _rows(
        groups,
        sums,
        lambda s: {
            "requested": s["requested"],
            "accepted": s["accepted"],
            "declined": s["declined"],
            "converted": s["converted"],
            "expired": s["expired"],
            "conversion_rate": s["converted"] / s["requested"],
        },
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000


def _epoch_us(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def _ms_between(a: datetime, b: datetime) -> int:
    """A duration in whole milliseconds (the duration is rounded, not its ends)."""
    return round((b - a) / timedelta(milliseconds=1))


def _split_hours(a: datetime, b: datetime, zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """[a, b) as (local hour, whole ms) pieces; whole-hour UTC offsets (Europe/Rome) assumed."""
    lo, hi = _epoch_us(a), _epoch_us(b)
    pieces = []
    for t in range(lo - lo % HOUR_US, hi, HOUR_US):
        piece_us = min(hi, t + HOUR_US) - max(lo, t)
        if piece_us > 0:
            hour = _hour(EPOCH + timedelta(microseconds=t), zone)
            pieces.append((hour, round(piece_us / 1000)))
    return pieces


def agent_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    per_agent: dict[str, list[Any]] = defaultdict(list)
    for e in _unique(events).values():
        if e.event_type.startswith("agent."):
            per_agent[e.agent_id].append(e)  # type: ignore[attr-defined]
    sums: dict[tuple[Any, ...], Row] = {}

    def add(hour: datetime, agent: str, measure: str, value: int) -> None:
        if start <= hour.date() < end:
            s = sums.setdefault(_key(hour, groups, {"agent": agent}), defaultdict(int))
            s[measure] += value

    for agent, evs in per_agent.items():
        login: datetime | None = None
        paused: datetime | None = None
        intervals: list[tuple[str, datetime, datetime]] = []
        for e in sorted(evs, key=lambda e: (e.occurred_at, e.event_id)):
            kind = e.event_type.removeprefix("agent.")
            if kind == "logged_in" and login is None:
                login = e.occurred_at
            elif kind == "paused" and login is not None and paused is None:
                paused = e.occurred_at
            elif kind == "unpaused" and paused is not None:
                intervals.append(("paused_ms", paused, e.occurred_at))
                paused = None
            elif kind == "logged_out" and login is not None:
                intervals.append(("logged_in_ms", login, e.occurred_at))
                if paused is not None:  # logging out ends the pause
                    intervals.append(("paused_ms", paused, e.occurred_at))
                login = paused = None
        for measure, a, b in intervals:
            for hour, piece in _split_hours(a, b, zone):
                add(hour, agent, measure, piece)
    for hour, _queue, agent, _outcome, _wait, talk, hold, wrap, _t in _calls(events, zone, 5):
        if agent and talk is not None:
            add(
                hour, agent, "busy_ms", round(talk * 1000) + round(hold * 1000) + round(wrap * 1000)
            )
            add(hour, agent, "handled", 1)
    for o in _outbound(events, zone):
        if o["agent"] and o["talk_ms"] is not None:
            add(o["hour"], o["agent"], "busy_ms", o["talk_ms"])
            add(o["hour"], o["agent"], "outbound_talk_ms", o["talk_ms"])
            add(o["hour"], o["agent"], "outbound_talked", 1)
    rows = []
    for k, s in sorted(sums.items()):
        available = s["logged_in_ms"] - s["paused_ms"]
        rows.append(
            dict(zip(groups, k, strict=True))
            | {
                "logged_in_ms": s["logged_in_ms"],
                "paused_ms": s["paused_ms"],
                "busy_ms": s["busy_ms"],
                "handled": s["handled"],
                "available_ms": available,
                "occupancy": _div(s["busy_ms"], available),
                "outbound_talk_ms": s["outbound_talk_ms"],
                "outbound_talked": s["outbound_talked"],
            }
        )
    return rows


OUTBOUND_OUTCOMES = (
    "completed",
    "transferred",
    "cancelled",
    "no_answer",
    "busy",
    "unavailable",
    "congestion",
    "unknown",
)


def _outbound(events: list[Event], zone: ZoneInfo) -> list[dict[str, Any]]:
    """One dict per outbound attempt: the local hour of its first event, queue, agent, how it
    ended, whether the customer answered, and its talk time (ms) when connected and known."""
    per_call: dict[str, list[Any]] = defaultdict(list)
    for e in _unique(events).values():
        if e.event_type.startswith("call.outbound_"):
            per_call[e.call_id].append(e)  # type: ignore[attr-defined]
    out = []
    for evs in per_call.values():
        evs.sort(key=lambda e: (e.occurred_at, e.event_id))
        ends = [e for e in evs if e.event_type == "call.outbound_ended"]
        end = ends[0] if ends else None
        answered = any(e.event_type == "call.outbound_answered" for e in evs)
        connected = answered or (end is not None and end.connected)
        talk = end.talk_seconds if end is not None and connected else None
        out.append(
            {
                "hour": _hour(evs[0].occurred_at, zone),
                "queue": next((e.queue for e in evs if e.queue), ""),
                "agent": next((e.agent for e in evs if e.agent), ""),
                "outcome": end.outcome.value if end is not None else None,
                "connected": connected,
                "talk_ms": None if talk is None else round(talk * 1000),
            }
        )
    return out


def outbound_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    sums: dict[tuple[Any, ...], Row] = {}
    for o in _outbound(events, zone):
        if not start <= o["hour"].date() < end:
            continue
        s = sums.setdefault(
            _key(o["hour"], groups, {"queue": o["queue"], "agent": o["agent"]}), defaultdict(int)
        )
        s["attempts"] += 1
        if o["connected"]:
            s["connected"] += 1
        elif o["outcome"] is not None:
            s["not_connected"] += 1
        else:
            s["in_progress"] += 1
        if o["outcome"] is not None:
            s[o["outcome"]] += 1
        if o["talk_ms"] is not None:
            s["talked"] += 1
            s["talk_ms"] += o["talk_ms"]
    if not groups and not sums:
        sums[()] = defaultdict(int)
    return _rows(
        groups,
        sums,
        lambda s: {
            "attempts": s["attempts"],
            "connected": s["connected"],
            "not_connected": s["not_connected"],
            "in_progress": s["in_progress"],
            "talked": s["talked"],
            "talk_ms": s["talk_ms"],
            **{outcome: s[outcome] for outcome in OUTBOUND_OUTCOMES},
            "connect_rate": _div(s["connected"], s["connected"] + s["not_connected"]),
            "average_talk_seconds": _secs(s["talk_ms"], s["talked"]),
        },
    )


def chat_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    started: dict[str, ChatStarted] = {}
    messages: dict[str, list[ChatMessageSent]] = defaultdict(list)
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, ChatStarted):
            started.setdefault(e.chat_id, e)
        elif isinstance(e, ChatMessageSent):
            messages[e.chat_id].append(e)
    sums: dict[tuple[Any, ...], Row] = {}
    for cid, st in started.items():
        hour = _hour(st.occurred_at, zone)
        if not start <= hour.date() < end:
            continue
        s = sums.setdefault(_key(hour, groups, {"origin": st.origin.value}), defaultdict(int))
        s["chats"] += 1
        agent_msgs = [m for m in messages[cid] if m.sender.value == "agent"]
        if agent_msgs:
            s["responded"] += 1
            s["first_ms"] += _ms_between(st.occurred_at, agent_msgs[0].occurred_at)
        run_start: datetime | None = None
        for m in messages[cid]:
            if m.sender.value == "customer" and run_start is None:
                run_start = m.occurred_at
            elif m.sender.value == "agent" and run_start is not None:
                s["replies"] += 1
                s["reply_ms"] += _ms_between(run_start, m.occurred_at)
                run_start = None
    return _rows(
        groups,
        sums,
        lambda s: {
            "chats": s["chats"],
            "responded": s["responded"],
            "first_response_ms": s["first_ms"],
            "replies": s["replies"],
            "reply_ms": s["reply_ms"],
            "average_first_response_seconds": _secs(s["first_ms"], s["responded"]),
            "average_reply_seconds": _secs(s["reply_ms"], s["replies"]),
        },
    )


def _rows(
    groups: tuple[str, ...], sums: Mapping[tuple[Any, ...], Any], measures: Callable[[Any], Row]
) -> list[Row]:
    """One row per group key, in key order: the key's named fields, then its measures."""
    return [dict(zip(groups, k, strict=True)) | measures(v) for k, v in sorted(sums.items())]


def _secs(total_ms: int, n: int) -> float | None:
    return total_ms / n / 1000 if n else None


def interaction_kpis(
    events: list[Event],
    zone: ZoneInfo,
    start: date,
    end: date,
    groups: tuple[str, ...],
    fcr_days: int = 7,
) -> list[Row]:
    current: dict[str, InteractionRecorded] = {}
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, InteractionRecorded):
            current[e.interaction_id] = e  # the latest version of an interaction counts
    window = timedelta(days=fcr_days)
    sums: dict[tuple[Any, ...], Row] = {}
    for i in current.values():
        hour = _hour(i.started_at, zone)
        if not start <= hour.date() < end:
            continue
        extra = {"channel": i.channel.value, "direction": i.direction.value}
        s = sums.setdefault(_key(hour, groups, extra), defaultdict(int))
        s["interactions"] += 1
        if i.first_response_at is not None:
            s["responded"] += 1
            s["first_ms"] += _ms_between(i.started_at, i.first_response_at)
        if i.resolved is True:
            s["resolved"] += 1
            repeated = any(
                o.direction.value == "inbound"
                and (
                    o.case_id == i.case_id
                    if i.case_id
                    # nobody identified: no other contact can be a repeat of this one
                    else i.customer_id is not None and o.customer_id == i.customer_id
                )
                and (o.case_id is None) == (i.case_id is None)
                and i.started_at < o.started_at <= i.started_at + window
                for o in current.values()
            )
            s["fcr"] += not repeated
    return _rows(
        groups,
        sums,
        lambda s: {
            "interactions": s["interactions"],
            "resolved": s["resolved"],
            "first_contact_resolved": s["fcr"],
            "responded": s["responded"],
            "first_response_ms": s["first_ms"],
            "first_contact_resolution": _div(s["fcr"], s["resolved"]),
            "average_first_response_seconds": _secs(s["first_ms"], s["responded"]),
        },
    )


def _tickets(events: list[Event]) -> tuple[dict[str, TicketOpened], dict[str, list[Event]]]:
    """Each ticket's first opening, and its closes, reopenings (closed -> open) and merges in
    event-time order (other state changes do not open or end it)."""
    opened: dict[str, TicketOpened] = {}
    histories: dict[str, list[Event]] = defaultdict(list)
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, TicketOpened):
            opened.setdefault(e.ticket_id, e)
        elif isinstance(e, TicketClosed | TicketMerged) or _reopens(e):
            histories[e.ticket_id].append(e)  # type: ignore[attr-defined]
    return opened, histories


def _reopens(e: Event) -> bool:
    return (
        isinstance(e, TicketStateChanged)
        and e.from_state.value == "closed"
        and e.to_state.value == "open"
    )


def _open_spans(o: TicketOpened, history: list[Event]) -> list[tuple[datetime, datetime | None]]:
    """When the ticket was open: [opening or reopening, next close or merge); the end is None
    for the span still open."""
    spans: list[tuple[datetime, datetime | None]] = [(o.occurred_at, None)]
    for e in history:
        is_open = spans[-1][1] is None
        if isinstance(e, TicketStateChanged) and not is_open:
            spans.append((e.occurred_at, None))
        elif not isinstance(e, TicketStateChanged) and is_open:
            spans[-1] = (spans[-1][0], e.occurred_at)
    return spans


def backlog_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, by_channel: bool
) -> list[Row]:
    """Per local day: tickets open at its end (opened on or before it, and not closed or
    merged on or before it since their last opening or reopening)."""
    opened, histories = _tickets(events)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for tid, o in opened.items():
        for since, until in _open_spans(o, histories[tid]):
            first = since.astimezone(zone).date()
            last = until.astimezone(zone).date() if until else end  # ended on `last`
            day = max(first, start)
            while day < min(last, end):
                counts[(day.isoformat(), o.channel.value if by_channel else "")] += 1
                day += timedelta(days=1)
    return [
        {"day": day} | ({"channel": channel} if by_channel else {}) | {"backlog": n}
        for (day, channel), n in sorted(counts.items())
    ]


def assignee_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    """Tickets opened in the period that ended (their last step a close or a merge): each
    holder's stretch, from taking the ticket to the next assignment or the end, counting only
    the time it was open; an assignment while it was not open takes nothing."""
    opened, histories = _tickets(events)
    assigned: dict[str, list[TicketAssigned]] = defaultdict(list)
    for e in sorted(_unique(events).values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, TicketAssigned):
            assigned[e.ticket_id].append(e)
    sums: dict[tuple[Any, ...], Row] = {}
    for tid, o in opened.items():
        hour = _hour(o.occurred_at, zone)
        history = histories[tid]
        if not history or isinstance(history[-1], TicketStateChanged):
            continue  # never ended, or open again
        if not start <= hour.date() < end:
            continue
        spans = [(a, b) for a, b in _open_spans(o, history) if b is not None]
        holders = [(o.assignee, o.occurred_at)] if o.assignee else []
        holders += [(a.assignee, a.occurred_at) for a in assigned[tid]]
        holders = [(who, t) for who, t in holders if any(a <= t <= b for a, b in spans)]
        for n, (who, since) in enumerate(holders):
            until = holders[n + 1][1] if n + 1 < len(holders) else spans[-1][1]
            held = sum(
                (max(timedelta(0), min(until, b) - max(since, a)) for a, b in spans), timedelta(0)
            )
            s = sums.setdefault(_key(hour, groups, {"assignee": who}), defaultdict(int))
            s["stretches"] += 1
            s["held_ms"] += round(held / timedelta(milliseconds=1))
    return _rows(
        groups,
        sums,
        lambda s: {
            "stretches": s["stretches"],
            "held_ms": s["held_ms"],
            "average_held_seconds": _secs(s["held_ms"], s["stretches"]),
        },
    )


def sla_kpis(
    events: list[Event], zone: ZoneInfo, start: date, end: date, groups: tuple[str, ...]
) -> list[Row]:
    """Each distinct SLA warning and breach, in the local hour it was published."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for e in _unique(events).values():
        if not isinstance(e, SlaWarning | SlaBreached):
            continue
        hour = _hour(e.occurred_at, zone)
        if not start <= hour.date() < end:
            continue
        extra = {
            "target": e.target.value,
            "cluster": e.cluster,
            "priority": e.priority.value,
            "team": "" if e.team is None else e.team.value,
        }
        s = sums.setdefault(_key(hour, groups, extra), [0, 0])
        s[isinstance(e, SlaBreached)] += 1
    if not groups and not sums:
        sums[()] = [0, 0]
    return _rows(groups, sums, lambda s: {"warnings": s[0], "breaches": s[1]})

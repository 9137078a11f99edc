"""Reports of the omnichannel, claims and proactive-contact KPIs, computed when asked from a
projection of the stored events (no I/O). Each item is bucketed by the local hour of its start
(ticket opened, chat started, interaction started, answer given, request published)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from cc_schemas import (
    ClaimOutcome,
    Direction,
    InteractionRecorded,
    Resolution,
    TicketClosed,
    TicketMerged,
)
from kpi.omnichannel import SATISFIED, OmnichannelProjection, earliest, group, latest
from kpi.periods import PERIOD_KEYS
from kpi.reports import ReportQuery, ratio, seconds

Row = dict[str, Any]
Item = tuple[datetime, dict[str, Any], dict[str, int]]


def ticket_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Tickets opened in the period: open (a reopened one is open again), closed resolved /
    unresolved by their last close, merged (neither), NFF, throughput to the last close, and
    the time they waited for the customer."""
    query.check(("channel", "cluster", "team", *PERIOD_KEYS))
    items: list[Item] = []
    for ticket in omni.tickets.values():
        opened, ended = ticket.opened, ticket.ended()
        if opened is None:
            continue
        closed = ended if isinstance(ended, TicketClosed) else None
        resolved = closed is not None and closed.resolution is Resolution.RESOLVED
        items.append(
            (
                omni.hour(opened.occurred_at),
                {
                    "channel": opened.channel.value,
                    "cluster": opened.cluster,
                    "team": opened.team.value,
                },
                {
                    "opened": 1,
                    "open": int(ended is None),
                    "closed_resolved": int(resolved),
                    "closed_unresolved": int(closed is not None and not resolved),
                    "no_fault_found": int(
                        closed is not None and closed.outcome is ClaimOutcome.NO_FAULT_FOUND
                    ),
                    "throughput_ms": 0
                    if closed is None
                    else _ms(closed.occurred_at - opened.occurred_at),
                    "merged": int(isinstance(ended, TicketMerged)),
                    "customer_waits": len(waits := ticket.customer_waits()),
                    "customer_wait_ms": sum(_ms(w) for w in waits),
                },
            )
        )
    return group(items, query.group_by, query.start, query.end, _ticket_kpis)


def _ticket_kpis(t: dict[str, int]) -> Row:
    """Merged tickets are neither resolved nor unresolved: out of `closed` and its rates.
    The measures added later come last, so that CSV columns keep their places."""
    later = ("merged", "customer_waits", "customer_wait_ms")
    measures = {k: v for k, v in t.items() if k not in later}
    closed = t["closed_resolved"] + t["closed_unresolved"]
    return {
        **measures,
        "closed": closed,
        "resolution_rate": ratio(t["closed_resolved"], closed),
        "no_fault_found_share": ratio(t["no_fault_found"], closed),
        "average_throughput_seconds": seconds(t["throughput_ms"], closed),
        "merged": t["merged"],
        "customer_waits": t["customer_waits"],
        "customer_wait_ms": t["customer_wait_ms"],
        "average_customer_wait_seconds": seconds(t["customer_wait_ms"], t["customer_waits"]),
    }


def backlog_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Tickets opened before the end of each local day and not ended by then (closed or merged,
    and not reopened since), by channel."""
    query.check(("day", "channel"))
    rows: list[Row] = []
    day = query.start
    while day < query.end:
        end = datetime.combine(day + timedelta(days=1), time(), omni.zone)
        counts: dict[str, int] = {}
        for ticket in omni.tickets.values():
            opened = ticket.opened
            if opened is None or opened.occurred_at >= end:
                continue
            if ticket.ended(before=end) is None:
                channel = opened.channel.value if "channel" in query.group_by else ""
                counts[channel] = counts.get(channel, 0) + 1
        for channel, count in sorted(counts.items()):
            row: Row = {"day": day.isoformat()}
            if "channel" in query.group_by:
                row["channel"] = channel
            rows.append({**row, "backlog": count})
        day += timedelta(days=1)
    return rows


def assignee_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """For ended tickets (closed or merged) opened in the period: how long each responsible
    held them while they were open."""
    query.check(("assignee", *PERIOD_KEYS))
    items: list[Item] = []
    for ticket in omni.tickets.values():
        opened = ticket.opened
        if opened is None:
            continue
        for who, held in ticket.holders():
            items.append(
                (
                    omni.hour(opened.occurred_at),
                    {"assignee": who},
                    {"stretches": 1, "held_ms": _ms(held)},
                )
            )
    return group(
        items,
        query.group_by,
        query.start,
        query.end,
        lambda t: {**t, "average_held_seconds": seconds(t["held_ms"], t["stretches"])},
    )


def chat_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Chats started in the period: first response time and average reply time, per origin
    and per agent (the operator who took the chat)."""
    query.check(("origin", "agent", *PERIOD_KEYS))
    items: list[Item] = []
    for chat in omni.chats.values():
        started = chat.started
        if started is None:
            continue
        first, gaps = chat.timings()
        items.append(
            (
                omni.hour(started.occurred_at),
                {"origin": started.origin.value, "agent": chat.agent},
                {
                    "chats": 1,
                    "responded": int(first is not None),
                    "first_response_ms": first or 0,
                    "replies": len(gaps),
                    "reply_ms": sum(gaps),
                },
            )
        )
    return group(items, query.group_by, query.start, query.end, _chat_kpis)


def _chat_kpis(t: dict[str, int]) -> Row:
    return {
        **t,
        "average_first_response_seconds": seconds(t["first_response_ms"], t["responded"]),
        "average_reply_seconds": seconds(t["reply_ms"], t["replies"]),
    }


def interaction_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Interactions started in the period per channel; FCR over the resolved ones."""
    query.check(("channel", "direction", *PERIOD_KEYS))
    current = [i for v in omni.interactions.values() if (i := latest(v.values())) is not None]
    inbound_by_case: dict[str, list[datetime]] = {}
    for i in current:
        if i.direction is Direction.INBOUND:
            inbound_by_case.setdefault(_case(i), []).append(i.started_at)
    window = timedelta(days=omni.fcr_days)
    items: list[Item] = []
    for i in current:
        repeat = any(
            i.started_at < t <= i.started_at + window for t in inbound_by_case.get(_case(i), [])
        )
        resolved = i.resolved is True
        responded = i.first_response_at is not None
        items.append(
            (
                omni.hour(i.started_at),
                {"channel": i.channel.value, "direction": i.direction.value},
                {
                    "interactions": 1,
                    "resolved": int(resolved),
                    "first_contact_resolved": int(resolved and not repeat),
                    "responded": int(responded),
                    "first_response_ms": _ms(i.first_response_at - i.started_at)
                    if i.first_response_at
                    else 0,
                },
            )
        )
    return group(items, query.group_by, query.start, query.end, _interaction_kpis)


def _case(i: InteractionRecorded) -> str:
    if i.case_id:
        return f"case:{i.case_id}"
    # Nobody identified: only this contact itself can be its repeat.
    return f"customer:{i.customer_id}" if i.customer_id else f"interaction:{i.interaction_id}"


def _interaction_kpis(t: dict[str, int]) -> Row:
    return {
        **t,
        "first_contact_resolution": ratio(t["first_contact_resolved"], t["resolved"]),
        "average_first_response_seconds": seconds(t["first_response_ms"], t["responded"]),
    }


def csat_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Survey answers given in the period: share of satisfied (4-5 of 5)."""
    query.check(("channel", *PERIOD_KEYS))
    items: list[Item] = []
    for versions in omni.csat.values():
        answer = latest(versions.values())
        if answer is None:
            continue
        items.append(
            (
                omni.hour(answer.occurred_at),
                {"channel": answer.channel.value},
                {"responses": 1, "satisfied": int(answer.score >= SATISFIED)},
            )
        )
    return group(
        items,
        query.group_by,
        query.start,
        query.end,
        lambda t: {**t, "csat": ratio(t["satisfied"], t["responses"])},
    )


OUTCOMES = ("accepted", "declined", "converted", "expired")


def contact_report(omni: OmnichannelProjection, query: ReportQuery) -> list[Row]:
    """Proactive contact requests published in the period, by rule, and what became of them."""
    query.check(("rule", "channel", *PERIOD_KEYS))
    items: list[Item] = []
    for request_id, versions in omni.requests.items():
        request = earliest(versions.values())
        if request is None:
            continue
        kinds = (
            {o.event_type.removeprefix("contact.") for o in omni.outcomes[request_id].values()}
            if request_id in omni.outcomes
            else set()
        )
        items.append(
            (
                omni.hour(request.occurred_at),
                {"rule": request.rule, "channel": request.channel.value},
                {"requested": 1, **{k: int(k in kinds) for k in OUTCOMES}},
            )
        )
    return group(
        items,
        query.group_by,
        query.start,
        query.end,
        lambda t: {**t, "conversion_rate": ratio(t["converted"], t["requested"])},
    )


def _ms(delta: timedelta) -> int:
    return round(delta / timedelta(milliseconds=1))  # exact: no float noise at half a ms

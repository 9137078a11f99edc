"""Synthetic contact-centre traffic for tests and benchmarks: calls with abandons, short abandons,
exits, transfers and calls still waiting, outbound attempts, agents' sessions, tickets, chats,
interactions, CSAT answers and proactive contacts (tickets waiting, reopened, closed again and
merged included); then duplicated, shuffled and partly delivered late."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cc_schemas import (
    AGENT_EVENTS,
    CALL_EVENTS,
    CHAT_EVENTS,
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
    INTERACTIONS,
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    TICKET_SLA,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    Caller,
    CallExited,
    CallOffered,
    CallOutboundAnswered,
    CallOutboundDialled,
    CallOutboundEnded,
    CallTransferred,
    ChatAgentJoined,
    ChatEnded,
    ChatMessageSent,
    ChatStarted,
    ContactAccepted,
    ContactConverted,
    ContactExpired,
    ContactRequested,
    CsatSubmitted,
    EndedBy,
    Event,
    ExitReason,
    InteractionRecorded,
    OutboundOutcome,
    SlaBreached,
    SlaWarning,
    TicketAssigned,
    TicketClosed,
    TicketMerged,
    TicketOpened,
    TicketStateChanged,
    TransferKind,
    key_of,
)

Message = tuple[str, str, Event]  # topic, key, event
QUEUES = ("sales", "support", "returns")
AGENTS = tuple(f"PJSIP/10{n:02d}" for n in range(1, 9))
START = datetime(2026, 3, 23, tzinfo=UTC)  # two weeks across the switch to summer time
SRC = "simulation"


def _seconds(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 3)


def call_events(rng: random.Random, n: int, start: datetime = START, days: int = 14) -> list[Event]:
    events: list[Event] = []
    for i in range(n):
        events += _one_call(
            rng, f"call-{i}", start + timedelta(seconds=rng.uniform(0, days * 86400))
        )
    return events


def _one_call(rng: random.Random, call_id: str, at: datetime) -> list[Event]:
    queue, agent = rng.choice(QUEUES), rng.choice(AGENTS)
    ids = {"event_id": "", "source": SRC, "call_id": call_id, "queue": queue}

    def ev(kind: str, delay: float) -> dict[str, object]:
        return {
            **ids,
            "event_id": f"{call_id}/{kind}",
            "occurred_at": at + timedelta(seconds=delay),
        }

    out: list[Event] = []
    if rng.random() > 0.03:  # a few calls lose their call.offered: they are not counted
        caller = Caller(number_raw="021234567", e164="+39021234567")
        out.append(CallOffered(**ev("offered", 0), caller=caller, position=1))
    roll = rng.random()
    if roll < 0.65:
        wait = _seconds(rng, 0, 90)
        out.append(CallAnswered(**ev("answered", wait), agent=agent, wait_seconds=wait))
        talk = _seconds(rng, 20, 600)
        if rng.random() < 0.12:
            out.append(
                CallTransferred(
                    **ev("transferred", wait + talk),
                    kind=TransferKind.BLIND,
                    agent=agent,
                    wait_seconds=wait,
                    talk_seconds=talk,
                )
            )
        else:
            hold = _seconds(rng, 0, 60) if rng.random() < 0.5 else None
            wrapup = _seconds(rng, 0, 120) if rng.random() < 0.5 else None
            out.append(
                CallEnded(
                    **ev("ended", wait + talk),
                    agent=agent,
                    wait_seconds=wait,
                    talk_seconds=talk,
                    hold_seconds=hold,
                    wrapup_seconds=wrapup,
                    ended_by=EndedBy.CALLER,
                )
            )
    elif roll < 0.88:
        wait = _seconds(rng, 0, 60)
        out.append(CallAbandoned(**ev("abandoned", wait), wait_seconds=wait, position=2))
    elif roll < 0.95:
        wait = _seconds(rng, 60, 300)
        out.append(
            CallExited(
                **ev("exited", wait), reason=ExitReason.TIMEOUT, wait_seconds=wait, position=1
            )
        )
    return out  # else: still waiting


CONNECTED = (OutboundOutcome.COMPLETED, OutboundOutcome.TRANSFERRED)
UNANSWERED = [outcome for outcome in OutboundOutcome if outcome not in CONNECTED]


def outbound_events(
    rng: random.Random, n: int, start: datetime = START, days: int = 14
) -> list[Event]:
    """Outbound attempts: still dialling; unanswered, by every outcome; answered then completed
    or transferred (talk time given or not) or still in conversation; some logged by their end
    alone (Asterisk's OUTCALL); some without queue or agent."""
    out: list[Event] = []
    for i in range(n):
        call_id = f"out-{i}"
        at = start + timedelta(seconds=rng.uniform(0, days * 86400))
        common = {
            "source": SRC,
            "call_id": call_id,
            "queue": rng.choice(("callback", "spring-promo", None)),
            "agent": None if rng.random() < 0.05 else rng.choice(AGENTS),
            "dialled": Caller(number_raw="0212345678", e164="+390212345678"),
        }
        dial = CallOutboundDialled(event_id=f"{call_id}/dial", occurred_at=at, **common)
        roll, answered_at = rng.random(), at + timedelta(seconds=_seconds(rng, 1, 40))
        end = {"event_id": f"{call_id}/end", **common}
        if roll < 0.05:
            out.append(dial)  # still dialling
            continue
        end_alone = rng.random() < 0.1  # the PBX logged the end only
        if not end_alone:
            out.append(dial)
        if roll < 0.5:
            outcome = rng.choice(UNANSWERED)
            out.append(
                CallOutboundEnded(
                    occurred_at=answered_at, outcome=outcome, connected=False, talk_seconds=0, **end
                )
            )
            continue
        if not end_alone:
            out.append(
                CallOutboundAnswered(
                    event_id=f"{call_id}/answer", occurred_at=answered_at, **common
                )
            )
            if roll > 0.96:
                continue  # still in conversation
        talk = _seconds(rng, 10, 900)
        out.append(
            CallOutboundEnded(
                occurred_at=answered_at + timedelta(seconds=talk),
                outcome=rng.choice(CONNECTED) if rng.random() < 0.3 else CONNECTED[0],
                connected=True,
                talk_seconds=talk if rng.random() < 0.9 else None,
                **end,
            )
        )
    return out


def agent_events(rng: random.Random, days: int = 14, start: datetime = START) -> list[Event]:
    """Early, late and night shifts (across local midnight and the switch to summer time), zero
    to two pauses, a pause still open at logout, a stray unpause, and on the last day a session
    still open (not counted until it ends)."""
    out: list[Event] = []
    for agent in AGENTS:
        common = {"source": SRC, "agent_id": agent}
        for day in range(days):
            shift = timedelta(days=day, hours=rng.choice((6, 12, 20)), minutes=rng.randrange(60))
            base = start + shift + timedelta(seconds=_seconds(rng, 0, 1))
            out.append(AgentLoggedIn(event_id=f"{agent}/{day}/in", occurred_at=base, **common))
            if day == days - 1 and rng.random() < 0.5:
                continue  # still logged in: neither the session nor its pauses are closed
            logout = base + timedelta(hours=8, seconds=_seconds(rng, 0, 999))
            pause_at = base
            for n in range(rng.randrange(3)):
                pause_at += timedelta(minutes=rng.randrange(30, 200), seconds=rng.random())
                out.append(
                    AgentPaused(
                        event_id=f"{agent}/{day}/p{n}",
                        occurred_at=pause_at,
                        reason="lunch",
                        **common,
                    )
                )
                if rng.random() < 0.15:
                    break  # the pause lasts until the logout
                pause_at += timedelta(minutes=rng.randrange(5, 45), seconds=rng.random())
                out.append(
                    AgentUnpaused(event_id=f"{agent}/{day}/u{n}", occurred_at=pause_at, **common)
                )
            if rng.random() < 0.1:  # an unpause with no pause before it changes nothing
                stray = base + timedelta(minutes=1)
                out.append(AgentUnpaused(event_id=f"{agent}/{day}/u-", occurred_at=stray, **common))
            out.append(AgentLoggedOut(event_id=f"{agent}/{day}/out", occurred_at=logout, **common))
    return out


def ticket_events(
    rng: random.Random, n: int, start: datetime = START, days: int = 14
) -> list[Event]:
    out: list[Event] = []
    for i in range(n):
        tid, at = f"T-{i}", start + timedelta(seconds=rng.uniform(0, days * 86400))
        common = {"source": SRC, "ticket_id": tid}
        first = rng.choice(("anna", "bruno", None))
        out.append(
            TicketOpened(
                event_id=f"{tid}/open",
                occurred_at=at,
                customer_id=f"C{i % 97}",
                channel=rng.choice(["phone", "email", "chat", "web"]),
                cluster=rng.choice(
                    ["return", "warranty_replacement", "instructions_nff", "spare_parts"]
                ),
                subject="Broken toy",
                opened_by="anna",
                assignee=first,
                team="contact_centre",
                **common,
            )
        )
        for step in range(rng.randrange(3)):
            at += timedelta(hours=rng.uniform(1, 30))
            out.append(
                TicketAssigned(
                    event_id=f"{tid}/assign/{step}",
                    occurred_at=at,
                    assignee=rng.choice(("carla", "dario", "anna")),
                    team=rng.choice(["marketing", "contact_centre"]),
                    assigned_by="anna",
                    **common,
                )
            )
        if rng.random() < 0.2:  # waiting for the customer, and back or ended by the close
            at += timedelta(hours=rng.uniform(1, 10))
            out.append(_changed(f"{tid}/wait", at, "open", "pending_customer", **common))
            if rng.random() < 0.8:
                at += timedelta(hours=rng.uniform(1, 30))
                out.append(_changed(f"{tid}/resume", at, "pending_customer", "open", **common))
        if rng.random() < 0.8:
            at += timedelta(hours=rng.uniform(1, 48))
            out.append(_closed(rng, f"{tid}/close", at, **common))
            if rng.random() < 0.15:  # reopened, then closed again (its last close counts) or not
                at += timedelta(hours=rng.uniform(1, 72))
                out.append(_changed(f"{tid}/reopen", at, "closed", "open", **common))
                at += timedelta(hours=rng.uniform(1, 48))
                if rng.random() < 0.7:
                    out.append(_closed(rng, f"{tid}/close-again", at, **common))
                elif rng.random() < 0.3:
                    out.append(_merged(f"{tid}/merge", at, f"T-{i + 1}", **common))
            if rng.random() < 0.1:  # handed on after the close (a review): held by no one
                out.append(
                    TicketAssigned(
                        event_id=f"{tid}/assign/after-close",
                        occurred_at=at + timedelta(hours=rng.uniform(1, 5)),
                        assignee="dario",
                        team="contact_centre",
                        assigned_by="anna",
                        **common,
                    )
                )
        elif rng.random() < 0.3:  # merged into another: neither resolved nor unresolved
            at += timedelta(hours=rng.uniform(1, 48))
            out.append(_merged(f"{tid}/merge", at, f"T-{i + 1}", **common))
    return out


def _closed(rng: random.Random, event_id: str, at: datetime, **common: str) -> TicketClosed:
    return TicketClosed(
        event_id=event_id,
        occurred_at=at,
        resolution="resolved" if rng.random() < 0.75 else "unresolved",
        outcome=rng.choice(["refund", "no_fault_found", "replacement"]),
        closed_by="anna",
        **common,
    )


def _changed(
    event_id: str, at: datetime, from_state: str, to_state: str, **common: str
) -> TicketStateChanged:
    return TicketStateChanged(
        event_id=event_id,
        occurred_at=at,
        from_state=from_state,
        to_state=to_state,
        changed_by="anna",
        **common,
    )


def _merged(event_id: str, at: datetime, into: str, **common: str) -> TicketMerged:
    return TicketMerged(
        event_id=event_id, occurred_at=at, into_ticket_id=into, merged_by="anna", **common
    )


def sla_events(rng: random.Random, n: int, start: datetime = START, days: int = 14) -> list[Event]:
    """Warnings and breaches of the three targets, for tickets of every cluster and priority,
    with a team or none; a breach mostly after its warning."""
    out: list[Event] = []
    for i in range(n):
        at = start + timedelta(seconds=rng.uniform(0, days * 86400))
        target = rng.choice(["first_response", "next_update", "solution"])
        common = {
            "source": SRC,
            "ticket_id": f"T-{i}",
            "target": target,
            "due_at": at + timedelta(hours=1),
            "policy": "default",
            "cluster": rng.choice(["return", "warranty_replacement", "spare_parts"]),
            "priority": rng.choice(["low", "normal", "high", "urgent"]),
            "team": rng.choice(["contact_centre", "marketing", None]),
            "assignee": rng.choice(["anna", None]),
        }
        out.append(SlaWarning(event_id=f"sla-{i}/{target}/w", occurred_at=at, **common))
        if rng.random() < 0.4:
            late = at + timedelta(hours=1, seconds=rng.uniform(0, 60))
            out.append(SlaBreached(event_id=f"sla-{i}/{target}/b", occurred_at=late, **common))
    return out


def chat_events(rng: random.Random, n: int, start: datetime = START, days: int = 14) -> list[Event]:
    """Customer and proactive chats; customer, agent and system messages 0.1 ms apart at most
    (durations of exactly half a millisecond happen); a few chats never seen starting."""
    out: list[Event] = []
    for i in range(n):
        cid, at = f"chat-{i}", start + timedelta(seconds=rng.uniform(0, days * 86400))
        common = {"source": SRC, "chat_id": cid}
        proactive = rng.random() < 0.2
        if rng.random() > 0.03:  # else its chat.started never arrived: the chat is not counted
            out.append(
                ChatStarted(
                    event_id=f"{cid}/start",
                    occurred_at=at,
                    origin="proactive" if proactive else "customer",
                    request_id=f"req-{i}" if proactive else None,
                    **common,
                )
            )
        for m in range(rng.randrange(8)):
            at += timedelta(seconds=round(rng.uniform(0.5, 200), 4))
            roll = rng.random()
            sender = "customer" if roll < 0.45 else "agent" if roll < 0.9 else "system"
            if sender == "agent" and rng.random() < 0.3:
                out.append(
                    ChatAgentJoined(event_id=f"{cid}/j{m}", occurred_at=at, agent="anna", **common)
                )
            out.append(
                ChatMessageSent(
                    event_id=f"{cid}/m{m}",
                    occurred_at=at,
                    message_id=f"m{m}",
                    sender=sender,
                    agent="anna" if sender == "agent" else None,
                    text="hi",
                    **common,
                )
            )
        if rng.random() < 0.7:
            out.append(
                ChatEnded(event_id=f"{cid}/end", occurred_at=at, ended_by="customer", **common)
            )
    return out


def interaction_events(
    rng: random.Random, n: int, start: datetime = START, days: int = 14
) -> list[Event]:
    """Contacts on cases (repeats within and beyond the FCR window) and without a case (the
    customer's), inbound and outbound; some recorded again later once judged (the latest
    version counts)."""
    out: list[Event] = []
    for i in range(n):
        at = start + timedelta(seconds=rng.uniform(0, days * 86400))
        responded = at + timedelta(seconds=round(rng.uniform(1, 3600), 4))
        case = f"case-{i % 151}" if rng.random() < 0.8 else None
        first = InteractionRecorded(
            event_id=f"int-{i}",
            occurred_at=at,
            source=SRC,
            interaction_id=f"int-{i}",
            customer_id=f"C{i % 53}" if case else f"C{i % 17}",
            case_id=case,
            channel=rng.choice(["phone", "chat", "email", "social"]),
            direction="inbound" if rng.random() < 0.85 else "outbound",
            started_at=at,
            first_response_at=responded if rng.random() < 0.7 else None,
            resolved=rng.choice([True, False, None]),
        )
        out.append(first)
        if rng.random() < 0.3:  # judged later: the new version replaces the first
            out.append(
                first.model_copy(
                    update={
                        "event_id": f"int-{i}/v2",
                        "occurred_at": responded + timedelta(hours=1),
                        "first_response_at": responded,
                        "resolved": rng.random() < 0.7,
                    }
                )
            )
    return out


def csat_events(rng: random.Random, n: int, start: datetime = START, days: int = 14) -> list[Event]:
    return [
        CsatSubmitted(
            event_id=f"csat-{i}",
            occurred_at=start + timedelta(seconds=rng.uniform(0, days * 86400)),
            source=SRC,
            response_id=f"r-{i}",
            customer_id=f"C{i % 41}",
            score=rng.randint(1, 5),
            channel=rng.choice(["phone", "chat", "email"]),
        )
        for i in range(n)
    ]


def contact_events(
    rng: random.Random, n: int, start: datetime = START, days: int = 14
) -> list[Event]:
    out: list[Event] = []
    for i in range(n):
        rid, at = f"req-{i}", start + timedelta(seconds=rng.uniform(0, days * 86400))
        out.append(
            ContactRequested(
                event_id=f"{rid}/req",
                occurred_at=at,
                source=SRC,
                request_id=rid,
                session_id=f"s-{i}",
                rule=rng.choice(["abandoned_cart", "long_faq_search"]),
                channel="chat",
                expires_at=at + timedelta(minutes=30),
            )
        )
        roll, later = rng.random(), at + timedelta(minutes=rng.uniform(1, 20))
        common = {"source": SRC, "request_id": rid, "occurred_at": later}
        if roll < 0.5:
            out.append(ContactAccepted(event_id=f"{rid}/acc", operator_id="anna", **common))
            if rng.random() < 0.4:
                out.append(
                    ContactConverted(
                        event_id=f"{rid}/conv",
                        **{**common, "occurred_at": later + timedelta(minutes=5)},
                    )
                )
        elif roll < 0.8:
            out.append(ContactExpired(event_id=f"{rid}/exp", **common))
    return out


TOPIC_OF = {
    "call.": CALL_EVENTS,
    "agent.": AGENT_EVENTS,
    "ticket.opened": TICKET_OPENED,
    "ticket.assigned": TICKET_ASSIGNED,
    "ticket.closed": TICKET_CLOSED,
    "ticket.state_changed": TICKET_CHANGES,
    "ticket.merged": TICKET_CHANGES,
    "sla.": TICKET_SLA,
    "chat.": CHAT_EVENTS,
    "interaction.": INTERACTIONS,
    "csat.": CSAT_RESPONSES,
    "contact.requested": CONTACT_REQUESTS,
    "contact.": CONTACT_OUTCOMES,
}


def topic_of(event: Event) -> str:
    return next(t for prefix, t in TOPIC_OF.items() if event.event_type.startswith(prefix))


def disorder(
    rng: random.Random, events: list[Event], duplicates: float = 0.05, late: float = 0.03
) -> list[Message]:
    """Jittered order (out of order within an aggregate), duplicates, and a late tail."""
    jittered = sorted(events, key=lambda e: e.occurred_at + timedelta(seconds=rng.uniform(0, 1800)))
    on_time: list[Event] = []
    tail: list[Event] = []
    for event in jittered:
        (tail if rng.random() < late else on_time).append(event)
    stream = on_time + tail
    for event in rng.sample(events, int(len(events) * duplicates)):
        stream.insert(rng.randrange(len(stream) + 1), event)
    return [(topic_of(e), key_of(e), e) for e in stream]


def traffic(seed: int, calls: int, others: int) -> list[Message]:
    """Everything, disordered; `others` scales tickets, SLA events, chats, interactions, CSAT,
    contacts."""
    rng = random.Random(seed)
    events = call_events(rng, calls) + agent_events(rng)
    events += ticket_events(rng, others) + chat_events(rng, others)
    events += interaction_events(rng, others) + csat_events(rng, others)
    events += contact_events(rng, others)
    events += outbound_events(random.Random(seed + 1), others * 3)  # apart: the rest unchanged
    events += sla_events(random.Random(seed + 2), others)
    return disorder(rng, events)


def iter_call_stream(seed: int, calls: int, start: datetime, days: int) -> Iterator[Message]:
    """A call-events stream for benchmarks (same disorder, without the other topics)."""
    rng = random.Random(seed)
    yield from disorder(rng, call_events(rng, calls, start, days))

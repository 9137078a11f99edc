"""Customer service beyond the phone: claims tickets (ticket-opened / -assigned / -closed),
customer chats (chat-events), e-mails (interactions) and CSAT answers (csat-responses)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cc_dev.simulation.base import Stream, any_customer, arrivals
from cc_schemas import (
    ChatAgentJoined,
    ChatEnded,
    ChatMessageSent,
    ChatOrigin,
    ChatParty,
    ChatStarted,
    ClaimCluster,
    ClaimOutcome,
    CsatSubmitted,
    Direction,
    InteractionChannel,
    InteractionRecorded,
    Resolution,
    Team,
    TicketAssigned,
    TicketChannel,
    TicketClosed,
    TicketOpened,
)

CLUSTERS = (
    (ClaimCluster.RETURN, 0.3),
    (ClaimCluster.WARRANTY_REPLACEMENT, 0.2),
    (ClaimCluster.INSTRUCTIONS_NFF, 0.15),
    (ClaimCluster.SPARE_PARTS, 0.15),
    (ClaimCluster.DELIVERY, 0.12),
    (ClaimCluster.LOYALTY, 0.08),
)
OUTCOMES = {
    ClaimCluster.RETURN: ClaimOutcome.REFUND,
    ClaimCluster.WARRANTY_REPLACEMENT: ClaimOutcome.REPLACEMENT,
    ClaimCluster.INSTRUCTIONS_NFF: ClaimOutcome.NO_FAULT_FOUND,
    ClaimCluster.SPARE_PARTS: ClaimOutcome.SPARE_PART_SENT,
    ClaimCluster.DELIVERY: ClaimOutcome.VOUCHER,
    ClaimCluster.LOYALTY: ClaimOutcome.VOUCHER,
}
SCORES = ((5, 0.45), (4, 0.25), (3, 0.12), (2, 0.08), (1, 0.10))
OPERATORS = tuple(f"op-{n:02d}" for n in range(1, 13))
MARKETING = ("mk-01", "mk-02")


def csat(
    s: Stream, at: datetime, customer_id: str, channel: InteractionChannel, **ref: str
) -> None:
    if s.rng.random() >= s.params.service.csat_share:
        return
    score = s.rng.choices([v for v, _ in SCORES], [w for _, w in SCORES])[0]
    answered = at + timedelta(minutes=s.rng.uniform(2, 60))
    response_id = f"csat-{s.params.seed}-{s.part}-{s.next_number():06d}"
    s.emit(
        answered,
        CsatSubmitted(
            event_id=s.event_id(response_id),
            occurred_at=answered,
            source="survey",
            response_id=response_id,
            customer_id=customer_id,
            score=score,
            channel=channel,
            **ref,
        ),
    )


def ticket(s: Stream, number: int, opened: datetime) -> None:
    r = s.rng
    ticket_id = f"tkt-{s.params.seed}-{number:05d}"
    cluster = ClaimCluster(r.choices([c for c, _ in CLUSTERS], [w for _, w in CLUSTERS])[0])
    who, owner = any_customer(s), r.choice(OPERATORS)
    s.emit(
        opened,
        TicketOpened(
            event_id=s.event_id(ticket_id, "opened"),
            occurred_at=opened,
            source="claims",
            ticket_id=ticket_id,
            customer_id=who.customer_id,
            channel=r.choice(list(TicketChannel)),
            cluster=cluster,
            subject=f"{cluster.value.replace('_', ' ')} request",
            opened_by=owner,
            assignee=owner,
            team=Team.CONTACT_CENTRE,
        ),
    )
    at, step, holder, team = opened, 0, owner, Team.CONTACT_CENTRE
    if r.random() < s.params.service.reassign_share:
        for new, new_team in (
            (r.choice(MARKETING), Team.MARKETING),
            (r.choice(OPERATORS), Team.CONTACT_CENTRE),
        ):
            at += timedelta(minutes=s.lognormal(60, 0.6))
            step += 1
            s.emit(
                at,
                TicketAssigned(
                    event_id=s.event_id(ticket_id, "assigned", step),
                    occurred_at=at,
                    source="claims",
                    ticket_id=ticket_id,
                    assignee=new,
                    team=new_team,
                    previous_assignee=holder,
                    previous_team=team,
                    assigned_by=holder,
                ),
            )
            holder, team = new, new_team
    at += timedelta(minutes=s.lognormal(120, 0.8))
    resolved = r.random() < 0.8
    s.emit(
        at,
        TicketClosed(
            event_id=s.event_id(ticket_id, "closed"),
            occurred_at=at,
            source="claims",
            ticket_id=ticket_id,
            resolution=Resolution.RESOLVED if resolved else Resolution.UNRESOLVED,
            outcome=OUTCOMES[cluster] if resolved else ClaimOutcome.NONE,
            closed_by=holder,
        ),
    )
    csat(s, at, who.customer_id, InteractionChannel.EMAIL, ticket_id=ticket_id)


def chat(s: Stream, number: int, started: datetime) -> None:
    r = s.rng
    chat_id = f"chat-{s.params.seed}-{number:05d}"
    who, agent = any_customer(s), r.choice(OPERATORS)
    at = started
    s.emit(
        at,
        ChatStarted(
            event_id=s.event_id(chat_id, "started"),
            occurred_at=at,
            source="chat",
            chat_id=chat_id,
            customer_id=who.customer_id,
            origin=ChatOrigin.CUSTOMER,
        ),
    )
    at += timedelta(seconds=s.lognormal(30, 0.7))
    s.emit(
        at,
        ChatAgentJoined(
            event_id=s.event_id(chat_id, "joined"),
            occurred_at=at,
            source="chat",
            chat_id=chat_id,
            agent=agent,
        ),
    )
    for n in range(r.randint(2, 8)):
        at += timedelta(seconds=s.lognormal(40, 0.6))
        sender = ChatParty.AGENT if n % 2 else ChatParty.CUSTOMER
        s.emit(
            at,
            ChatMessageSent(
                event_id=s.event_id(chat_id, "msg", n),
                occurred_at=at,
                source="chat",
                chat_id=chat_id,
                message_id=f"{chat_id}-m{n}",
                sender=sender,
                agent=agent if sender is ChatParty.AGENT else None,
                text="Hello, where is my parcel?" if n == 0 else "...",
            ),
        )
    at += timedelta(seconds=s.lognormal(30, 0.5))
    s.emit(
        at,
        ChatEnded(
            event_id=s.event_id(chat_id, "ended"),
            occurred_at=at,
            source="chat",
            chat_id=chat_id,
            ended_by=r.choice((ChatParty.CUSTOMER, ChatParty.AGENT)),
            resolved=r.random() < 0.75,
        ),
    )
    csat(s, at, who.customer_id, InteractionChannel.CHAT, chat_id=chat_id)


def email(s: Stream, number: int, received: datetime) -> None:
    r = s.rng
    mail_id = f"mail-{s.params.seed}-{number:05d}"
    who = any_customer(s)
    answered = received + timedelta(minutes=s.lognormal(90, 0.8))
    s.emit(
        answered,
        InteractionRecorded(
            event_id=s.event_id(mail_id, "recorded"),
            occurred_at=answered,
            source="crm",
            interaction_id=mail_id,
            customer_id=who.customer_id,
            channel=InteractionChannel.EMAIL,
            direction=Direction.INBOUND,
            agent=r.choice(OPERATORS),
            external_id=f"<{mail_id}@mail>",
            started_at=received,
            first_response_at=answered,
            ended_at=answered,
            resolved=r.random() < 0.7,
        ),
    )
    csat(s, answered, who.customer_id, InteractionChannel.EMAIL)


def simulate_service(stream: Stream) -> Stream:
    p = stream.params.service
    for kind, per_day in (
        (ticket, p.tickets_per_day),
        (chat, p.chats_per_day),
        (email, p.emails_per_day),
    ):
        for number, at in enumerate(
            arrivals(stream, per_day, stream.params.calls.profile), start=1
        ):
            kind(stream, number, at)
    return stream

"""What each step of a chat publishes: `chat-events` (started, agent joined, message sent,
ended; key chat_id) and the customer's answer on `csat-responses`. Pure: chats in, events out.

Each step happens once, so event ids are made from the chat and the step: the relay may send an
event twice, its id stays the same."""

from __future__ import annotations

from datetime import datetime

from cc_schemas import (
    CHAT_EVENTS,
    CSAT_RESPONSES,
    Actor,
    ChatAgentJoined,
    ChatAssignment,
    ChatEnded,
    ChatMessageSent,
    ChatStarted,
    ChatTransferred,
    CsatSubmitted,
    Event,
    InteractionChannel,
    make_event_id,
)
from chat.conversation import Chat, Message

SOURCE = "chat"
Published = list[tuple[str, Event]]  # (topic, event), written to the outbox in this order


def started(chat: Chat, actor: Actor | None) -> Published:
    """chat.started, and chat.agent_joined when an operator opened it (proactive)."""
    events: Published = [
        (
            CHAT_EVENTS,
            ChatStarted(
                event_id=make_event_id(SOURCE, chat.chat_id, "started"),
                occurred_at=chat.started_at,
                source=SOURCE,
                actor=actor,
                chat_id=chat.chat_id,
                customer_id=chat.customer_id,
                session_id=chat.session_id,
                origin=chat.origin,
                request_id=chat.request_id,
            ),
        )
    ]
    if chat.operator_id is not None:
        events += joined(chat, actor)
    return events


def joined(
    chat: Chat, actor: Actor | None, via: ChatAssignment = ChatAssignment.OPERATOR
) -> Published:
    """chat.agent_joined; the event id names the moment too: a chat transferred back joins
    the same operator a second time."""
    assert chat.operator_id is not None
    assert chat.joined_at is not None
    moment = chat.joined_at.isoformat()
    return [
        (
            CHAT_EVENTS,
            ChatAgentJoined(
                event_id=make_event_id(SOURCE, chat.chat_id, "joined", chat.operator_id, moment),
                occurred_at=chat.joined_at,
                source=SOURCE,
                actor=actor,
                chat_id=chat.chat_id,
                agent=chat.operator_id,
                via=via,
            ),
        )
    ]


def transferred(before: Chat, after: Chat, actor: Actor | None, at: datetime) -> Published:
    """chat.transferred, and chat.agent_joined (via transfer) when it went to an operator."""
    assert before.operator_id is not None
    events: Published = [
        (
            CHAT_EVENTS,
            ChatTransferred(
                event_id=make_event_id(SOURCE, before.chat_id, "transferred", at.isoformat()),
                occurred_at=at,
                source=SOURCE,
                actor=actor,
                chat_id=before.chat_id,
                from_agent=before.operator_id,
                to_agent=after.operator_id,
                to_team=after.team,
            ),
        )
    ]
    if after.operator_id is not None:
        events += joined(after, actor, ChatAssignment.TRANSFER)
    return events


def given_back(before: Chat, after: Chat, at: datetime) -> Published:
    """chat.transferred from the operator gone offline to the one auto-assignment chose, and
    chat.agent_joined via auto; no actor (the presence watcher did it)."""
    assert before.operator_id is not None
    return [
        (
            CHAT_EVENTS,
            ChatTransferred(
                event_id=make_event_id(SOURCE, before.chat_id, "transferred", at.isoformat()),
                occurred_at=at,
                source=SOURCE,
                actor=None,
                chat_id=before.chat_id,
                from_agent=before.operator_id,
                to_agent=after.operator_id,
            ),
        ),
        *joined(after, None, ChatAssignment.AUTO),
    ]


def message_sent(message: Message, actor: Actor | None) -> Published:
    return [
        (
            CHAT_EVENTS,
            ChatMessageSent(
                event_id=make_event_id(SOURCE, message.chat_id, "message", message.message_id),
                occurred_at=message.sent_at,
                source=SOURCE,
                actor=actor,
                chat_id=message.chat_id,
                message_id=message.message_id,
                sender=message.sender,
                agent=message.agent,
                text=message.text,
            ),
        )
    ]


def ended(chat: Chat, actor: Actor | None) -> Published:
    assert chat.ended_at is not None
    assert chat.ended_by is not None
    return [
        (
            CHAT_EVENTS,
            ChatEnded(
                event_id=make_event_id(SOURCE, chat.chat_id, "ended"),
                occurred_at=chat.ended_at,
                source=SOURCE,
                actor=actor,
                chat_id=chat.chat_id,
                ended_by=chat.ended_by,
            ),
        )
    ]


def rated(chat: Chat) -> Published:
    """csat.submitted, keyed by the customer: an anonymous visitor is named by their chat
    (`anonymous-chat-<chat id>`), since the contract needs a customer and kpi counts answers."""
    assert chat.csat_score is not None
    assert chat.rated_at is not None
    return [
        (
            CSAT_RESPONSES,
            CsatSubmitted(
                event_id=make_event_id(SOURCE, chat.chat_id, "csat"),
                occurred_at=chat.rated_at,
                source=SOURCE,
                response_id=f"chat-{chat.chat_id}",
                customer_id=chat.customer_id or f"anonymous-chat-{chat.chat_id}",
                score=chat.csat_score,
                channel=InteractionChannel.CHAT,
                chat_id=chat.chat_id,
                comment=chat.csat_comment,
            ),
        )
    ]

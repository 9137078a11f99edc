"""What a supervisor does to the desk: reassign an open chat to another operator, whether it
waits for one or another holds it, and hand a waiting contact request to an operator. The
rules are pure (`reassign`, `queue.accept`); the use cases write them with their events under
the row lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cc_runtime.audit import AuditEntry
from cc_schemas import Actor, ChatAssignment, ContactChannel, Event
from chat import chat_events, conversation, queue
from chat.chat_events import Published
from chat.chats import ChatNotFound, Conversations, new_id
from chat.conversation import Chat, ChatRefused, ChatState, Message
from chat.handlers import Desk, NotFound
from chat.outcomes import outcome_of
from chat.queue import ContactRequest, State


def reassign(chat: Chat, to_agent: str, now: datetime) -> Chat:
    if chat.state is not ChatState.OPEN:
        raise ChatRefused(f"chat {chat.chat_id} has ended")
    if chat.operator_id == to_agent:
        raise ChatRefused(f"chat {chat.chat_id} is already {to_agent}'s")
    return replace(chat, operator_id=to_agent, joined_at=now, team=None)


async def reassign_chat(
    conversations: Conversations, chat_id: str, to_agent: str, by: AuditEntry
) -> Chat:
    """chat.transferred from its holder (and chat.agent_joined via transfer), or, for a chat
    nobody held, chat.agent_joined via transfer; the supervisor is the actor."""
    actor = Actor(subject=by.subject, role=by.role)

    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        after = reassign(chat, to_agent, by.at)
        if chat.operator_id is None:
            return after, None, chat_events.joined(after, actor, ChatAssignment.TRANSFER)
        return after, None, chat_events.transferred(chat, after, actor, by.at)

    found = await conversations.chats.step(chat_id, step, by)
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    return found[0]


def opened_for(
    request: ContactRequest, operator_id: str, actor: Actor, at: datetime
) -> tuple[Chat, Published] | None:
    """The proactive chat a chat request handed to an operator opens, theirs at once."""
    if request.channel is not ContactChannel.CHAT or request.state is not State.ACCEPTED:
        return None
    chat = conversation.started_proactively(
        chat_id=new_id(),
        request_id=request.request_id,
        operator_id=operator_id,
        customer_id=request.customer_id,
        session_id=request.session_id,
        now=at,
    )
    return chat, chat_events.started(chat, actor)


async def assign_request(
    desk: Desk, request_id: str, to_agent: str, by: AuditEntry
) -> ContactRequest:
    """A supervisor hands a waiting request to an operator: accepted for them
    (contact.accepted with their operator_id, the supervisor as actor; a chat request opens
    its chat, theirs), as if they had accepted it. Refused as an accept is (no longer waiting,
    expired)."""
    actor = Actor(subject=by.subject, role=by.role)

    def move(request: ContactRequest) -> tuple[ContactRequest, Event]:
        after = queue.accept(request, to_agent, by.at)
        return after, outcome_of(after, actor)

    moved = await desk.requests.move(
        request_id, move, by, lambda r: opened_for(r, to_agent, actor, by.at)
    )
    if moved is None:
        raise NotFound(f"no contact request {request_id!r}")
    desk.written()
    return moved

"""What a supervisor does to the desk: reassign an open chat to another operator, whether it
waits for one or another holds it. The rule is pure (`reassign`); the use case writes it with
its events under the chat's row lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cc_runtime.audit import AuditEntry
from cc_schemas import Actor, ChatAssignment
from chat import chat_events
from chat.chat_events import Published
from chat.chats import ChatNotFound, Conversations
from chat.conversation import Chat, ChatRefused, ChatState, Message


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

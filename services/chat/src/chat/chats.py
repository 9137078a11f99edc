"""Use cases of live chat: a customer starts one, an operator opens one by accepting a chat
request (see `opened_by_accepting`) or joins a customer's, either side writes and ends it, the
customer rates it. No I/O of their own: the repository and the relay's wake-up are passed in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from cc_attachments import Blob
from cc_runtime.audit import AuditEntry
from cc_schemas import Actor, ChatParty, ContactChannel
from chat import chat_events, conversation
from chat.chat_events import Published
from chat.conversation import Attachment, Chat, Message, Note
from chat.queue import ContactRequest, State
from chat.repository import Chats, Step


class ChatNotFound(LookupError):
    """No such chat (HTTP 404)."""


@dataclass(frozen=True)
class Conversations:
    chats: Chats
    max_chars: int  # the longest message taken
    written: Callable[[], None]  # tells the outbox relay there is something to publish
    seat_default: int | None = None  # hold a Take to the seat limit (this when unsaid)


def opened_by_accepting(request: ContactRequest, by: AuditEntry) -> tuple[Chat, Published] | None:
    """The proactive chat an operator opens by accepting a chat request, and its events; None
    for a call-back or e-mail request."""
    if request.channel is not ContactChannel.CHAT or request.state is not State.ACCEPTED:
        return None
    chat = conversation.started_proactively(
        chat_id=new_id(),
        request_id=request.request_id,
        operator_id=by.subject,
        customer_id=request.customer_id,
        session_id=request.session_id,
        now=by.at,
    )
    return chat, chat_events.started(chat, _actor(by))


@dataclass(frozen=True)
class Reader:
    """An operator reading a chat: their sign-in subject, and whether they supervise."""

    subject: str
    supervisor: bool


async def read(
    conversations: Conversations, chat_id: str, reader: Reader, after: int, limit: int
) -> tuple[Chat, list[Message]]:
    """The chat and its messages after `after`, for an operator allowed to read it (else
    `NotYours`)."""
    chat = await conversations.chats.get(chat_id)
    if chat is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    await check_reader(conversations, chat, reader)
    if chat.operator_id == reader.subject and after > chat.agent_read_seq:
        await conversations.chats.mark_read(chat_id, ChatParty.AGENT, after)  # seen up to it
        chat = replace(chat, agent_read_seq=min(after, chat.last_seq))
    return chat, await conversations.chats.messages_after(chat_id, after, limit)


async def check_reader(conversations: Conversations, chat: Chat, reader: Reader) -> None:
    holds_now = reader.supervisor or chat.operator_id == reader.subject
    held_by = frozenset() if holds_now else await conversations.chats.holders(chat.chat_id)
    conversation.check_reader(chat, reader.subject, reader.supervisor, held_by)


async def start(conversations: Conversations, session_id: str | None, now: datetime) -> Chat:
    """A customer starts a chat from the widget; it waits for an operator to join."""
    chat = conversation.started_by_customer(new_id(), session_id, now)
    await conversations.chats.open(chat, chat_events.started(chat, None))
    conversations.written()
    return chat


async def join(conversations: Conversations, chat_id: str, by: AuditEntry) -> Chat:
    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        joined = conversation.join(chat, by.subject, by.at)
        return joined, None, chat_events.joined(joined, _actor(by))

    # Taking a chat by hand is held to the taker's seat limit (ChatRefused, 409, at it).
    found = await conversations.chats.step(
        chat_id, step, by, seat_default=conversations.seat_default
    )
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    return found[0]


async def send(
    conversations: Conversations,
    chat_id: str,
    sender: ChatParty,
    text: str,
    message_id: str | None,
    by: AuditEntry | None,
    now: datetime,
) -> Message:
    """Store a message after the chat's last one and publish it. A message id the chat already
    holds (the sender's retry) returns the stored message and publishes nothing more."""
    checked = conversation.check_text(text, conversations.max_chars)
    actor = _actor(by)
    operator_id = by.subject if by else None
    chosen_id = message_id or new_id()

    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        after, message = conversation.post(chat, sender, operator_id, chosen_id, checked, now)
        return after, message, chat_events.message_sent(message, actor)

    found = await conversations.chats.post(chat_id, chosen_id, step, by)
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    message = found[1]
    assert message is not None
    return message


async def send_file(
    conversations: Conversations,
    chat_id: str,
    sender: ChatParty,
    blob: Blob,
    filename: str | None,
    by: AuditEntry | None,
    now: datetime,
) -> Message:
    """A photo or PDF, stored already (`blob`), sent as a message whose text is its name."""
    conversation.check_attachment(blob.content_type)
    name = conversation.attachment_name(filename, blob.content_type)
    attachment = Attachment(new_id(), blob.sha256, blob.size, blob.content_type, name)
    actor = _actor(by)
    operator_id = by.subject if by else None
    message_id = new_id()

    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        after, message = conversation.post(
            chat, sender, operator_id, message_id, name, now, attachment
        )
        return after, message, chat_events.message_sent(message, actor)

    found = await conversations.chats.post(chat_id, message_id, step, by)
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    assert found[1] is not None
    return found[1]


async def transfer(
    conversations: Conversations,
    chat_id: str,
    to_agent: str | None,
    to_team: str | None,
    note: str | None,
    by: AuditEntry,
) -> Chat:
    """The holder hands the chat to a colleague or a team, with a note for them (kept with
    the chat's notes, in the same transaction; never shown to the customer)."""
    words = (note or "").strip()
    kept = None
    if words:
        checked = conversation.check_text(words, conversations.max_chars)
        kept = Note(chat_id=chat_id, author=by.subject, text=checked, written_at=by.at)

    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        after = conversation.transfer(chat, by.subject, to_agent, to_team, by.at)
        return after, None, chat_events.transferred(chat, after, _actor(by), by.at)

    found = await conversations.chats.step(chat_id, step, by, kept)
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    return found[0]


async def typing(
    conversations: Conversations,
    chat_id: str,
    party: ChatParty,
    operator_id: str | None,
    now: datetime,
) -> None:
    """A typing signal: the customer's, or the holding operator's (another's is refused)."""
    chat = await conversations.chats.get(chat_id)
    if chat is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    if party is ChatParty.AGENT and chat.operator_id != operator_id:
        raise conversation.NotYours(f"chat {chat_id} is answered by {chat.operator_id}")
    await conversations.chats.mark_typing(chat_id, party, now)


async def write_note(
    conversations: Conversations, chat_id: str, reader: Reader, text: str, now: datetime
) -> Note:
    """An operators' note on a chat, by one of its operators or a supervisor."""
    checked = conversation.check_text(text, conversations.max_chars)
    chat = await conversations.chats.get(chat_id)
    if chat is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    await check_reader(conversations, chat, reader)
    stored = await conversations.chats.add_note(
        Note(chat_id=chat_id, author=reader.subject, text=checked, written_at=now)
    )
    if stored is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    return stored


async def notes_of(conversations: Conversations, chat_id: str, reader: Reader) -> list[Note]:
    chat = await conversations.chats.get(chat_id)
    if chat is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    await check_reader(conversations, chat, reader)
    return await conversations.chats.notes(chat_id)


async def end(
    conversations: Conversations,
    chat_id: str,
    by_party: ChatParty,
    by: AuditEntry | None,
    now: datetime,
) -> Chat:
    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        ended = conversation.end(chat, by_party, by.subject if by else None, now)
        return ended, None, chat_events.ended(ended, _actor(by))

    chat, _ = await _step(conversations, chat_id, step, by)
    return chat


async def rate(
    conversations: Conversations, chat_id: str, score: int, comment: str | None, now: datetime
) -> Chat:
    def step(chat: Chat) -> tuple[Chat, Message | None, Published]:
        rated = conversation.rate(chat, score, comment, now)
        return rated, None, chat_events.rated(rated)

    chat, _ = await _step(conversations, chat_id, step, None)
    return chat


def new_id() -> str:
    return uuid.uuid4().hex


async def _step(
    conversations: Conversations, chat_id: str, step: Step, by: AuditEntry | None
) -> tuple[Chat, Message | None]:
    found = await conversations.chats.step(chat_id, step, by)
    if found is None:
        raise ChatNotFound(f"no chat {chat_id!r}")
    conversations.written()
    return found


def _actor(by: AuditEntry | None) -> Actor | None:
    return Actor(subject=by.subject, role=by.role) if by else None

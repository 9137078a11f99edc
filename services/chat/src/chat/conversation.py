"""Live chat, pure: a chat's states, who may write in it, its messages in order, its end and the
customer's satisfaction answer. No I/O.

A chat is opened by a customer (waiting for an operator to join) or by an operator accepting a
contact request (proactive, joined at once). It is `open` until either side ends it; then the
customer may rate it once (CSAT, 1-5 and a comment). Messages are numbered from 1 in the order
they were stored, so a reader that comes back asks for what follows the last number it saw."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from cc_schemas import ChatOrigin, ChatParty

CSAT_COMMENT_MAX_CHARS = 1000


class ChatState(StrEnum):
    OPEN = "open"
    ENDED = "ended"


class ChatRefused(Exception):
    """The chat's state refuses the step (HTTP 409); the message is the reason."""


class NotYours(Exception):
    """An operator writing in, or reading, a chat that is not theirs (HTTP 403)."""


class MessageRefused(ValueError):
    """A message that is empty or too long (HTTP 422); the message is the reason."""


@dataclass(frozen=True)
class Chat:
    chat_id: str
    origin: ChatOrigin
    started_at: datetime
    request_id: str | None = None  # the contact request a proactive chat answers
    customer_id: str | None = None
    session_id: str | None = None
    operator_id: str | None = None  # None while a customer's chat waits for an operator
    joined_at: datetime | None = None
    state: ChatState = ChatState.OPEN
    ended_at: datetime | None = None
    ended_by: ChatParty | None = None
    last_seq: int = 0  # the number of the last message stored
    csat_score: int | None = None
    csat_comment: str | None = None
    rated_at: datetime | None = None
    team: str | None = None  # the team a transfer sent it to, while it waits for one of them
    customer_typing_at: datetime | None = None  # the widget's last "typing" signal
    agent_typing_at: datetime | None = None  # the console's
    customer_read_seq: int = 0  # the customer has been shown every message up to this one
    agent_read_seq: int = 0  # the holding operator has


class UnsupportedFile(ValueError):
    """A file chat does not carry (HTTP 415): only photos and PDFs, by their content."""


@dataclass(frozen=True)
class Attachment:
    """A file sent in a chat: its content is kept once by sha256 (`libs/attachments`)."""

    attachment_id: str
    sha256: str
    size: int
    content_type: str  # detected from the content, never the name sent
    filename: str


@dataclass(frozen=True)
class Message:
    chat_id: str
    seq: int
    message_id: str
    sender: ChatParty
    agent: str | None  # the operator, when the sender is one
    text: str
    sent_at: datetime
    attachment: Attachment | None = None  # a message carrying a file: its text is the name


ATTACHMENT_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf"}
)
FILENAME_MAX_CHARS = 200


def check_attachment(content_type: str) -> None:
    """Photos and PDFs only, by the type their content shows."""
    if content_type not in ATTACHMENT_TYPES:
        raise UnsupportedFile(
            f"a chat carries photos (JPEG, PNG, GIF, WebP, HEIC) and PDFs; this file's "
            f"content is {content_type}"
        )


def attachment_name(filename: str | None, content_type: str) -> str:
    """The name shown for a file: the sender's, without a path or control characters, short;
    else one from its type."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable()).strip()[:FILENAME_MAX_CHARS]
    return cleaned or "attachment." + content_type.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Note:
    """An operators' note on a chat (a transfer's note among them): never shown to the
    customer, never published."""

    chat_id: str
    author: str
    text: str
    written_at: datetime
    note_no: int = 0  # numbered 1, 2, 3... when stored


TYPING_SHOWN_FOR = timedelta(seconds=6)  # a typing signal is shown this long after it came


def is_typing(signalled_at: datetime | None, now: datetime) -> bool:
    """Typing while the last signal is recent: the sender repeats it while keys are pressed."""
    return signalled_at is not None and now - signalled_at <= TYPING_SHOWN_FOR


def started_by_customer(chat_id: str, session_id: str | None, now: datetime) -> Chat:
    return Chat(chat_id=chat_id, origin=ChatOrigin.CUSTOMER, started_at=now, session_id=session_id)


def started_proactively(
    chat_id: str,
    request_id: str,
    operator_id: str,
    customer_id: str | None,
    session_id: str,
    now: datetime,
) -> Chat:
    """The chat an operator opens by accepting a chat contact request: joined from the start."""
    return Chat(
        chat_id=chat_id,
        origin=ChatOrigin.PROACTIVE,
        started_at=now,
        request_id=request_id,
        customer_id=customer_id,
        session_id=session_id,
        operator_id=operator_id,
        joined_at=now,
    )


def join(chat: Chat, operator_id: str, now: datetime) -> Chat:
    """An operator takes a customer's waiting chat; the first one wins."""
    _check_open(chat)
    if chat.operator_id is not None:
        raise ChatRefused(f"chat {chat.chat_id} is already answered by {chat.operator_id}")
    return replace(chat, operator_id=operator_id, joined_at=now, team=None)


def given_back(chat: Chat, to_agent: str, now: datetime) -> Chat:
    """The chat of an operator gone offline, its customer waiting for a reply, goes to another
    operator (auto-assignment's choice), who holds it at once."""
    _check_open(chat)
    if chat.operator_id is None or chat.operator_id == to_agent:
        raise ChatRefused(f"chat {chat.chat_id} is not held by another operator")
    return replace(chat, operator_id=to_agent, joined_at=now, team=None)


def transfer(
    chat: Chat,
    operator_id: str,
    to_agent: str | None,
    to_team: str | None,
    now: datetime,
) -> Chat:
    """The holder hands the chat to a colleague (who holds it at once) or to a team (it waits
    for one of them, as a customer's new chat does)."""
    _check_open(chat)
    _check_holder(chat, operator_id)
    if (to_agent is None) == (to_team is None):
        raise MessageRefused("a transfer goes to one operator or to one team")
    if to_agent == operator_id:
        raise ChatRefused(f"chat {chat.chat_id} is already yours")
    if to_agent is not None:
        return replace(chat, operator_id=to_agent, joined_at=now, team=None)
    return replace(chat, operator_id=None, joined_at=None, team=to_team)


def check_text(text: str, max_chars: int) -> str:
    """The text to store: surrounding blanks dropped; refused when empty or too long."""
    stripped = text.strip()
    if not stripped:
        raise MessageRefused("a message needs some text")
    if len(stripped) > max_chars:
        raise MessageRefused(
            f"a message holds at most {max_chars} characters; this one has {len(stripped)}"
        )
    return stripped


def post(
    chat: Chat,
    sender: ChatParty,
    operator_id: str | None,
    message_id: str,
    text: str,
    now: datetime,
    attachment: Attachment | None = None,
) -> tuple[Chat, Message]:
    """The chat with one more message, and that message (numbered after the last)."""
    _check_open(chat)
    if sender is ChatParty.AGENT:
        _check_holder(chat, operator_id)
    message = Message(
        chat_id=chat.chat_id,
        seq=chat.last_seq + 1,
        message_id=message_id,
        sender=sender,
        agent=operator_id if sender is ChatParty.AGENT else None,
        text=text,
        sent_at=now,
        attachment=attachment,
    )
    return replace(chat, last_seq=message.seq), message


def end(chat: Chat, by: ChatParty, operator_id: str | None, now: datetime) -> Chat:
    _check_open(chat)
    if by is ChatParty.AGENT:
        _check_holder(chat, operator_id)
    return replace(chat, state=ChatState.ENDED, ended_at=now, ended_by=by)


def rate(chat: Chat, score: int, comment: str | None, now: datetime) -> Chat:
    """The customer's answer to the satisfaction question, once, after the end."""
    if chat.state is not ChatState.ENDED:
        raise ChatRefused("a chat is rated once it has ended")
    if chat.csat_score is not None:
        raise ChatRefused("this chat has already been rated")
    if not 1 <= score <= 5:
        raise MessageRefused(f"the score is 1 to 5, not {score}")
    cleaned = (comment or "").strip() or None
    if cleaned is not None and len(cleaned) > CSAT_COMMENT_MAX_CHARS:
        raise MessageRefused(f"a comment holds at most {CSAT_COMMENT_MAX_CHARS} characters")
    return replace(chat, csat_score=score, csat_comment=cleaned, rated_at=now)


def check_reader(chat: Chat, reader: str, supervisor: bool, held_by: frozenset[str]) -> None:
    """Who reads a chat's messages: a supervisor any chat; an operator the chats they hold or
    held (`held_by`: every operator the chat has had, so a transfer leaves the earlier holder
    their own conversation). A chat nobody has taken yet is read by the one who takes it."""
    if supervisor or reader == chat.operator_id or reader in held_by:
        return
    if chat.operator_id is None:
        raise NotYours(f"chat {chat.chat_id} has no operator yet: take it to read it")
    raise NotYours(
        f"chat {chat.chat_id} is answered by {chat.operator_id}: only the operators who hold "
        "or held it, and supervisors, read it"
    )


def _check_open(chat: Chat) -> None:
    if chat.state is ChatState.ENDED:
        ended = chat.ended_at.isoformat() if chat.ended_at else "already"
        raise ChatRefused(f"chat {chat.chat_id} ended at {ended}")


def _check_holder(chat: Chat, operator_id: str | None) -> None:
    if chat.operator_id is None:
        raise ChatRefused(f"chat {chat.chat_id} has no operator yet: join it first")
    if chat.operator_id != operator_id:
        raise NotYours(f"chat {chat.chat_id} is answered by {chat.operator_id}")

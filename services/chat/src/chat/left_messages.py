"""Messages customers leave when no operator is online, pure: what is taken (a way to answer
and the question) and refused with the reason. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CONTACT_MAX_CHARS = 200
NAME_MAX_CHARS = 200


@dataclass(frozen=True)
class LeftMessage:
    message_id: str
    contact: str  # an e-mail address or a phone number, as the customer wrote it
    text: str
    left_at: datetime
    name: str | None = None
    session_id: str | None = None
    handled_by: str | None = None
    handled_at: datetime | None = None


class LeftMessageRefused(ValueError):
    """A message without a way to answer, or without words (HTTP 422); the reason."""


def left(
    message_id: str,
    contact: str,
    text: str,
    name: str | None,
    session_id: str | None,
    max_chars: int,
    now: datetime,
) -> LeftMessage:
    contact = contact.strip()
    if not contact:
        raise LeftMessageRefused("say how to answer you: an e-mail address or a phone number")
    if len(contact) > CONTACT_MAX_CHARS:
        raise LeftMessageRefused(f"an e-mail address or phone holds at most {CONTACT_MAX_CHARS}")
    if "@" not in contact and sum(c.isdigit() for c in contact) < 6:
        raise LeftMessageRefused("that is neither an e-mail address nor a phone number")
    words = text.strip()
    if not words:
        raise LeftMessageRefused("a message needs some text")
    if len(words) > max_chars:
        raise LeftMessageRefused(f"a message holds at most {max_chars} characters")
    cleaned_name = (name or "").strip()[:NAME_MAX_CHARS] or None
    return LeftMessage(
        message_id=message_id,
        contact=contact,
        text=words,
        left_at=now,
        name=cleaned_name,
        session_id=session_id,
    )

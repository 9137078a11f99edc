"""Phones and e-mails as crm matches them: E.164 and the national significant number (with
`phonenumbers`), e-mails with a lower-cased address. Pure: no I/O.

E-mail: the whole address is lower-cased for matching, the local part too. RFC 5321 lets a
server treat the local part case-sensitively, but no mailbox provider our customers use does,
while customers and operators type `Anna.Rossi@` and `anna.rossi@` for one mailbox; merging two
real mailboxes that differ only in case is the smaller risk. Dots and `+tags` are kept: removing
them is right for Gmail only and would merge different people elsewhere. The address as typed is
kept for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# What PBXs and carriers put in the caller id when the number is not presented.
WITHHELD = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "withheld", "unavailable", "<unknown>"}
)
MAX_EMAIL_LENGTH = 254


class InvalidContactPoint(ValueError):
    """A phone number or e-mail address that cannot be used; the message says why."""


@dataclass(frozen=True)
class Phone:
    e164: str  # +390212345678
    national: str  # 0212345678: the national significant number, Italian leading zero kept


def normalise_phone(raw: str, region: str) -> Phone:
    """A valid number in both forms; raises InvalidContactPoint with the reason."""
    text = raw.strip()
    if not text:
        raise InvalidContactPoint("phone is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidContactPoint(f"phone {raw!r} is not a number: {error._msg}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContactPoint(f"phone {raw!r} is not a valid number (default region {region})")
    return _forms(number)


@lru_cache(maxsize=65_536)
def caller_phone(raw: str, region: str) -> Phone | None:
    """What a caller id can be matched by, or None for a withheld number. A number that is not
    valid still gives its national digits when it parses (a foreign or odd caller id may still
    be a customer's number typed another way)."""
    text = raw.strip()
    if text.lower() in WITHHELD:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Phone(e164="", national="".join(c for c in text if c.isdigit()))
    if phonenumbers.is_valid_number(number):
        return _forms(number)
    return Phone(e164="", national=phonenumbers.national_significant_number(number))


def is_withheld(raw: str) -> bool:
    return raw.strip().lower() in WITHHELD


def _forms(number: phonenumbers.PhoneNumber) -> Phone:
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.national_significant_number(number),
    )


def normalise_email(raw: str) -> str:
    """The address lower-cased for matching (see the module's docstring); raises
    InvalidContactPoint with the reason when it is not an address."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    problem = _email_problem(text, local, at, domain)
    if problem:
        raise InvalidContactPoint(f"e-mail {raw!r} {problem}")
    return f"{local.lower()}@{domain.lower().rstrip('.')}"


def _email_problem(text: str, local: str, at: str, domain: str) -> str | None:
    if not at or not local:
        return "has no local part before an @"
    if len(text) > MAX_EMAIL_LENGTH:
        return f"is longer than {MAX_EMAIL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 0x20 for c in text):
        return "contains a space or a control character"
    if "@" in local and not (local.startswith('"') and local.endswith('"')):
        return "has more than one @"
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(labels):
        return f"has no valid domain ({domain!r})"
    return None


def normalise_handle(raw: str) -> str:
    """A social handle for matching: without its leading @, lower-cased (networks treat
    handles case-insensitively)."""
    handle = raw.strip().lstrip("@").lower()
    if not handle:
        raise InvalidContactPoint("social handle is empty")
    return handle

"""Who is calling (or chatting): match what the contact presents, in order of confidence:
E.164 exact, then the national significant number (the same digits written in another
country's form), then e-mail, then social handle; the first that finds anyone decides.
Pure: the lookups come in through the `Lookups` protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cc_schemas import IdentificationLevel, MatchedBy
from crm.contact_points import Phone

# A national number this short is an extension or a service code, never a customer's phone.
MIN_NATIONAL_DIGITS = 6

Lookup = Callable[[str], Awaitable[list[str]]]


@dataclass(frozen=True)
class Lookups:
    by_e164: Lookup
    by_national: Lookup
    by_email: Lookup
    by_handle: Lookup


@dataclass(frozen=True)
class Presented:
    """What a contact shows of itself; `phone` None with nothing else: a withheld number."""

    phone: Phone | None = None
    email: str | None = None
    handle: str | None = None


@dataclass(frozen=True)
class Identification:
    level: IdentificationLevel
    matched_by: MatchedBy | None
    presented: str | None
    customer_ids: tuple[str, ...]


async def identify(presented: Presented, lookups: Lookups) -> Identification:
    if presented.phone is None and not presented.email and not presented.handle:
        return Identification(IdentificationLevel.ANONYMOUS, None, None, ())
    keys = _keys(presented, lookups)
    for matched_by, key, lookup in keys:
        found = await lookup(key)
        if found:
            return Identification(_level(found), matched_by, key, tuple(found))
    shown = keys[0][1] if keys else presented.phone.national if presented.phone else None
    return Identification(IdentificationLevel.UNKNOWN, None, shown or None, ())


def _keys(presented: Presented, lookups: Lookups) -> list[tuple[MatchedBy, str, Lookup]]:
    keys: list[tuple[MatchedBy, str, Lookup]] = []
    phone = presented.phone
    if phone is not None and phone.e164:
        keys.append((MatchedBy.E164, phone.e164, lookups.by_e164))
    if phone is not None and len(phone.national) >= MIN_NATIONAL_DIGITS:
        keys.append((MatchedBy.NATIONAL_NUMBER, phone.national, lookups.by_national))
    if presented.email:
        keys.append((MatchedBy.EMAIL, presented.email, lookups.by_email))
    if presented.handle:
        keys.append((MatchedBy.SOCIAL_HANDLE, presented.handle, lookups.by_handle))
    return keys


def _level(found: list[str]) -> IdentificationLevel:
    return IdentificationLevel.KNOWN if len(found) == 1 else IdentificationLevel.AMBIGUOUS

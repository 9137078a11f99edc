"""The customer as crm keeps it: the shop's record with its phones, e-mails and handles
normalised for matching, and what could not be used said in words. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cc_schemas import CustomerProfile
from crm.contact_points import (
    InvalidContactPoint,
    Phone,
    normalise_email,
    normalise_handle,
    normalise_phone,
)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    first_name: str | None
    last_name: str | None
    language: str | None
    loyalty_tier: str
    phones: tuple[tuple[str, Phone], ...]  # (as typed, normalised), in the customer's order
    emails: tuple[tuple[str, str], ...]  # (as typed, normalised)
    handles: tuple[tuple[str, str, str], ...]  # (network, as typed, normalised)
    profile: dict[str, Any]  # the record as received (addresses, consents, opt-outs ...)
    updated_at: datetime
    source: str
    problems: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None


def from_profile(profile: CustomerProfile, region: str) -> Customer:
    """The customer of a shop record; phones, e-mails and handles that cannot be used are left
    out of matching and named in `problems`."""
    problems: list[str] = []
    phones = _usable(profile.phones, lambda raw: normalise_phone(raw, region), problems)
    emails = _usable(profile.emails, normalise_email, problems)
    handles = tuple(
        (h.network.lower(), h.handle, normalised)
        for h, normalised in _usable(
            profile.social_handles, lambda h: normalise_handle(h.handle), problems
        )
    )
    return Customer(
        customer_id=profile.customer_id,
        first_name=profile.first_name,
        last_name=profile.last_name,
        language=profile.language,
        loyalty_tier=profile.loyalty_tier.value,
        phones=_unique(phones, key=lambda p: p[1].e164),
        emails=_unique(emails, key=lambda e: e[1]),
        handles=_unique(handles, key=lambda h: (h[0], h[2])),
        profile=profile.model_dump(
            mode="json", include={"phones", "emails", "social_handles", "addresses", "consents"}
        )
        | {"opt_outs": list(profile.opt_outs)},
        updated_at=profile.occurred_at,
        source=profile.source,
        problems=tuple(problems),
    )


def _usable(values: Any, normalise: Any, problems: list[str]) -> tuple[Any, ...]:
    usable = []
    for value in values:
        try:
            usable.append((value, normalise(value)))
        except InvalidContactPoint as error:
            problems.append(str(error))
    return tuple(usable)


def _unique(items: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
    seen: set[Any] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return tuple(kept)

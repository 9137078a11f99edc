"""The ledger's rules, no I/O: given what the ledger holds about a round's requests, which may
be published, which are throttled, published already or another instance's for now.

The ledger is one row per request the engine decided to publish (`request_id`, deterministic:
session, rule, episode). It is also the throttle: a subject (customer, else session) gets at
most one request per rule within a throttle period, counted from the earlier request's claim.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cc_schemas import ContactRequested


@dataclass(frozen=True)
class Claim:
    """A request the round wants to publish, and whom the throttle counts it against."""

    request: ContactRequested
    subject: str

    @property
    def request_id(self) -> str:
        return self.request.request_id

    @property
    def throttle_key(self) -> tuple[str, str]:
        return self.subject, self.request.rule


@dataclass(frozen=True)
class Entry:
    """A request already in the ledger."""

    request: ContactRequested  # as first entered: a retry publishes the same event
    owner: str
    leased_at: datetime  # when `owner` took it on
    published_at: datetime | None


class Verdict(StrEnum):
    PUBLISH = "publish"  # a new entry, or one whose publication was never confirmed
    THROTTLED = "throttled"
    ALREADY_PUBLISHED = "already_published"
    BUSY = "busy"  # another instance took it on and its lease runs


@dataclass(frozen=True)
class Answer:
    claim: Claim
    verdict: Verdict
    request: ContactRequested  # what to publish: the ledger's copy when it had one
    new: bool = False  # to enter into the ledger
    unconfirmed_since: datetime | None = None  # entered then, maybe published: look first
    busy_until: datetime | None = None


def answer(
    claims: Sequence[Claim],
    entries: Mapping[str, Entry],
    throttled_by: Mapping[tuple[str, str], Collection[str]],
    owner: str,
    now: datetime,
    lease: timedelta,
) -> list[Answer]:
    """Each claim's verdict, in order. `entries` are the ledger's rows of these request ids;
    `throttled_by` the request ids each (subject, rule) holds within the throttle period. Of
    two new claims of one subject and rule in one round, the first goes out."""
    taken: set[tuple[str, str]] = set()
    answers = []
    for claim in claims:
        entry = entries.get(claim.request_id)
        if entry is not None:
            answers.append(_known(claim, entry, owner, now, lease))
            continue
        holders = set(throttled_by.get(claim.throttle_key, ())) - {claim.request_id}
        if holders or claim.throttle_key in taken:
            answers.append(Answer(claim, Verdict.THROTTLED, claim.request))
            continue
        taken.add(claim.throttle_key)
        answers.append(Answer(claim, Verdict.PUBLISH, claim.request, new=True))
    return answers


def _known(claim: Claim, entry: Entry, owner: str, now: datetime, lease: timedelta) -> Answer:
    if entry.published_at is not None:
        return Answer(claim, Verdict.ALREADY_PUBLISHED, entry.request)
    if entry.owner != owner and entry.leased_at > now - lease:
        return Answer(claim, Verdict.BUSY, entry.request, busy_until=entry.leased_at + lease)
    return Answer(claim, Verdict.PUBLISH, entry.request, unconfirmed_since=entry.leased_at)

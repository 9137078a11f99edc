"""Cases: contacts about one problem, linked. Pure: which open case a new contact most likely
belongs to (the proposal's score, in one readable place), what a case may do in each state,
and the events each case change publishes on `cases`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CaseState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"  # redirects to `merged_into`


@dataclass(frozen=True)
class ProposalRule:
    """How a contact is matched to an open case of its customer: what each shared fact is
    worth, and how long after a case's last contact it can still be proposed."""

    window: timedelta = timedelta(days=14)
    same_order: float = 3.0
    same_product: float = 2.0
    same_reason: float = 1.0
    # up to this much for recency, falling linearly to 0 at the window's end: between equal
    # matches the latest case wins
    recency: float = 0.5


@dataclass(frozen=True)
class ContactFacts:
    """What a contact says about its problem."""

    customer_id: str | None
    started_at: datetime
    order_id: str | None = None
    product: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    customer_id: str | None
    last_contact_at: datetime
    order_id: str | None = None
    product: str | None = None
    reason: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Proposal:
    case_id: str
    score: float
    why: tuple[str, ...]
    title: str | None = None


def score(contact: ContactFacts, case: OpenCase, rule: ProposalRule) -> Proposal | None:
    """How likely the contact belongs to the case; None when it cannot: another customer (or
    none known), or the case's last contact is outside the window."""
    if contact.customer_id is None or case.customer_id != contact.customer_id:
        return None
    age = abs(contact.started_at - case.last_contact_at)
    if age > rule.window:
        return None
    points, why = 0.0, ["same customer"]
    for name, worth in (
        ("order_id", rule.same_order),
        ("product", rule.same_product),
        ("reason", rule.same_reason),
    ):
        mine = getattr(contact, name)
        if mine is not None and mine == getattr(case, name):
            points += worth
            why.append(f"same {name.removesuffix('_id')} {mine}")
    points += rule.recency * (1 - age / rule.window)
    why.append(f"last contact {_ago(age)} before")
    return Proposal(case.case_id, round(points, 3), tuple(why), case.title)


def propose(contact: ContactFacts, cases: list[OpenCase], rule: ProposalRule) -> list[Proposal]:
    """The open cases the contact may belong to, most likely first (ties: the case id)."""
    scored = [p for case in cases if (p := score(contact, case, rule)) is not None]
    return sorted(scored, key=lambda p: (-p.score, p.case_id))


def _ago(age: timedelta) -> str:
    if age >= timedelta(days=1):
        return f"{age.days} d"
    if age >= timedelta(hours=1):
        return f"{int(age / timedelta(hours=1))} h"
    return f"{int(age / timedelta(minutes=1))} min"


class CaseRefused(Exception):
    """A case change that cannot be made as asked (422 with the reason)."""


def check_open(state: str, doing: str) -> None:
    if state != CaseState.OPEN:
        raise CaseRefused(f"the case is {state}: it cannot be {doing}")


def check_merge(case: dict[str, object], into: dict[str, object]) -> None:
    if case["case_id"] == into["case_id"]:
        raise CaseRefused("a case cannot be merged into itself")
    check_open(str(case["state"]), "merged")
    if into["state"] == CaseState.MERGED:
        raise CaseRefused(f"case {into['case_id']} was itself merged: merge into where it went")
    if case["customer_id"] != into["customer_id"]:
        raise CaseRefused("the two cases are about different customers")


def check_split(case_contacts: set[str], taken: set[str]) -> None:
    strangers = sorted(taken - case_contacts)
    if strangers:
        raise CaseRefused(f"not contacts of this case: {', '.join(strangers)}")
    if taken == case_contacts:
        raise CaseRefused("a split leaves at least one contact in the case")

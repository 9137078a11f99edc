"""What crm's case routes take and answer. Pure models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, model_validator

from cc_schemas import CaseOutcome

Code = Field(default=None, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
Language = Field(default=None, pattern=r"^(it|en)$", description="Language of the words.")


class NewCaseBody(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="The problem in one line.")
    reason: str | None = Code
    order_id: str | None = Field(default=None, min_length=1, max_length=100)
    product: str | None = Field(default=None, min_length=1, max_length=100)
    language: str | None = Language


class LinkBody(BaseModel):
    """Exactly one: the case the contact belongs to (the proposed one or another), or a new
    case it opens."""

    case_id: str | None = Field(default=None, min_length=1, max_length=100)
    new: NewCaseBody | None = None

    @model_validator(mode="after")
    def _one(self) -> LinkBody:
        if (self.case_id is None) == (self.new is None):
            raise ValueError("give exactly one of case_id or new")
        return self


class CaseEditBody(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str | None = Code
    order_id: str | None = Field(default=None, min_length=1, max_length=100)
    product: str | None = Field(default=None, min_length=1, max_length=100)
    language: str | None = Language
    problem: str | None = Field(default=None, max_length=10_000)


class EndBody(BaseModel):
    outcome: CaseOutcome
    close_reason: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    problem: str = Field(min_length=1, max_length=10_000)
    resolution: str = Field(min_length=1, max_length=10_000)


class MergeBody(BaseModel):
    into_case_id: str = Field(min_length=1, max_length=100)


class SplitBody(BaseModel):
    interaction_ids: list[str] = Field(min_length=1, max_length=500)
    new: NewCaseBody


class RelateBody(BaseModel):
    related_case_id: str = Field(min_length=1, max_length=100)


class CaseContactView(BaseModel):
    contact_id: str
    channel: str
    direction: str
    customer_id: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    agent: str | None
    reason: str | None
    notes: str | None
    order_id: str | None
    product: str | None
    version: int


class CaseHistoryView(BaseModel):
    at: dt.datetime
    actor: str
    what: str
    detail: dict[str, Any]


class CaseView(BaseModel):
    case_id: str
    customer_id: str | None
    title: str
    reason: str | None
    order_id: str | None
    product: str | None
    language: str | None
    state: str
    merged_into: str | None
    close_reason: str | None
    problem: str | None
    resolution: str | None
    opened_at: dt.datetime
    opened_by: str
    last_contact_at: dt.datetime
    ended_at: dt.datetime | None
    ended_by: str | None
    version: int
    contacts: list[CaseContactView]
    history: list[CaseHistoryView]
    related: list[str]


class CaseSummary(BaseModel):
    case_id: str
    title: str
    state: str
    reason: str | None
    order_id: str | None
    product: str | None
    opened_at: dt.datetime
    last_contact_at: dt.datetime
    contacts: int
    version: int


class ProposalView(BaseModel):
    case_id: str
    score: float
    why: list[str]


class Proposals(BaseModel):
    interaction_id: str
    proposals: list[ProposalView] = Field(
        description="Open cases of the contact's customer it may belong to, most likely "
        "first; empty when none is close (or the customer is not known yet)."
    )


class CaseHit(BaseModel):
    case_id: str
    title: str
    state: str
    customer_id: str | None
    last_contact_at: dt.datetime
    rank: float


class NoteHit(BaseModel):
    contact_id: str
    case_id: str | None
    customer_id: str | None
    channel: str
    started_at: dt.datetime
    notes: str | None
    rank: float


class CaseSearchResults(BaseModel):
    cases: list[CaseHit]
    notes: list[NoteHit]

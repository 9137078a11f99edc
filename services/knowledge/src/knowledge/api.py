"""Route -> use case, nothing more: the topic candidates for editors, a mining run now, an
editor's decision on a candidate, and the FAQ search (public, each answer with a way to a
person)."""

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from cc_runtime import CurrentPrincipal
from knowledge.faq import AlreadyDecided, Approval, CandidateNotFound, PersonWay, is_short
from knowledge.handlers import Mining, MiningStore
from knowledge.repository import PostgresFaqs


class TopicOut(BaseModel):
    topic_id: int
    key_phrases: list[str]
    question: str
    answer: str
    language: str
    cases: int
    last_case_at: datetime
    case_ids: list[str]


class RunOut(BaseModel):
    run_id: int | None
    cases: int
    topics: int


def topic_routes(mining: Mining, store: MiningStore) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["topics"])

    @router.get("/topics", response_model=list[TopicOut])
    async def list_topics(limit: int = Query(50, ge=1, le=500)) -> list[TopicOut]:
        """The newest mining run's topic candidates, ranked by cases then recency, with the
        cases behind each (newest first) and their draft question and answer."""
        return [TopicOut(**vars(t)) for t in await store.latest_topics(limit)]

    @router.post("/mining-runs", response_model=RunOut, status_code=201)
    async def run_mining() -> RunOut:
        """Mines the input now (waits for a run already going); no run under the minimum."""
        return RunOut(**vars(await mining.run()))

    return router


class ApprovalIn(BaseModel):
    """The draft as the editor leaves it (edited or not)."""

    question: str = Field(min_length=3, max_length=500)
    answer: str = Field(min_length=3, max_length=5000)
    language: Literal["it", "en"]


class DecisionOut(BaseModel):
    topic_id: int
    decision: Literal["approved", "rejected"]
    faq_id: int | None


class FaqOut(BaseModel):
    faq_id: int
    question: str
    answer: str
    language: str
    score: float


class PersonOut(BaseModel):
    chat_url: str
    callback_url: str


class SearchOut(BaseModel):
    query: str
    results: list[FaqOut]
    person: PersonOut = Field(description="Always there: a person is one click away.")


def decision_routes(faqs: PostgresFaqs, clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter(prefix="/v1/topics", tags=["editors"])

    async def decide(topic_id: int, editor: str, approval: Approval | None) -> DecisionOut:
        try:
            faq_id = await faqs.decide(topic_id, editor, clock(), approval)
        except CandidateNotFound:
            raise HTTPException(404, f"no topic candidate {topic_id}") from None
        except AlreadyDecided as decided:
            raise HTTPException(409, f"topic {topic_id} was already {decided}") from None
        return DecisionOut(
            topic_id=topic_id, decision="approved" if approval else "rejected", faq_id=faq_id
        )

    @router.post("/{topic_id}/approve", response_model=DecisionOut, status_code=201)
    async def approve(topic_id: int, body: ApprovalIn, caller: CurrentPrincipal) -> DecisionOut:
        """Publishes the candidate as an FAQ with the editor's wording of its draft."""
        approval = Approval(body.question.strip(), body.answer.strip(), body.language)
        return await decide(topic_id, caller.subject, approval)

    @router.post("/{topic_id}/reject", response_model=DecisionOut)
    async def reject(topic_id: int, caller: CurrentPrincipal) -> DecisionOut:
        """The candidate is not worth an FAQ: it leaves the list."""
        return await decide(topic_id, caller.subject, None)

    return router


def search_routes(faqs: PostgresFaqs, person: PersonWay) -> APIRouter:
    router = APIRouter(prefix="/v1/faq", tags=["faq"])

    @router.get("/search", response_model=SearchOut)
    async def search(
        q: str = Query(min_length=1, max_length=200, description="What the customer typed."),
        limit: int = Query(10, ge=1, le=50),
    ) -> SearchOut:
        """Approved FAQ matching the words (Italian and English stems, accents folded; typos
        forgiven in short queries), best first, and always the way to a person."""
        query = q.strip()
        if not query:
            raise HTTPException(422, "q is blank: type a few words")
        if "\x00" in query:  # PostgreSQL text cannot hold it
            raise HTTPException(422, "q holds a NUL character")
        found = await faqs.search(query, limit, is_short(query))
        return SearchOut(
            query=query,
            results=[FaqOut(**vars(f)) for f in found],
            person=PersonOut(**vars(person)),
        )

    return router

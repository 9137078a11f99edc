"""Route -> use case, nothing more: the topic candidates for editors, and a mining run now."""

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from knowledge.handlers import Mining, MiningStore


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

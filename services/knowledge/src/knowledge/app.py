"""Composition root of knowledge: settings -> infrastructure -> stores, the mining runs (on a
timer and on request), HTTP app. Reads cases, ticket-opened, ticket-closed, ticket-changes and
customer-events; writes nothing to Kafka yet."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from knowledge.access import ACCESS
from knowledge.api import decision_routes, search_routes, topic_routes
from knowledge.faq import PersonWay
from knowledge.handlers import Mining
from knowledge.mining.embedding import WordLlamaEmbedder
from knowledge.repository import PostgresFaqs, PostgresMiningInput, PostgresMiningStore
from knowledge.settings import Settings
from knowledge.subscribers import CONSUMED, register_subscribers

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def periodic_mining(mining: Mining, every_seconds: float) -> AsyncIterator[None]:
    """A mining run every so often, when the input changed since the last."""

    async def rounds() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                summary = await mining.run(only_if_changed=True)
                if summary.run_id is not None:
                    log.info("mining run %d: %d cases, %d topics", *vars(summary).values())
            except Exception:  # PostgreSQL away or a bad row: logged, the next round retries
                log.exception("mining run failed")

    task = asyncio.create_task(rounds(), name="knowledge-mining")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    mining_input = PostgresMiningInput(infra.postgres)
    store = PostgresMiningStore(infra.postgres)
    mining = Mining(
        store=store,
        embedder=WordLlamaEmbedder(),
        clock=now,
        min_cases=settings.mining_min_cases,
        progress=lambda line: log.info("mining: %s", line),
    )
    faqs = PostgresFaqs(infra.postgres)
    register_subscribers(infra.broker, settings, mining_input)
    spec = ServiceSpec(
        title="Knowledge",
        description="FAQ mined from resolved cases and claims: topic candidates for editors, "
        "approved FAQ searched by the shop and the chat widget, a person always one click away.",
        consumes=list(CONSUMED),
        routers=[
            topic_routes(mining, store),
            decision_routes(faqs, now),
            search_routes(faqs, PersonWay(settings.person_chat_url, settings.person_callback_url)),
        ],
        migrations="knowledge",
        resources=[lambda: periodic_mining(mining, settings.mining_every_seconds)],
        access=ACCESS,
    )
    return create_http_app(infra, spec)

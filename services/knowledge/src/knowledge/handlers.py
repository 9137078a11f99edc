"""Use cases of knowledge: events into the mining input (cases, claims, erasures) and the mining
run that turns the input into topic candidates. No I/O of their own: the stores are given."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cc_schemas import (
    CaseMerged,
    CaseReopened,
    CaseResolved,
    CustomerErased,
    TicketClosed,
    TicketMerged,
    TicketOpened,
    TicketState,
    TicketStateChanged,
)
from knowledge.intake import (
    ClaimHalves,
    MiningCase,
    case_key,
    claim_key,
    claim_resolution,
    from_claim,
    from_resolved_case,
)
from knowledge.mining.clean import clean
from knowledge.mining.pipeline import PreparedCase, TopicCandidate, mine
from knowledge.mining.scrub import scrub
from knowledge.mining.topics import Embedder, Progress

log = logging.getLogger(__name__)
ENDED = {TicketState.RESOLVED, TicketState.CLOSED, TicketState.MERGED}


class MiningInput(Protocol):
    async def keep(self, case: MiningCase) -> None: ...

    async def drop(self, case_id: str) -> None: ...

    async def claim_half(self, ticket_id: str, **fields: Any) -> ClaimHalves:
        """Stores the given fields of the claim (the others kept) and returns all it holds."""
        ...

    async def erase_customer(self, customer_id: str) -> int: ...


async def record_case_event(event: object, store: MiningInput) -> None:
    """case.resolved joins the input (solved ones); reopened or merged away, it leaves."""
    if isinstance(event, CaseResolved):
        case = from_resolved_case(event)
        if case is None:
            await store.drop(case_key(event.case_id))
        else:
            await store.keep(case)
    elif isinstance(event, CaseReopened | CaseMerged):
        await store.drop(case_key(event.case_id))


async def record_ticket_event(event: object, store: MiningInput) -> None:
    """A claim's subject (opened), decision (closed), reopening or merge."""
    halves: ClaimHalves | None = None
    if isinstance(event, TicketOpened):
        question = scrub(clean(event.subject))  # kept scrubbed, even while it waits
        halves = await store.claim_half(
            event.ticket_id,
            customer_id=event.customer_id,
            question=question,
            product=event.product_code,
        )
    elif isinstance(event, TicketClosed):
        halves = await store.claim_half(
            event.ticket_id,
            resolution=scrub(clean(claim_resolution(event.outcome, event.note))),
            resolved=event.resolution.value == "resolved",
            closed_at=event.occurred_at,
        )
    elif isinstance(event, TicketMerged) or (
        isinstance(event, TicketStateChanged)
        and event.from_state in ENDED
        and event.to_state not in ENDED
    ):
        await store.claim_half(event.ticket_id, resolved=False)
        await store.drop(claim_key(event.ticket_id))
    if halves is not None and (case := from_claim(halves)) is not None:
        await store.keep(case)


async def record_customer_event(event: object, store: MiningInput) -> None:
    """customer.erased: the customer's cases leave the input and every topic's case list."""
    if isinstance(event, CustomerErased):
        gone = await store.erase_customer(event.customer_id)
        log.info("customer erased: %d cases left the mining input", gone)


@dataclass(frozen=True)
class TopicView:
    topic_id: int
    key_phrases: list[str]
    question: str
    answer: str
    language: str
    cases: int
    last_case_at: datetime
    case_ids: list[str]


@dataclass(frozen=True)
class RunSummary:
    run_id: int | None  # None: no run (too few cases, or nothing changed)
    cases: int
    topics: int


class MiningStore(Protocol):
    async def cases(self) -> list[PreparedCase]: ...

    async def input_changed(self) -> bool: ...

    async def save_run(
        self, started: datetime, finished: datetime, cases: int, topics: Sequence[TopicCandidate]
    ) -> int: ...

    async def latest_topics(self, limit: int) -> list[TopicView]: ...


@dataclass
class Mining:
    """Mining runs, one at a time in this process."""

    store: MiningStore
    embedder: Embedder
    clock: Callable[[], datetime]
    min_cases: int = 4
    progress: Progress | None = None

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()

    async def run(self, only_if_changed: bool = False) -> RunSummary:
        async with self._lock:
            if only_if_changed and not await self.store.input_changed():
                return RunSummary(None, 0, 0)
            started = self.clock()
            cases = await self.store.cases()
            if len(cases) < self.min_cases:
                return RunSummary(None, len(cases), 0)
            # CPU work off the event loop: the service keeps answering while it mines.
            topics = await asyncio.to_thread(mine, cases, self.embedder, 0, self.progress)
            run_id = await self.store.save_run(started, self.clock(), len(cases), topics)
            return RunSummary(run_id, len(cases), len(topics))

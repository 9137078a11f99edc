"""Use cases of the engine: fold shop events into sessions, note orders and chats, and fire due
deadlines into contact requests. Plain functions over the repository; no Kafka or HTTP."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from cc_schemas import AnyChatEvent, AnyOrderEvent, ContactRequested, CustomerContext, ShopEvent
from proactive_engine.clock import Clock
from proactive_engine.config import EngineConfig
from proactive_engine.domain import (
    Suppression,
    Surroundings,
    contact_request,
    request_id_of,
    subject_of,
    suppression,
)
from proactive_engine.locks import SessionLocks
from proactive_engine.metrics import EngineMetrics
from proactive_engine.repository import Claimed, MongoRepository
from proactive_engine.rules import Decision, Rule, due_decisions, next_deadline
from proactive_engine.session import SessionState, fold

log = logging.getLogger(__name__)

Publish = Callable[[ContactRequested], Awaitable[None]]


class CustomerDirectory(Protocol):
    """The seam where a CRM lookup can enrich who the customer is (segment, consent)."""

    async def enrich(self, customer: CustomerContext | None) -> CustomerContext | None: ...


class ShopProvidedCustomers:
    """Takes the customer as the shop's events described them."""

    async def enrich(self, customer: CustomerContext | None) -> CustomerContext | None:
        return customer


@dataclass
class Engine:
    """What the handlers work with; built once by the composition root."""

    repository: MongoRepository
    rules: Sequence[Rule]
    config: EngineConfig
    publish: Publish
    clock: Clock
    metrics: EngineMetrics
    owner: str
    customers: CustomerDirectory = ShopProvidedCustomers()  # noqa: RUF009 (stateless)
    lease: timedelta = timedelta(seconds=30)
    claim_limit: int = 200
    locks: SessionLocks = field(default_factory=SessionLocks)


async def apply_shop_events(engine: Engine, events: Sequence[ShopEvent]) -> None:
    """Fold a batch of shop events into their sessions and store each session's next deadline."""
    by_session: dict[str, list[ShopEvent]] = defaultdict(list)
    for event in events:
        by_session[event.session_id].append(event)
    async with engine.locks.hold(by_session):
        stored = await engine.repository.load_sessions(list(by_session))
        saves = []
        for session_id, session_events in by_session.items():
            state = fold(stored[session_id].state, session_events)
            state = await _with_order_problems(engine, state)
            saves.append((state, stored[session_id].version, next_deadline(engine.rules, state)))
        await engine.repository.save_sessions(saves)


async def _with_order_problems(engine: Engine, state: SessionState) -> SessionState:
    checked = sorted({s.detail for s in state.status_checks})
    if not checked:
        return state
    problems = await engine.repository.order_problems(checked)
    return state.model_copy(update={"order_problems": problems})


async def record_order_event(engine: Engine, event: AnyOrderEvent) -> None:
    """Note whether the order is late or held, and wake the sessions that asked about it."""
    if not await engine.repository.record_order(event):
        return
    for session_id in await engine.repository.sessions_checking(event.order_id):
        async with engine.locks.hold([session_id]):
            await engine.repository.wake(session_id, engine.clock.now())


async def record_chat_event(engine: Engine, event: AnyChatEvent) -> None:
    await engine.repository.record_chat(event)


async def fire_due(engine: Engine) -> int:
    """Fire every due deadline this instance can lease; returns how many sessions it leased."""
    claimed = await engine.repository.claim_due(
        engine.clock.now(), engine.owner, engine.lease, engine.claim_limit
    )
    for session in claimed:
        async with engine.locks.hold([session.state.session_id]):
            fresh = await engine.repository.reload(session)
            await fire_session(engine, fresh)
    return len(claimed)


async def fire_session(engine: Engine, claimed: Claimed) -> None:
    now = engine.clock.now()
    state = await _with_order_problems(engine, claimed.state)
    fired: list[str] = []
    decisions = due_decisions(engine.rules, state, now)
    if decisions:
        in_chat = await engine.repository.in_chat(state.session_id, state.customer_id)
        for decision in decisions:
            engine.metrics.rule_hits.labels(decision.rule).inc()
            await _decide(engine, state, decision, Surroundings(in_chat=in_chat))
            fired.append(decision.key)
    after = state.model_copy(update={"fired": state.fired | set(fired)})
    await engine.repository.release(
        claimed, engine.owner, fired, next_deadline(engine.rules, after)
    )


async def _decide(
    engine: Engine, state: SessionState, decision: Decision, surroundings: Surroundings
) -> None:
    now = engine.clock.now()
    cause = suppression(state, decision, surroundings, engine.config.engagement, now)
    if cause is None:
        cause = await _publish_once(engine, state, decision)
    if cause is not None:
        engine.metrics.suppressed.labels(cause.value).inc()
        log.info(
            "request suppressed",
            extra={"session_id": state.session_id, "rule": decision.rule, "cause": cause.value},
        )


async def _publish_once(
    engine: Engine, state: SessionState, decision: Decision
) -> Suppression | None:
    """Throttle, ledger, publish, mark: a crash anywhere leaves either nothing published or a
    ledger entry whose stored event a retry publishes again, with the same ids."""
    now = engine.clock.now()
    subject = subject_of(state)
    request_id = request_id_of(state.session_id, decision)
    period = engine.config.engagement.throttle
    if not await engine.repository.claim_throttle(subject, decision.rule, request_id, now, period):
        return Suppression.THROTTLED
    customer = await engine.customers.enrich(state.customer)
    request = contact_request(
        state, decision, customer, engine.config.engagement, engine.config.priorities, now
    )
    entry = await engine.repository.begin_request(request, subject, engine.owner, now, engine.lease)
    if entry is None:
        return Suppression.ALREADY_PUBLISHED
    await engine.publish(ContactRequested.model_validate(entry["event"]))
    await engine.repository.finish_request(request_id, engine.clock.now())
    engine.metrics.published.labels(decision.rule).inc()
    engine.metrics.timer_lag.observe(
        max(0.0, (engine.clock.now() - decision.deadline).total_seconds())
    )
    return None

"""Use cases of the engine: take and give back partitions, fold shop events into the owned
sessions, fire due deadlines into contact requests, note orders and chats, keep the house.
Plain functions over their dependencies (`Dependencies`, built once by the composition root);
no Kafka or HTTP. State has one owner each: the owned sessions (`OwnedSessions`), the offsets
and the write in progress (`Checkpoints`); a timer round's decisions are values (`firing.py`).

One lock guards the owned sessions against a rebalance: a batch folds under it, a rebalance
takes it so that a partition is never given away in the middle of a batch, and a checkpoint
notes what to store under it. The timer applies what a round decided without awaiting, so it
needs no lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cc_runtime import ReadAgainLater
from cc_schemas import (
    AnyChatEvent,
    AnyOrderEvent,
    ContactRequested,
    CustomerContext,
    OrderStatusChecked,
    ShopEvent,
)
from proactive_engine.checkpoints import Checkpoints, SourcePartition
from proactive_engine.clock import Clock
from proactive_engine.codec import SessionRow, live_session, row_of
from proactive_engine.config import EngineConfig
from proactive_engine.firing import RoundOutcome, RoundPlan, Suppressed, plan_round, settle
from proactive_engine.ledger import Answer, Verdict
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.repository import Repository
from proactive_engine.rules import Rule, due_decisions
from proactive_engine.session import RawEvent, fold_event
from proactive_engine.store import SessionStore

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[ContactRequested]], Awaitable[None]]
ShopRecord = tuple[ShopEvent, RawEvent]  # a shop event parsed, and as it came
RETRY_AFTER = timedelta(seconds=5)  # a timer round that failed looks at its sessions again then
DECODE_CHUNK = 5_000  # sessions decoded at a time when loading: the timer runs in between


class CustomerDirectory(Protocol):
    """The seam where a CRM lookup can enrich who the customer is (segment, consent)."""

    async def enrich(self, customer: CustomerContext | None) -> CustomerContext | None: ...


class RequestLog(Protocol):
    """Where published requests can be read back (the contact-requests topic)."""

    async def published(self, request_ids: Collection[str], since: datetime) -> set[str]: ...


class ShopProvidedCustomers:
    """Takes the customer as the shop's events described them."""

    async def enrich(self, customer: CustomerContext | None) -> CustomerContext | None:
        return customer


@dataclass(frozen=True)
class Limits:
    lease: timedelta = timedelta(seconds=30)  # a request being published is its owner's
    claim_limit: int = 500  # due sessions per timer round
    retention: timedelta = timedelta(hours=24)  # sessions idle longer are forgotten


@dataclass(frozen=True)
class Dependencies:
    """What the handlers work with; nothing here is reassigned after it is built."""

    store: SessionStore
    repository: Repository
    request_log: RequestLog
    publish: Publish
    rules: Sequence[Rule]
    config: EngineConfig
    clock: Clock
    metrics: EngineMetrics
    owner: str  # this instance, in the ledger
    owned: OwnedSessions
    checkpoints: Checkpoints
    limits: Limits = Limits()
    customers: CustomerDirectory = field(default_factory=ShopProvidedCustomers)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# --- partitions ---


async def take_partitions(deps: Dependencies, partitions: Iterable[int]) -> None:
    """The rebalance ended with these partitions ours: keep the sessions of those we had,
    load the others from the store. A load that fails (the database away) is tried again by
    `load_unloaded`, or by the partition's next batch, whichever comes first: the consumer
    would otherwise only log the failure, and a partition without new events would never
    fire its sessions."""
    async with deps.lock:
        for partition in deps.owned.resume(partitions):
            try:
                await _own(deps, partition)
            except Exception:
                log.exception(
                    "partition not loaded; tried again shortly", extra={"partition": partition}
                )


async def load_unloaded(deps: Dependencies) -> None:
    """Load the partitions assigned to this instance whose load failed."""
    if not deps.owned.unloaded:
        return
    async with deps.lock:
        for partition in sorted(deps.owned.unloaded):
            await _own(deps, partition)


async def give_back_partitions(deps: Dependencies, partitions: Iterable[int]) -> None:
    """A rebalance began: fire nothing of these partitions until it ends, and checkpoint, so
    that their next owner (maybe us again) starts from stored sessions and committed offsets
    that agree. A failed checkpoint loses nothing: the next owner reads the events again."""
    revoked = set(partitions)
    async with deps.lock:
        deps.owned.suspend(revoked)
        await deps.checkpoints.settle()
        deps.checkpoints.begin()
        await deps.checkpoints.settle()
        deps.checkpoints.forget(revoked)


async def _own(deps: Dependencies, partition: int) -> None:
    """Load a partition unless owned already; call with the lock held."""
    if deps.owned.owns(partition):
        return
    rows = await deps.store.load(partition, deps.clock.now() - deps.limits.retention)
    sessions = await _decoded(rows)
    checking = [s for s in sessions if s.state.status_checks]
    await _refresh_orders(deps, checking)
    deps.owned.assign(partition, sessions)
    deps.owned.watch(checking)
    log.info("partition taken", extra={"partition": partition, "sessions": len(sessions)})


async def _decoded(rows: Sequence[SessionRow]) -> list[LiveSession]:
    sessions: list[LiveSession] = []
    for start in range(0, len(rows), DECODE_CHUNK):
        sessions += [live_session(row) for row in rows[start : start + DECODE_CHUNK]]
        await asyncio.sleep(0)
    return sessions


# --- shop events ---


async def _nothing_invalid() -> None:
    """The batch was parsed beforehand: nothing to reject."""


async def apply_shop_events(
    deps: Dependencies,
    by_partition: Mapping[int, Iterable[ShopRecord]],
    offsets: Mapping[SourcePartition, int],
    reject_invalid: Callable[[], Awaitable[None]] = _nothing_invalid,
) -> None:
    """Fold a batch into its sessions and set their deadlines. The records may be parsed as
    they are read: `reject_invalid` then sends away those that did not parse, before `offsets`
    (the next offset of each source partition, past this batch) become committable at the
    next checkpoint, once the sessions they changed are stored."""
    async with deps.lock:
        suspended = deps.owned.suspended.intersection(by_partition)
        if suspended:  # fetched before a rebalance began: its next owner reads them again
            raise ReadAgainLater(f"partitions {sorted(suspended)} are being rebalanced")
        for partition, records in by_partition.items():
            await _own(deps, partition)
            changed, checking = _fold(deps.owned, partition, records)
            ends = [live.state.last_at for live in changed if live.state.last_at is not None]
            if ends:  # the changed sessions' latest events: the latest this batch holds
                deps.clock.observe(max(ends))
            deps.owned.watch(checking)
            await _refresh_orders(deps, checking)
            for live in changed:
                deps.owned.schedule(live)
        await reject_invalid()
        deps.checkpoints.folded(offsets)
        if deps.checkpoints.due():
            deps.checkpoints.begin()


def _fold(
    owned: OwnedSessions, partition: int, records: Iterable[ShopRecord]
) -> tuple[list[LiveSession], list[LiveSession]]:
    """Fold the records into their sessions; returns the sessions changed, and those of them
    that checked an order's status (in one pass: this runs for every event)."""
    changed: dict[str, LiveSession] = {}
    checking: dict[str, LiveSession] = {}
    for event, _ in records:
        live = owned.session(event.session_id, partition)
        if fold_event(live.state, event):
            changed[live.session_id] = live
            if type(event) is OrderStatusChecked:
                checking[live.session_id] = live
    for live in changed.values():
        owned.mark_dirty(live)
    return list(changed.values()), list(checking.values())


async def checkpoint_if_due(deps: Dependencies) -> None:
    """Checkpoint unless a batch did within the interval (for when no batch comes)."""
    if deps.checkpoints.due():
        await checkpoint(deps)


async def checkpoint(deps: Dependencies) -> None:
    """Store every changed session, then commit the offsets folded into them; returns once
    written (the next batches fold meanwhile)."""
    await deps.checkpoints.settle()
    async with deps.lock:
        deps.checkpoints.begin()
    await deps.checkpoints.settle()


# --- orders and chats ---


async def record_order_event(deps: Dependencies, event: AnyOrderEvent) -> None:
    """Note whether the order is late or held; the owners of the sessions that asked about it
    see the change at their next order refresh (`refresh_watched_orders`)."""
    await deps.repository.record_order(event)


async def record_chat_event(deps: Dependencies, event: AnyChatEvent) -> None:
    await deps.repository.record_chat(event)


async def refresh_watched_orders(deps: Dependencies) -> None:
    """Look again at the orders the owned sessions asked about: an order that became late or
    held after its checks makes the order-status rule due."""
    watching = deps.owned.watched()
    before = {s.session_id: dict(s.state.order_problems) for s in watching}
    await _refresh_orders(deps, watching)
    for live in watching:  # no await in here: no lock needed
        moved = live.state.order_problems != before[live.session_id]
        if moved and deps.owned.is_current(live):
            deps.owned.schedule(live)


async def _refresh_orders(deps: Dependencies, sessions: Sequence[LiveSession]) -> None:
    order_ids = sorted({c.detail for s in sessions for c in s.state.status_checks})
    if not order_ids:
        return
    problems = await deps.repository.order_problems(order_ids)
    for live in sessions:
        checked = {c.detail for c in live.state.status_checks}
        live.state.order_problems = {o: p for o, p in problems.items() if o in checked}


# --- the timer ---


async def fire_due(deps: Dependencies) -> int:
    """Fire the due deadlines of the owned sessions (up to the claim limit); returns how many
    sessions were due."""
    now = deps.clock.now()
    due = deps.owned.pop_due(now, deps.limits.claim_limit)
    if not due:
        return 0
    try:
        plan = await _plan(deps, due, now)
        outcome = await _carry_out(deps, due, plan, now) if plan.hits else RoundOutcome()
    except Exception:
        for live in due:
            if deps.owned.is_current(live):
                deps.owned.schedule(live, at=now + RETRY_AFTER)
        raise
    _apply(deps, due, outcome)
    return len(due)


async def _plan(deps: Dependencies, due: Sequence[LiveSession], now: datetime) -> RoundPlan:
    """What the round decides: its surroundings read (orders, chats, customers), then the
    pure decision."""
    await _refresh_orders(deps, [s for s in due if s.state.status_checks])
    hit = [s for s in due if due_decisions(deps.rules, s.state, now)]
    if not hit:
        return RoundPlan([], [], [])
    customers = {s.state.customer_id for s in hit if s.state.customer_id}
    chatting = await deps.repository.chatting(sorted(s.session_id for s in hit), sorted(customers))
    enriched = {s.session_id: await deps.customers.enrich(s.state.customer) for s in hit}
    states = [s.state for s in hit]
    return plan_round(states, chatting, enriched, deps.rules, deps.config, now)


async def _carry_out(
    deps: Dependencies, due: Sequence[LiveSession], plan: RoundPlan, now: datetime
) -> RoundOutcome:
    """The round's one I/O step: the ledger's verdicts, publish, then the published requests
    and the settled sessions recorded in one transaction. A crash anywhere leaves either
    nothing published or a ledger entry whose stored event a retry publishes, with the same
    ids, unless the topic has it already."""
    for _, decision in plan.hits:
        deps.metrics.rule_hits.labels(decision.rule).inc()
    period = deps.config.engagement.throttle
    answers = await deps.repository.enter(plan.claims, deps.owner, now, deps.limits.lease, period)
    outcome = settle(plan, answers, await _on_topic(deps, answers))
    await deps.publish([request for _, request in outcome.publish])
    published_at = deps.clock.now()
    await deps.repository.record_round(
        outcome.published_ids, published_at, _settled_rows(due, outcome)
    )
    _count(deps, outcome, published_at)
    return outcome


async def _on_topic(deps: Dependencies, answers: Sequence[Answer]) -> set[str]:
    """Requests a crash left unconfirmed that did reach Kafka: confirmed, not sent again."""
    unconfirmed = [
        a for a in answers if a.verdict is Verdict.PUBLISH and a.unconfirmed_since is not None
    ]
    if not unconfirmed:
        return set()
    since = min(a.unconfirmed_since for a in unconfirmed if a.unconfirmed_since is not None)
    found = await deps.request_log.published([a.request.request_id for a in unconfirmed], since)
    if found:
        log.warning("unconfirmed requests found on the topic", extra={"requests": len(found)})
    return found


def _settled_rows(due: Sequence[LiveSession], outcome: RoundOutcome) -> list[SessionRow]:
    """The sessions with episodes settled, as they are stored once the round is recorded."""
    rows = []
    for live in due:
        settled = outcome.settled.get(live.session_id)
        if settled and (row := row_of(live, fired=live.state.fired | settled)) is not None:
            rows.append(row)
    return rows


def _count(deps: Dependencies, outcome: RoundOutcome, published_at: datetime) -> None:
    for wanted, _ in outcome.publish:
        deps.metrics.published.labels(wanted.decision.rule).inc()
        lag = (published_at - wanted.decision.deadline).total_seconds()
        deps.metrics.timer_lag.observe(max(0.0, lag))
    for suppressed in outcome.suppressed:
        _log_suppressed(deps, suppressed)


def _log_suppressed(deps: Dependencies, suppressed: Suppressed) -> None:
    deps.metrics.suppressed.labels(suppressed.cause.value).inc()
    log.info(
        "request suppressed",
        extra={
            "session_id": suppressed.session_id,
            "rule": suppressed.decision.rule,
            "cause": suppressed.cause.value,
        },
    )


def _apply(deps: Dependencies, due: Sequence[LiveSession], outcome: RoundOutcome) -> None:
    """Mark the settled episodes (stored already) and set each session's next deadline. A
    session given away meanwhile is skipped: its new owner finds the ledger and the store."""
    for live in due:  # no await in here: no lock needed, a checkpoint may be saving
        if not deps.owned.is_current(live):
            continue
        settled = outcome.settled.get(live.session_id)
        if settled:
            live.state.fired = live.state.fired | settled
        deps.owned.schedule(live, at=outcome.retry_at.get(live.session_id))


# --- housekeeping ---


async def housekeeping(deps: Dependencies) -> None:
    """Forget sessions idle beyond the retention (in memory and in the store), and purge old
    ledger entries."""
    now = deps.clock.now()
    idle_since = now - deps.limits.retention
    async with deps.lock:
        forgotten = deps.owned.forget_idle(idle_since)
        partitions = [p for p in deps.owned.partitions if deps.owned.owns(p)]
    deleted = await deps.store.delete_idle(partitions, idle_since)
    if forgotten or deleted:
        log.info("idle sessions forgotten", extra={"sessions": forgotten, "deleted": deleted})
    horizon = max(deps.limits.retention, 2 * deps.config.engagement.throttle)
    await deps.repository.purge(now - horizon)

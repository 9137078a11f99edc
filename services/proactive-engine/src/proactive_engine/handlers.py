"""Use cases of the engine: take and give back partitions, fold shop events into the owned
sessions, fire due deadlines into contact requests, note orders and chats. Plain functions over
the store and the repository; no Kafka or HTTP.

One lock guards the owned sessions: a batch folds under it, and a rebalance takes it so that
a partition is never given away in the middle of a batch or a save. A checkpoint takes it only
to note what to store; the writes run in a task of their own while the next batches fold (see
`_start_checkpoint`). The timer records what it decided without awaiting, so it needs no lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
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
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.repository import LedgerEntry, MongoRepository, ThrottleClaim
from proactive_engine.rules import Decision, Rule, due_decisions
from proactive_engine.session import RawEvent, fold_event
from proactive_engine.store import SnapshotStore

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[ContactRequested]], Awaitable[None]]
SourcePartition = tuple[str, int]  # (topic, partition) of browse- or cart-events
ShopRecord = tuple[ShopEvent, RawEvent]  # a shop event parsed, and as it came
Commit = Callable[[Mapping[SourcePartition, int]], Awaitable[None]]
RETRY_AFTER = timedelta(seconds=5)  # a timer round that failed looks at its sessions again then


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


@dataclass
class Engine:
    """What the handlers work with; built once by the composition root."""

    store: SnapshotStore
    repository: MongoRepository
    rules: Sequence[Rule]
    config: EngineConfig
    publish: Publish
    request_log: RequestLog
    clock: Clock
    metrics: EngineMetrics
    owner: str
    customers: CustomerDirectory = ShopProvidedCustomers()  # noqa: RUF009 (stateless)
    lease: timedelta = timedelta(seconds=30)
    claim_limit: int = 500
    retention: timedelta = timedelta(hours=24)
    checkpoint_seconds: float = 10.0
    commit: Commit | None = None  # set by the consumer adapter once it has a consumer
    owned: OwnedSessions = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    folded: dict[SourcePartition, int] = field(default_factory=dict)  # next offset to fold
    committed: dict[SourcePartition, int] = field(default_factory=dict)
    last_checkpoint: float = field(default_factory=time.monotonic)
    saving: asyncio.Task[None] | None = None  # the checkpoint being written, if any

    def __post_init__(self) -> None:
        self.owned = OwnedSessions(self.rules)


# --- partitions ---


async def take_partitions(engine: Engine, partitions: Iterable[int]) -> None:
    """The rebalance ended with these partitions ours: keep the sessions of those we had,
    load the others from their snapshots."""
    async with engine.lock:
        for partition in engine.owned.resume(partitions):
            await _own(engine, partition)


async def give_back_partitions(engine: Engine, partitions: Iterable[int]) -> None:
    """A rebalance began: fire nothing of these partitions until it ends, and checkpoint, so
    that their next owner (maybe us again) starts from stored snapshots and committed offsets
    that agree. A failed checkpoint loses nothing: the next owner reads the events again."""
    revoked = set(partitions)
    async with engine.lock:
        engine.owned.suspend(revoked)
        await _settle(engine)
        _start_checkpoint(engine)
        await _settle(engine)
        for source in [s for s in engine.folded if s[1] in revoked]:
            engine.folded.pop(source, None)
            engine.committed.pop(source, None)


async def _own(engine: Engine, partition: int) -> None:
    """Load a partition unless owned already; call with the lock held."""
    if engine.owned.owns(partition):
        return
    keep_after = engine.clock.now() - engine.retention
    sessions = await engine.store.load(partition, keep_after)
    checking = [s for s in sessions if s.state.status_checks]
    await _refresh_orders(engine, checking)
    engine.owned.assign(partition, sessions)
    engine.owned.watch(checking)
    log.info("partition taken", extra={"partition": partition, "sessions": len(sessions)})
    await _compact_if_needed(engine, partition)


# --- shop events ---


async def _nothing_invalid() -> None:
    """The batch was parsed beforehand: nothing to reject."""


async def apply_shop_events(
    engine: Engine,
    by_partition: Mapping[int, Iterable[ShopRecord]],
    offsets: Mapping[SourcePartition, int],
    reject_invalid: Callable[[], Awaitable[None]] = _nothing_invalid,
) -> None:
    """Fold a batch (each event with its raw form, which the store keeps) into its sessions
    and set their deadlines. The records may be parsed as they are read: `reject_invalid`
    then sends away those that did not parse, before `offsets` (the next offset of each
    source partition, past this batch) become committable at the next checkpoint, once the
    sessions they changed are stored."""
    async with engine.lock:
        suspended = engine.owned.suspended.intersection(by_partition)
        if suspended:  # fetched before a rebalance began: its next owner reads them again
            raise ReadAgainLater(f"partitions {sorted(suspended)} are being rebalanced")
        for partition, records in by_partition.items():
            await _own(engine, partition)
            changed, checking = _fold(engine, partition, records)
            ends = [live.state.last_at for live in changed if live.state.last_at is not None]
            if ends:  # the changed sessions' latest events: the latest this batch holds
                engine.clock.observe(max(ends))
            engine.owned.watch(checking)
            await _refresh_orders(engine, checking)
            for live in changed:
                engine.owned.schedule(live)
        await reject_invalid()
        engine.folded.update(offsets)
        if _checkpoint_due(engine):
            _start_checkpoint(engine)


async def checkpoint_if_due(engine: Engine) -> None:
    """Checkpoint unless a batch did within `checkpoint_seconds` (for when no batch comes)."""
    if _checkpoint_due(engine):
        await checkpoint(engine)


def _checkpoint_due(engine: Engine) -> bool:
    return time.monotonic() - engine.last_checkpoint >= engine.checkpoint_seconds


async def checkpoint(engine: Engine) -> None:
    """Store every changed session, then commit the offsets folded into them; returns once
    written (the next batches fold meanwhile)."""
    await _settle(engine)
    async with engine.lock:
        _start_checkpoint(engine)
    await _settle(engine)


def _start_checkpoint(engine: Engine) -> None:
    """Call with the lock held. Notes the changed sessions and the offsets folded so far, and
    writes them in a task, unless the previous checkpoint is still being written (then a later
    batch starts this one). Folding goes on meanwhile: a session changed after this moment is
    stored with more than the noted offsets hold, which is harmless (folding is idempotent),
    and it stays marked as changed for the next checkpoint."""
    if engine.saving is not None and not engine.saving.done():
        return
    engine.last_checkpoint = time.monotonic()
    changed = {p: engine.owned.dirty(p) for p in engine.owned.partitions}
    engine.saving = asyncio.create_task(_write_checkpoint(engine, changed, dict(engine.folded)))


async def _write_checkpoint(
    engine: Engine,
    changed: Mapping[int, Sequence[LiveSession]],
    offsets: dict[SourcePartition, int],
) -> None:
    """Snapshots first, offsets after: a crash in between only makes the next owner fold
    again events it already has. A failure leaves the sessions marked as changed and the
    offsets uncommitted, for the next checkpoint."""
    try:
        for partition, sessions in changed.items():
            await engine.store.save(partition, sessions)
            engine.owned.saved(partition)
            await _compact_if_needed(engine, partition)
        uncommitted = {s: o for s, o in offsets.items() if engine.committed.get(s) != o}
        if uncommitted and engine.commit is not None:
            await engine.commit(uncommitted)
            engine.committed.update(uncommitted)
    except Exception:
        log.exception("checkpoint failed; what it held is stored by the next one")


async def _settle(engine: Engine) -> None:
    """Wait for the checkpoint being written, if any."""
    if engine.saving is not None:
        await engine.saving


def _fold(
    engine: Engine, partition: int, records: Iterable[ShopRecord]
) -> tuple[list[LiveSession], list[LiveSession]]:
    """Fold the records into their sessions; returns the sessions changed, and those of them
    that checked an order's status (in one pass: this runs for every event)."""
    changed: dict[str, LiveSession] = {}
    checking: dict[str, LiveSession] = {}
    for event, raw in records:
        live = engine.owned.session(event.session_id, partition)
        if fold_event(live.state, event):
            live.unsaved.append(raw)
            changed[live.session_id] = live
            if type(event) is OrderStatusChecked:
                checking[live.session_id] = live
    for live in changed.values():
        engine.owned.mark_dirty(live)
    return list(changed.values()), list(checking.values())


async def _compact_if_needed(engine: Engine, partition: int) -> None:
    if engine.store.needs_compaction(partition, engine.owned.count(partition)):
        await engine.store.compact(partition, engine.owned.of_partition(partition))


# --- orders and chats ---


async def record_order_event(engine: Engine, event: AnyOrderEvent) -> None:
    """Note whether the order is late or held; the owners of the sessions that asked about it
    see the change at their next order refresh (`refresh_watched_orders`)."""
    await engine.repository.record_order(event)


async def record_chat_event(engine: Engine, event: AnyChatEvent) -> None:
    await engine.repository.record_chat(event)


async def refresh_watched_orders(engine: Engine) -> None:
    """Look again at the orders the owned sessions asked about: an order that became late or
    held after its checks makes the order-status rule due."""
    watching = engine.owned.watched()
    before = {s.session_id: dict(s.state.order_problems) for s in watching}
    await _refresh_orders(engine, watching)
    for live in watching:  # no await in here: no lock needed
        moved = live.state.order_problems != before[live.session_id]
        if moved and engine.owned.is_current(live):
            engine.owned.schedule(live)


async def _refresh_orders(engine: Engine, sessions: Sequence[LiveSession]) -> None:
    order_ids = sorted({c.detail for s in sessions for c in s.state.status_checks})
    if not order_ids:
        return
    problems = await engine.repository.order_problems(order_ids)
    for live in sessions:
        checked = {c.detail for c in live.state.status_checks}
        live.state.order_problems = {o: p for o, p in problems.items() if o in checked}


# --- the timer ---


@dataclass
class RoundOutcome:
    """What a timer round decided, per session: the episodes settled, and when to look again
    at a session whose request another instance is still publishing."""

    settled: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    retry_at: dict[str, datetime] = field(default_factory=dict)


async def fire_due(engine: Engine) -> int:
    """Fire the due deadlines of the owned sessions (up to `claim_limit`); returns how many
    sessions were due."""
    now = engine.clock.now()
    due = engine.owned.pop_due(now, engine.claim_limit)
    if not due:
        return 0
    try:
        await _refresh_orders(engine, [s for s in due if s.state.status_checks])
        outcome = await _decide_round(engine, due, now)
    except Exception:
        for live in due:
            if engine.owned.is_current(live):
                engine.owned.schedule(live, at=now + RETRY_AFTER)
        raise
    _record_round(engine, due, outcome)
    return len(due)


def _record_round(engine: Engine, due: Sequence[LiveSession], outcome: RoundOutcome) -> None:
    """Mark the settled episodes and set each session's next deadline; the next checkpoint
    stores them (until then a restart decides them again, and the ledger answers "published").
    A session given away meanwhile is skipped: its new owner finds the ledger entries."""
    for live in due:  # no await in here: no lock needed, a checkpoint may be saving
        if not engine.owned.is_current(live):
            continue
        settled = outcome.settled.get(live.session_id)
        if settled:
            live.state.fired = live.state.fired | settled
            engine.owned.mark_dirty(live)
        engine.owned.schedule(live, at=outcome.retry_at.get(live.session_id))


async def _decide_round(engine: Engine, due: Sequence[LiveSession], now: datetime) -> RoundOutcome:
    """Suppression, throttle, ledger, publish, confirm: a crash anywhere leaves either nothing
    published or a ledger entry whose stored event a retry publishes again, with the same ids."""
    outcome = RoundOutcome()
    decisions = [(s, d) for s in due for d in due_decisions(engine.rules, s.state, now)]
    if not decisions:
        return outcome
    for _, decision in decisions:
        engine.metrics.rule_hits.labels(decision.rule).inc()
    candidates = await _unsuppressed(engine, decisions, now, outcome)
    allowed = await _within_throttle(engine, candidates, now, outcome)
    await _publish_once(engine, allowed, now, outcome)
    return outcome


async def _unsuppressed(
    engine: Engine,
    decisions: list[tuple[LiveSession, Decision]],
    now: datetime,
    outcome: RoundOutcome,
) -> list[tuple[LiveSession, Decision]]:
    sessions = {s.session_id: s for s, _ in decisions}
    customers = {s.state.customer_id for s in sessions.values() if s.state.customer_id}
    chatting = await engine.repository.chatting(sorted(sessions), sorted(customers))
    candidates = []
    for live, decision in decisions:
        parties = {live.session_id, live.state.customer_id}
        surroundings = Surroundings(in_chat=bool(parties & chatting))
        cause = suppression(live.state, decision, surroundings, engine.config.engagement, now)
        if cause is None:
            candidates.append((live, decision))
        else:
            _suppressed(engine, outcome, live, decision, cause)
    return candidates


async def _within_throttle(
    engine: Engine,
    candidates: list[tuple[LiveSession, Decision]],
    now: datetime,
    outcome: RoundOutcome,
) -> list[tuple[LiveSession, Decision]]:
    claims = [
        ThrottleClaim(subject_of(s.state), d.rule, request_id_of(s.session_id, d))
        for s, d in candidates
    ]
    period = engine.config.engagement.throttle
    allowed_ids = await engine.repository.claim_throttles(claims, now, period) if claims else set()
    allowed = []
    for (live, decision), claim in zip(candidates, claims, strict=True):
        if claim.request_id in allowed_ids:
            allowed.append((live, decision))
        else:
            _suppressed(engine, outcome, live, decision, Suppression.THROTTLED)
    return allowed


async def _publish_once(
    engine: Engine,
    allowed: list[tuple[LiveSession, Decision]],
    now: datetime,
    outcome: RoundOutcome,
) -> None:
    if not allowed:
        return
    requests = []
    for live, decision in allowed:
        customer = await engine.customers.enrich(live.state.customer)
        config = engine.config
        requests.append(
            contact_request(
                live.state, decision, customer, config.engagement, config.priorities, now
            )
        )
    entries = await engine.repository.begin_requests(requests, engine.owner, now, engine.lease)
    on_topic = await _on_topic_unconfirmed(engine, entries)
    to_publish = []
    for (live, decision), entry in zip(allowed, entries, strict=True):
        if entry.publish and entry.request.request_id not in on_topic:
            to_publish.append((live, decision, entry.request))
        elif entry.busy_until is not None:
            outcome.retry_at[live.session_id] = entry.busy_until
        else:
            _suppressed(engine, outcome, live, decision, Suppression.ALREADY_PUBLISHED)
    await engine.publish([request for _, _, request in to_publish])
    published_at = engine.clock.now()
    await engine.repository.confirm_published(
        [r.request_id for _, _, r in to_publish], published_at
    )
    for live, decision, _ in to_publish:
        outcome.settled[live.session_id].add(decision.key)
        engine.metrics.published.labels(decision.rule).inc()
        lag = (published_at - decision.deadline).total_seconds()
        engine.metrics.timer_lag.observe(max(0.0, lag))


async def _on_topic_unconfirmed(engine: Engine, entries: Sequence[LedgerEntry]) -> set[str]:
    """Requests left unconfirmed by a crash that did reach Kafka: confirmed now, not resent."""
    unconfirmed = [e for e in entries if e.publish and e.unconfirmed_since is not None]
    if not unconfirmed:
        return set()
    since = min(e.unconfirmed_since for e in unconfirmed if e.unconfirmed_since is not None)
    found = await engine.request_log.published([e.request.request_id for e in unconfirmed], since)
    await engine.repository.confirm_published(sorted(found), engine.clock.now())
    if found:
        log.warning("unconfirmed requests found on the topic", extra={"requests": len(found)})
    return found


def _suppressed(
    engine: Engine,
    outcome: RoundOutcome,
    live: LiveSession,
    decision: Decision,
    cause: Suppression,
) -> None:
    outcome.settled[live.session_id].add(decision.key)
    engine.metrics.suppressed.labels(cause.value).inc()
    log.info(
        "request suppressed",
        extra={"session_id": live.session_id, "rule": decision.rule, "cause": cause.value},
    )


# --- housekeeping ---


async def housekeeping(engine: Engine) -> None:
    """Forget sessions idle beyond the retention, and purge old throttles and ledger entries."""
    now = engine.clock.now()
    async with engine.lock:
        forgotten = engine.owned.forget_idle(now - engine.retention)
    if forgotten:
        log.info("idle sessions forgotten", extra={"sessions": forgotten})
    horizon = max(engine.retention, 2 * engine.config.engagement.throttle)
    await engine.repository.purge(now - horizon)

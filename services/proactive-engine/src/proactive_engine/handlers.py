"""Use cases of the engine: take and give back partitions, fold shop events into the owned
sessions, fire due deadlines into contact requests, note orders and chats, keep the house.
Plain functions over their dependencies (`Dependencies`, built once by the composition root);
no Kafka or HTTP. State has one owner each: the owned sessions (`OwnedSessions`), the offsets
and the write in progress (`Checkpoints`); a timer round's decisions are values (`firing.py`).

Time is event time, moved on by a watermark (`watermark.py`): a batch's events are held until
the watermark passes them, deadlines fire once it passes them, in deadline order, and each is
judged at its deadline, so that any replay of the same events decides what live traffic
decided. The clock is the wall clock: leases, the fire delay, and whether a request is stale
before it leaves (its expiry passed on the wall clock: a replay of old data).

One lock guards the owned sessions against a rebalance: a batch folds under it, a rebalance
takes it so that a partition is never given away in the middle of a batch, and a checkpoint
notes what to store under it. The timer applies what a round decided without awaiting, so it
needs no lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
    ShopEvent,
)
from proactive_engine.checkpoints import Checkpoints
from proactive_engine.clock import Clock
from proactive_engine.codec import SessionRow, live_session, row_of
from proactive_engine.config import EngineConfig
from proactive_engine.domain import Suppression
from proactive_engine.firing import RoundOutcome, RoundPlan, Suppressed, plan_round, settle
from proactive_engine.ledger import Answer, Verdict
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.repository import Repository
from proactive_engine.rules import Rule, due_decisions
from proactive_engine.store import SessionStore
from proactive_engine.watermark import SourcePartition, Watermarks

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[ContactRequested]], Awaitable[None]]
ShopRecord = tuple[ShopEvent, SourcePartition, int]  # a shop event parsed, where it came from
RETRY_AFTER_SECONDS = 5.0  # a timer round that failed looks at its sessions again then
STALE_LOG_SECONDS = 60.0  # at most one line this often about requests stale on the wall clock
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


@dataclass
class StaleLog:
    """Requests suppressed as expired since the last line that said so."""

    count: int = 0
    logged_at: float = -STALE_LOG_SECONDS  # monotonic


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
    watermarks: Watermarks
    limits: Limits = Limits()
    customers: CustomerDirectory = field(default_factory=ShopProvidedCustomers)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    stale_log: StaleLog = field(default_factory=StaleLog)


# --- partitions ---


async def take_partitions(deps: Dependencies, partitions: Iterable[int]) -> None:
    """The rebalance ended with these partitions ours: keep the sessions of those we had,
    load the others from the store. A load that fails (the database away) is tried again by
    `load_unloaded`, or by the partition's next batch, whichever comes first: the consumer
    would otherwise only log the failure, and a partition without new events would never
    fire its sessions."""
    assigned = list(partitions)
    async with deps.lock:
        to_load = deps.owned.resume(assigned)
        deps.watermarks.keep(assigned)
        for partition in to_load:
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
    latest = await deps.store.latest_event_time(partition)
    active_since = min(deps.clock.now(), latest or deps.clock.now()) - deps.limits.retention
    rows = await deps.store.load(partition, active_since)
    sessions = await _decoded(rows)
    checking = [s for s in sessions if s.state.status_checks]
    await _refresh_orders(deps, checking)
    deps.owned.assign(partition, sessions)
    deps.owned.watch(checking)
    deps.watermarks.own(partition, latest, time.monotonic())
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
    """Hold a batch's events in their sessions, move the watermark on, and fold what it has
    passed. The records may be parsed as they are read: `reject_invalid` then sends away those
    that did not parse, before `offsets` (the next offset of each source partition, past this
    batch) become committable at the next checkpoint, up to the first event still held."""
    async with deps.lock:
        suspended = deps.owned.suspended.intersection(by_partition)
        if suspended:  # fetched before a rebalance began: its next owner reads them again
            raise ReadAgainLater(f"partitions {sorted(suspended)} are being rebalanced")
        before = deps.watermarks.current
        late = 0
        for partition, records in by_partition.items():
            await _own(deps, partition)
            late += _fold_or_hold(deps, partition, records, before)
        if late:
            deps.metrics.late_events.inc(late)
        await _scheduled(deps, deps.owned.folded_now())
        mark = deps.watermarks.advance(time.monotonic(), deps.clock.now())
        if mark is not None:
            await _release(deps, mark)
        await reject_invalid()
        deps.checkpoints.folded(offsets)
        if deps.checkpoints.due():
            deps.checkpoints.begin()


def _fold_or_hold(
    deps: Dependencies, partition: int, records: Iterable[ShopRecord], mark: datetime | None
) -> int:
    """Note the records' times, fold those the watermark (`mark`, before this batch) has
    passed and hold the others in their sessions; returns how many came after the watermark
    had passed them (later than the allowed lateness). In one pass: this runs for every
    event."""
    owned, at = deps.owned, time.monotonic()
    session, fold_or_hold, observe = owned.session, owned.fold_or_hold, deps.watermarks.observe
    late = 0
    # The records come in runs of one source partition: its latest time is noted once a run.
    source: SourcePartition | None = None
    latest = datetime.min
    for event, event_source, offset in records:
        occurred_at = event.occurred_at
        if event_source != source:
            if source is not None:
                observe(source, latest, at)
            source, latest = event_source, occurred_at
        elif occurred_at > latest:
            latest = occurred_at
        if mark is not None and occurred_at < mark:
            late += 1
        fold_or_hold(session(event.session_id, partition), event, event_source, offset, mark)
    if source is not None:
        observe(source, latest, at)
    return late


async def _release(deps: Dependencies, mark: datetime) -> None:
    """Fold the held events the watermark has passed."""
    _, checking = deps.owned.release(mark)
    await _scheduled(deps, checking)


async def _scheduled(deps: Dependencies, checking: Sequence[LiveSession]) -> None:
    """A session that checked an order's status has its order problems read before its
    deadline is set."""
    if not checking:
        return
    await _refresh_orders(deps, checking)
    for live in checking:  # no await in here: no lock needed
        if deps.owned.is_current(live) and live.fires_at is None:
            deps.owned.schedule(live)


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
        if moved and deps.owned.is_current(live) and live.fires_at is None:
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
    """Move the watermark on (the wall clock live, the time passed when every partition is
    silent), fold what it passed, and fire the deadlines it passed, earliest first (up to the
    claim limit), each judged at its deadline; returns how many sessions were due."""
    awake = time.monotonic()
    mark = deps.watermarks.advance(awake, deps.clock.now())
    if mark is None:
        return 0
    await _release(deps, mark)
    due = deps.owned.pop_due(mark, deps.limits.claim_limit, awake)
    if not due:
        return 0
    try:
        plan = await _plan(deps, due)
        outcome = await _carry_out(deps, due, plan) if plan.hits else RoundOutcome()
    except Exception:
        for live in due:  # their deadlines stay; they wait a little before the next try
            if deps.owned.is_current(live):
                live.wait_until = time.monotonic() + RETRY_AFTER_SECONDS
                deps.owned.fired(live, None)
        raise
    _apply(deps, due, outcome, mark)
    return len(due)


def _fire_time(live: LiveSession) -> datetime:
    if live.fires_at is None:
        raise ValueError(f"session {live.session_id} is not being fired")
    return live.fires_at


async def _plan(deps: Dependencies, due: Sequence[LiveSession]) -> RoundPlan:
    """What the round decides: its surroundings read (orders, chats, customers), then the
    pure decision, each session at the deadline it fires."""
    await _refresh_orders(deps, [s for s in due if s.state.status_checks])
    hit = [s for s in due if due_decisions(deps.rules, s.state, _fire_time(s))]
    if not hit:
        return RoundPlan([], [], [])
    customers = {s.state.customer_id for s in hit if s.state.customer_id}
    chatting = await deps.repository.chatting(sorted(s.session_id for s in hit), sorted(customers))
    enriched = {s.session_id: await deps.customers.enrich(s.state.customer) for s in hit}
    firing = [(s.state, _fire_time(s)) for s in hit]
    stale_before = deps.clock.now() - deps.watermarks.lateness
    return plan_round(firing, chatting, enriched, deps.rules, deps.config, stale_before)


async def _carry_out(
    deps: Dependencies, due: Sequence[LiveSession], plan: RoundPlan
) -> RoundOutcome:
    """The round's one I/O step: the ledger's verdicts, publish, then the published requests
    and the settled sessions recorded in one transaction. A crash anywhere leaves either
    nothing published or a ledger entry whose stored event a retry publishes, with the same
    ids, unless the topic has it already."""
    for _, decision in plan.hits:
        deps.metrics.rule_hits.labels(decision.rule).inc()
    period = deps.config.engagement.throttle
    now = deps.clock.now()
    answers = await deps.repository.enter(plan.claims, deps.owner, now, deps.limits.lease, period)
    outcome = settle(plan, answers, await _on_topic(deps, answers))
    await deps.publish([request for _, request in outcome.publish])
    await deps.repository.record_round(
        outcome.published_ids, deps.clock.now(), _settled_rows(due, outcome)
    )
    _count(deps, outcome, time.monotonic())
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


def _count(deps: Dependencies, outcome: RoundOutcome, published_at: float) -> None:
    """Published requests with their fire delay (wall seconds since the watermark passed the
    deadline: live, since deadline + lateness), suppressed ones by cause."""
    for wanted, _ in outcome.publish:
        deps.metrics.published.labels(wanted.decision.rule).inc()
        passed_at = deps.watermarks.passed_at(wanted.decision.deadline)
        if passed_at is not None:
            deps.metrics.timer_lag.observe(max(0.0, published_at - passed_at))
    for suppressed in outcome.suppressed:
        _log_suppressed(deps, suppressed)
    stale = [s for s in outcome.suppressed if s.cause is Suppression.EXPIRED]
    if stale:
        _log_stale(deps, stale)


def _log_suppressed(deps: Dependencies, suppressed: Suppressed) -> None:
    deps.metrics.suppressed.labels(suppressed.cause.value).inc()
    expired = suppressed.cause is Suppression.EXPIRED  # one line for them all: `_log_stale`
    log.log(
        logging.DEBUG if expired else logging.INFO,
        "request suppressed",
        extra={
            "session_id": suppressed.session_id,
            "rule": suppressed.decision.rule,
            "cause": suppressed.cause.value,
        },
    )


def _log_stale(deps: Dependencies, stale: Sequence[Suppressed]) -> None:
    """Requests already expired on the wall clock when their deadline fired: most often a
    replay of old data, which publishes nothing (say so, at most once a minute)."""
    unsaid = deps.stale_log
    unsaid.count += len(stale)
    if time.monotonic() - unsaid.logged_at < STALE_LOG_SECONDS:
        return
    behind = deps.clock.now() - max(s.decision.deadline + s.decision.expires for s in stale)
    log.warning(
        "requests suppressed as expired: their deadlines passed on the wall clock more than "
        "their expiry ago; a replay of old data publishes nothing unless shifted to now "
        "(cc-dev replay --shift-to-now)",
        extra={"requests": unsaid.count, "expired_seconds_ago": round(behind.total_seconds())},
    )
    unsaid.logged_at, unsaid.count = time.monotonic(), 0


def _apply(
    deps: Dependencies, due: Sequence[LiveSession], outcome: RoundOutcome, mark: datetime
) -> None:
    """Mark the settled episodes (stored already), set each session's next deadline and fold
    the events it held behind the one fired. A session given away meanwhile is skipped: its
    new owner finds the ledger and the store."""
    now = deps.clock.now()
    for live in due:  # no await in here: no lock needed, a checkpoint may be saving
        if not deps.owned.is_current(live):
            continue
        settled = outcome.settled.get(live.session_id)
        if settled:
            live.state.fired = live.state.fired | settled
        busy_until = outcome.retry_at.get(live.session_id)
        if busy_until is not None:  # another instance's lease: looked at again when it ends
            live.wait_until = time.monotonic() + (busy_until - now).total_seconds()
        deps.owned.fired(live, mark)


# --- housekeeping ---


async def housekeeping(deps: Dependencies) -> None:
    """Forget sessions idle beyond the retention (in memory and in the store), and purge old
    ledger entries."""
    now = deps.watermarks.current or deps.clock.now()
    idle_since = now - deps.limits.retention
    async with deps.lock:
        forgotten = deps.owned.forget_idle(idle_since)
        partitions = [p for p in deps.owned.partitions if deps.owned.owns(p)]
    deleted = await deps.store.delete_idle(partitions, idle_since)
    if forgotten or deleted:
        log.info("idle sessions forgotten", extra={"sessions": forgotten, "deleted": deleted})
    horizon = max(deps.limits.retention, 2 * deps.config.engagement.throttle)
    await deps.repository.purge(now - horizon)

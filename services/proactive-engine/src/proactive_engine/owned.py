"""The sessions of the partitions this instance owns, in memory, with their deadlines; no I/O.

Browse- and cart-events are keyed by session and consumed with a range assignor, so partition
p of both topics belongs to one instance: that instance alone folds and fires p's sessions.
They live here between batches; checkpoints store each changed one (`store.py`) so that a new
owner (after a restart or a rebalance) starts from where the last one stopped. Deadlines sit
in a heap ordered by time: the timer pops what is due on the watermark, whether events arrive
or not.

Events are held until the watermark passes them, and a session's events after its next
deadline until that deadline has fired (`hold`, `release`): a rule is always judged on exactly
the events up to its deadline, whatever the batches or the pace that brought them, so a replay
decides what live traffic decided.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cc_schemas import OrderStatusChecked, ShopEvent
from proactive_engine.rules import Rule, next_deadline
from proactive_engine.session import SessionState, fold_event
from proactive_engine.watermark import SourcePartition

_STALE = object()  # a deadline not computed since the session changed


@dataclass(order=True, slots=True)
class Held:
    """An event read but not folded yet, and where it came from (its offset must not be
    committed before it is folded)."""

    at: datetime
    event_id: str
    event: ShopEvent = field(compare=False)
    source: SourcePartition = field(compare=False)
    offset: int = field(compare=False)


@dataclass(eq=False)
class LiveSession:
    """One owned session: its folded state and what the store and the timer know of it."""

    state: SessionState
    partition: int
    due_at: datetime | None = None  # the timer's next look at it
    changes: int = 0  # how many times it changed in memory
    saved_changes: int = 0  # ... of which the store holds (a change may come mid-save)
    held: list[Held] = field(default_factory=list)  # read, not folded yet, in time order
    fires_at: datetime | None = None  # the deadline the timer round in progress fires
    wait_until: float = 0.0  # monotonic: not fired before (a failed round, a busy lease)
    session_id: str = field(init=False)  # the state's, as a plain attribute: read for each event

    def __post_init__(self) -> None:
        self.session_id = self.state.session_id

    @property
    def dirty(self) -> bool:
        """Changed since it was last stored."""
        return self.changes != self.saved_changes


class OwnedSessions:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.sessions: dict[str, LiveSession] = {}
        self.partitions: dict[int, set[str]] = {}
        self._heap: list[tuple[datetime, str]] = []
        self.suspended: set[int] = set()  # revoked, maybe about to come back: not fired
        self.unloaded: set[int] = set()  # assigned, but their load failed: loaded later
        # partition -> sessions changed since stored
        self._dirty: defaultdict[int, set[str]] = defaultdict(set)
        self._watching: set[str] = set()  # sessions that asked about an order
        # Sessions holding events until the watermark reaches them: (first held, session).
        self._waiting: list[tuple[datetime, str]] = []
        self._holding: set[str] = set()  # sessions with held events
        self._firing: set[str] = set()  # sessions popped by the round in progress
        # Sessions folded by the batch in progress (`fold_or_hold`): their deadline since, or
        # _STALE until asked for; and those that checked an order's status.
        self._folded_now: dict[str, object] = {}
        self._checking_now: list[LiveSession] = []

    def __len__(self) -> int:
        return len(self.sessions)

    def owns(self, partition: int) -> bool:
        return partition in self.partitions and partition not in self.suspended

    def suspend(self, partitions: Iterable[int]) -> None:
        """A rebalance began: fire nothing of these partitions until it ends. An eager
        rebalance revokes every partition, and most come back to the same instance, which then
        keeps its sessions instead of loading them again (`resume`)."""
        partitions = set(partitions)
        self.suspended.update(p for p in partitions if p in self.partitions)
        self.unloaded -= partitions

    def resume(self, assigned: Iterable[int]) -> list[int]:
        """The rebalance ended: drop the suspended partitions that went elsewhere; returns the
        assigned partitions still to load."""
        assigned = set(assigned)
        for partition in self.suspended - assigned:
            self.revoke(partition)
        self.suspended.clear()
        self.unloaded = {p for p in assigned if p not in self.partitions}
        return sorted(self.unloaded)

    def is_current(self, live: LiveSession) -> bool:
        """Still owned, and not replaced by a reload of its partition meanwhile."""
        return self.sessions.get(live.session_id) is live

    def assign(self, partition: int, loaded: Iterable[LiveSession]) -> None:
        self.revoke(partition)
        self.unloaded.discard(partition)
        self.partitions[partition] = set()
        for live in loaded:
            self._add(live)

    def revoke(self, partition: int) -> None:
        """Forget a partition's sessions; their heap entries go stale and are skipped."""
        self.suspended.discard(partition)
        self._dirty.pop(partition, None)
        for session_id in self.partitions.pop(partition, set()):
            self.sessions.pop(session_id, None)
            self._holding.discard(session_id)
            self._firing.discard(session_id)

    def session(self, session_id: str, partition: int) -> LiveSession:
        """The owned session, a new empty one if the partition never saw it."""
        live = self.sessions.get(session_id)
        if live is None:
            live = LiveSession(SessionState(session_id=session_id), partition)
            self._add(live, schedule=False)  # nothing is due in an empty session
        return live

    def count(self, partition: int) -> int:
        return len(self.partitions.get(partition, ()))

    def watch(self, sessions: Iterable[LiveSession]) -> None:
        """These sessions asked about an order: its problems are looked at again now and then."""
        self._watching.update(live.session_id for live in sessions)

    def watched(self) -> list[LiveSession]:
        self._watching.intersection_update(self.sessions)  # forgotten or given away
        return [self.sessions[s] for s in self._watching]

    def mark_dirty(self, live: LiveSession) -> None:
        live.changes += 1
        self._dirty[live.partition].add(live.session_id)

    def dirty(self, partition: int) -> list[LiveSession]:
        """The partition's sessions changed since they were last stored."""
        marked = (self.sessions.get(s) for s in self._dirty.get(partition, ()))
        return [live for live in marked if live is not None and live.dirty]

    def saved(self, stored: Iterable[tuple[LiveSession, int]]) -> None:
        """The store holds these sessions as they were after so many changes: a session
        changed since stays marked, for the next checkpoint."""
        for live, changes in stored:
            live.saved_changes = changes
            if not live.dirty:
                self._dirty[live.partition].discard(live.session_id)

    def schedule(self, live: LiveSession, at: datetime | None = None) -> None:
        """Set the session's next deadline: `at`, or the earliest of its rules. Events held
        behind the deadline it had are looked at again at the next `release`."""
        self._set_deadline(live, at)
        waiting = live.held and live.fires_at is None
        if waiting and (live.due_at is None or live.held[0].at <= live.due_at):
            heapq.heappush(self._waiting, (live.held[0].at, live.session_id))

    def _set_deadline(self, live: LiveSession, at: datetime | None = None) -> None:
        due = at if at is not None else next_deadline(self.rules, live.state)
        if due == live.due_at:
            return
        live.due_at = due
        if due is not None:
            heapq.heappush(self._heap, (due, live.session_id))
            if len(self._heap) > 4 * len(self.sessions) + 1000:
                self._rebuild_heap()

    def pop_due(self, now: datetime, limit: int, awake: float = math.inf) -> list[LiveSession]:
        """Up to `limit` owned sessions whose deadline has passed, earliest first, each with
        that deadline as `fires_at`; each leaves the heap until `schedule` puts it back, and
        folds none of its held events until `fired`. A session told to wait (`wait_until`,
        monotonic) past `awake` stays."""
        due: list[LiveSession] = []
        held: list[tuple[datetime, str]] = []
        while self._heap and len(due) < limit and self._heap[0][0] <= now:
            at, session_id = heapq.heappop(self._heap)
            live = self.sessions.get(session_id)
            if live is None or live.due_at != at:
                continue  # stale: the session moved on or is gone
            if live.partition in self.suspended or live.wait_until > awake:
                held.append((at, session_id))
                continue
            live.due_at, live.fires_at = None, at
            self._firing.add(session_id)
            due.append(live)
        for entry in held:
            heapq.heappush(self._heap, entry)
        return due

    def forget_idle(self, before: datetime) -> int:
        """Drop sessions with nothing pending whose last activity is older than `before` (the
        store deletes them too, `delete_idle`); returns how many."""
        idle = [
            live
            for live in self.sessions.values()
            if live.due_at is None
            and live.fires_at is None
            and not live.held
            and not live.dirty
            and (live.state.last_at is None or live.state.last_at < before)
        ]
        for live in idle:
            del self.sessions[live.session_id]
            self.partitions[live.partition].discard(live.session_id)
        return len(idle)

    # --- events held until the watermark reaches them ---

    def fold_or_hold(
        self,
        live: LiveSession,
        event: ShopEvent,
        source: SourcePartition,
        offset: int,
        mark: datetime | None,
    ) -> None:
        """Fold an event the watermark has passed already (live, nearly all of them) at once,
        unless events of its session wait before it or a deadline of its session comes first;
        hold it otherwise. `folded_now` ends the batch."""
        at = event.occurred_at
        if mark is None or at > mark or live.held or live.fires_at is not None:
            self.hold(live, Held(at, event.event_id, event, source, offset))
            return
        session_id = live.session_id
        due = self._folded_now.get(session_id, live.due_at)
        if due is _STALE:  # folded in this batch: its deadline since, computed when needed
            due = self._folded_now[session_id] = next_deadline(self.rules, live.state)
        if due is not None and at > due:  # type: ignore[operator]
            self.hold(live, Held(at, event.event_id, event, source, offset))
        elif fold_event(live.state, event):
            self._folded_now[session_id] = _STALE
            if type(event) is OrderStatusChecked:
                self._checking_now.append(live)
                self._watching.add(session_id)

    def folded_now(self) -> list[LiveSession]:
        """The batch's events folded at once are in: mark their sessions changed and set their
        deadlines; returns those that checked an order's status."""
        for session_id in self._folded_now:
            live = self.sessions.get(session_id)
            if live is not None:
                self.mark_dirty(live)
                self._set_deadline(live)
        checking = self._checking_now
        self._folded_now, self._checking_now = {}, []
        return checking

    def hold(self, live: LiveSession, held: Held) -> None:
        """Keep an event for the session until `release` folds it (a redelivery of one held
        already keeps the earlier offset)."""
        events = live.held
        if not events or (events[-1].at, events[-1].event_id) < (held.at, held.event_id):
            events.append(held)  # most come in order: no search
            i = len(events) - 1
        else:
            i = bisect_left(events, held)
            same = events[i] if i < len(events) else None
            if same is not None and same.event_id == held.event_id and same.at == held.at:
                if held.offset < same.offset and held.source == same.source:
                    events[i] = held
                return
            events.insert(i, held)
        if i == 0:
            self._holding.add(live.session_id)
            heapq.heappush(self._waiting, (held.at, live.session_id))

    def release(self, mark: datetime) -> tuple[list[LiveSession], list[LiveSession]]:
        """Fold the held events the watermark has passed, each session's in time order and
        none past a deadline that has not fired; returns the sessions changed, and those of
        them that checked an order's status."""
        changed: dict[str, LiveSession] = {}
        checking: dict[str, LiveSession] = {}
        while self._waiting and self._waiting[0][0] <= mark:
            _, session_id = heapq.heappop(self._waiting)
            live = self.sessions.get(session_id)
            if live is not None and live.session_id not in changed:
                self._release(live, mark, changed, checking)
        return list(changed.values()), list(checking.values())

    def fired(self, live: LiveSession, mark: datetime | None) -> None:
        """The round that fired the session ended: schedule its next deadline and fold the
        events held behind the one it fired."""
        live.fires_at = None
        self._firing.discard(live.session_id)
        self._set_deadline(live)
        if mark is not None and live.held:
            self._release(live, mark, {}, {})

    def release_offsets(self) -> dict[SourcePartition, int]:
        """Per source partition, the earliest offset of an event still held: the offsets
        committed must stay before it, or a crash would lose it."""
        earliest: dict[SourcePartition, int] = {}
        for session_id in list(self._holding):
            live = self.sessions.get(session_id)
            if live is None or not live.held:
                self._holding.discard(session_id)
                continue
            for held in live.held:
                if held.offset < earliest.get(held.source, held.offset + 1):
                    earliest[held.source] = held.offset
        return earliest

    def due_count(self, mark: datetime | None) -> int:
        """Sessions whose deadline `mark` has passed, or being fired (for metrics). Walks only
        the heap's entries at or before `mark` (they sit at its top: a node's children come
        after it), not every session: a scrape while deadlines are due must not cost a scan
        of 100,000 sessions."""
        due: set[str] = set()
        heap, pending = self._heap, [0] if mark is not None and self._heap else []
        while pending:
            i = pending.pop()
            at, session_id = heap[i]
            if at > mark:  # type: ignore[operator]
                continue
            live = self.sessions.get(session_id)
            if live is not None and live.due_at == at:
                due.add(session_id)
            pending.extend(c for c in (2 * i + 1, 2 * i + 2) if c < len(heap))
        return len(due) + len(self._firing)

    def held_count(self) -> int:
        return sum(len(self.sessions[s].held) for s in self._holding if s in self.sessions)

    def _release(
        self,
        live: LiveSession,
        mark: datetime,
        changed: dict[str, LiveSession],
        checking: dict[str, LiveSession],
    ) -> None:
        events, n, due = live.held, 0, live.due_at
        while (
            n < len(events)
            and events[n].at <= mark
            and live.fires_at is None
            and (due is None or events[n].at <= due)
        ):
            event = events[n].event
            n += 1
            if fold_event(live.state, event):
                changed[live.session_id] = live
                if type(event) is OrderStatusChecked:
                    checking[live.session_id] = live
                    self._watching.add(live.session_id)
                if n < len(events) and events[n].at <= mark:  # it may lie past the new deadline
                    due = next_deadline(self.rules, live.state)
        del events[:n]
        if live.session_id in changed:
            self.mark_dirty(live)
            self._set_deadline(live)
        if not events:
            self._holding.discard(live.session_id)
        elif events[0].at > mark:
            heapq.heappush(self._waiting, (events[0].at, live.session_id))
        # else: a deadline before it fires first; `fired` goes on from there

    def _rebuild_heap(self) -> None:
        """Drop the stale entries a moving deadline leaves behind (each move pushes anew)."""
        self._heap = [(s.due_at, s.session_id) for s in self.sessions.values() if s.due_at]
        heapq.heapify(self._heap)

    def _add(self, live: LiveSession, schedule: bool = True) -> None:
        self.sessions[live.session_id] = live
        self.partitions.setdefault(live.partition, set()).add(live.session_id)
        if schedule:
            self.schedule(live)

"""The sessions of the partitions this instance owns, in memory, with their deadlines; no I/O.

Browse- and cart-events are keyed by session and consumed with a range assignor, so partition
p of both topics belongs to one instance: that instance alone folds and fires p's sessions.
They live here between batches; checkpoints store each changed one (`store.py`) so that a new
owner (after a restart or a rebalance) starts from where the last one stopped. Deadlines sit
in a heap ordered by time: the timer pops what is due on its clock, whether events arrive or not.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from proactive_engine.rules import Rule, next_deadline
from proactive_engine.session import SessionState


@dataclass(eq=False)
class LiveSession:
    """One owned session: its folded state and what the store and the timer know of it."""

    state: SessionState
    partition: int
    due_at: datetime | None = None  # the timer's next look at it
    changes: int = 0  # how many times it changed in memory
    saved_changes: int = 0  # ... of which the store holds (a change may come mid-save)
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
        """Set the session's next deadline: `at`, or the earliest of its rules."""
        due = at if at is not None else next_deadline(self.rules, live.state)
        if due == live.due_at:
            return
        live.due_at = due
        if due is not None:
            heapq.heappush(self._heap, (due, live.session_id))
            if len(self._heap) > 4 * len(self.sessions) + 1000:
                self._rebuild_heap()

    def pop_due(self, now: datetime, limit: int) -> list[LiveSession]:
        """Up to `limit` owned sessions whose deadline has passed, earliest first; each leaves
        the heap until `schedule` puts it back."""
        due: list[LiveSession] = []
        held: list[tuple[datetime, str]] = []
        while self._heap and len(due) < limit and self._heap[0][0] <= now:
            at, session_id = heapq.heappop(self._heap)
            live = self.sessions.get(session_id)
            if live is None or live.due_at != at:
                continue  # stale: the session moved on or is gone
            if live.partition in self.suspended:
                held.append((at, session_id))
                continue
            live.due_at = None
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
            and not live.dirty
            and (live.state.last_at is None or live.state.last_at < before)
        ]
        for live in idle:
            del self.sessions[live.session_id]
            self.partitions[live.partition].discard(live.session_id)
        return len(idle)

    def _rebuild_heap(self) -> None:
        """Drop the stale entries a moving deadline leaves behind (each move pushes anew)."""
        self._heap = [(s.due_at, s.session_id) for s in self.sessions.values() if s.due_at]
        heapq.heapify(self._heap)

    def _add(self, live: LiveSession, schedule: bool = True) -> None:
        self.sessions[live.session_id] = live
        self.partitions.setdefault(live.partition, set()).add(live.session_id)
        if schedule:
            self.schedule(live)

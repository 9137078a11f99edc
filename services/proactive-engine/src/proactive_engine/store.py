"""The owned sessions in MongoDB, as the events they are folded from; insert-only.

A checkpoint inserts one snapshot per changed session: the events folded into it since its
previous snapshot, as the bytes Kafka delivered, and the rule episodes decided so far. A load
folds each session's events again, from all its snapshots, and takes the decided episodes of
its latest. So a checkpoint serialises nothing (it was a fifth of the engine's time while whole
states were stored), and the stored form is the shop's own events: a change to the state's
fields needs no migration of what is stored.

Snapshots are written many to a document (`{"snapshots": [...]}`, `CHUNK` of them): the
driver's work per document (type checks, an ObjectId, the insert's framing) had been a third of
a checkpoint's time in the engine's process (measured: 24-27 -> 17-19 us per session of ten
events; a chunk cut by summing its events' sizes cost 5 us of that back). A chunk over the
document size limit is split in halves instead, down to one session's events. A document of
the previous build, one snapshot, is read as a chunk of one.

FerretDB 1.x makes every update, replace or delete by `_id` cost time in proportion to the
collection's size, while inserts and whole-collection reads stay fast (measured: README). So a
session is never updated in place: snapshots go into its partition's collection, and a
compaction merges the snapshots of each live session into one in the partition's next
generation, then drops the older ones (dropping a collection is one cheap call). A crash in
between leaves both generations, which a load reads together: nothing is lost either way.

Collections: `events_p<partition>_g<generation>`, named after what they hold (earlier builds
kept whole states in `sessions_p...`, which this one leaves alone rather than misread), in a
database of their own (`<service database>_sessions`): FerretDB's SQLite backend keeps each
database in one file with one writer at a time, and the snapshots' bulk inserts would hold
back the timer's ledger writes (measured: the benchmark's deadline-to-publish p99 went from
0.75-1.2 s to 0.52 s).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DocumentTooLarge

from proactive_engine.owned import LiveSession
from proactive_engine.session import RawEvent, SessionState, restore

PREFIX = "events_p"
DATABASE_SUFFIX = "_sessions"
CHUNK = 200  # snapshots per document, one insert each (about 0.5 MB at ten events each)
# Documents per reply when reading: FerretDB does not cut a reply at 16 MiB as MongoDB does,
# and a reply over 48 MB is refused; two documents of at most 16 MiB each stay below it.
READ_BATCH = 2
COMPACT_SLACK = 5_000  # stale snapshots a partition may carry before a compaction is worth it

Doc = dict[str, Any]


@dataclass(frozen=True)
class StoredSession:
    """A session as its snapshots have it."""

    state: SessionState
    seq: int
    due_at: datetime | None


def _collection_name(partition: int, generation: int) -> str:
    return f"{PREFIX}{partition}_g{generation}"


def _snapshot(live: LiveSession, seq: int, events: list[RawEvent]) -> Doc:
    return {
        "s": live.session_id,
        "q": seq,
        "last_at": live.state.last_at,
        "due_at": live.due_at,
        "fired": sorted(live.state.fired),
        "events": events,
    }


async def _insert(collection: Any, snapshots: list[Doc]) -> None:
    """One document of snapshots, or two halves of it over the size limit (long sessions)."""
    try:
        await collection.insert_one({"snapshots": snapshots})
    except DocumentTooLarge:
        for half in _halves(snapshots):
            await _insert(collection, half)


def _halves(snapshots: list[Doc]) -> tuple[list[Doc], list[Doc]]:
    """Two halves of the snapshots; of one snapshot's events, when alone: a load merges two
    snapshots of one sequence as it merges any (its events all, its other fields the same)."""
    if len(snapshots) > 1:
        half = len(snapshots) // 2
        return snapshots[:half], snapshots[half:]
    (snapshot,) = snapshots
    events = snapshot["events"]
    if len(events) < 2:
        raise DocumentTooLarge(f"one event of session {snapshot['s']} is over the size limit")
    half = len(events) // 2
    return [{**snapshot, "events": events[:half]}], [{**snapshot, "events": events[half:]}]


def _snapshots_in(doc: Doc) -> Sequence[Doc]:
    snapshots: Sequence[Doc] = doc.get("snapshots", (doc,))  # previous build: one snapshot
    return snapshots


def _merged(snapshots: Sequence[Doc]) -> Doc:
    """One session's snapshots as one: the latest's fields, every event once."""
    latest = max(snapshots, key=lambda snapshot: snapshot["q"])
    events = dict.fromkeys(event for snapshot in snapshots for event in snapshot["events"])
    ends = [snapshot["last_at"] for snapshot in snapshots if snapshot["last_at"] is not None]
    return {
        **{k: v for k, v in latest.items() if k != "_id"},
        "last_at": max(ends, default=None),
        "events": list(events),
    }


def _stored(snapshot: Doc) -> StoredSession:
    state = restore(snapshot["s"], snapshot["events"], snapshot["fired"])
    return StoredSession(state, snapshot["q"], snapshot["due_at"])


class SnapshotStore:
    def __init__(self, service_db: AsyncDatabase[Doc]) -> None:
        self.db = service_db.client[f"{service_db.name}{DATABASE_SUFFIX}"]
        self._generation: dict[int, int] = {}  # partition -> generation written to now
        self._written: dict[int, int] = {}  # partition -> snapshots in its collections

    async def load(self, partition: int, keep_after: datetime) -> list[LiveSession]:
        """The partition's sessions as last saved, without those idle since before
        `keep_after` (the next compaction drops them from the store too)."""
        generations = await self._generations(partition)
        by_session = await self._read(partition, generations)
        sessions = []
        for snapshots in by_session.values():
            merged = _merged(snapshots)
            if merged["last_at"] is None or merged["last_at"] >= keep_after:
                stored = _stored(merged)
                sessions.append(LiveSession(stored.state, partition, seq=stored.seq))
        self._generation[partition] = generations[-1] if generations else 1
        self._written[partition] = sum(map(len, by_session.values()))
        return sessions

    async def save(self, partition: int, sessions: Sequence[LiveSession]) -> None:
        """Insert a snapshot of each session's unsaved events, marking each stored once in."""
        collection = self._current(partition)
        # In chunks: between two, the event loop runs the timer.
        for start in range(0, len(sessions), CHUNK):
            chunk = sessions[start : start + CHUNK]
            taken = [(live, live.changes, live.take_unsaved()) for live in chunk]
            snapshots = []
            for live, _, events in taken:
                live.seq += 1  # a failed insert skips the number: sequences only grow
                snapshots.append(_snapshot(live, live.seq, events))
            try:
                await _insert(collection, snapshots)
            except BaseException:
                for live, _, events in taken:  # stored by the next checkpoint (twice is harmless)
                    live.unsaved[:0] = events
                raise
            for live, changes, _ in taken:
                live.saved_changes = changes  # a change made while writing stays unsaved
            self._written[partition] = self._written.get(partition, 0) + len(snapshots)

    def needs_compaction(self, partition: int, live_sessions: int) -> bool:
        """When the partition's collections hold many more snapshots than it has sessions."""
        return self._written.get(partition, 0) > 2 * live_sessions + COMPACT_SLACK

    async def compact(self, partition: int, sessions: Iterable[LiveSession]) -> None:
        """Merge the snapshots of these sessions (the partition's live ones) into one each, in
        a new generation, then drop the older generations and the sessions not among these."""
        older = await self._generations(partition)
        by_session = await self._read(partition, older)
        live = {s.session_id for s in sessions}
        merged = [_merged(snapshots) for s, snapshots in by_session.items() if s in live]
        generation = (older[-1] if older else 0) + 1
        collection = self.db[_collection_name(partition, generation)]
        for start in range(0, len(merged), CHUNK):
            await _insert(collection, merged[start : start + CHUNK])
        self._generation[partition] = generation
        self._written[partition] = len(merged)
        for old in older:
            await self.db.drop_collection(_collection_name(partition, old))

    async def latest(self, session_id: str) -> StoredSession | None:
        """One session as stored, whichever partition holds it (scans: for tests and
        troubleshooting, not for the engine's own path)."""
        found: list[Doc] = []
        of_session = {"$or": [{"s": session_id}, {"snapshots.s": session_id}]}
        for name in await self.db.list_collection_names():
            if re.fullmatch(rf"{PREFIX}\d+_g\d+", name):
                async for doc in self.db[name].find(of_session, batch_size=READ_BATCH):
                    found += [s for s in _snapshots_in(doc) if s["s"] == session_id]
        return _stored(_merged(found)) if found else None

    async def _read(self, partition: int, generations: Iterable[int]) -> dict[str, list[Doc]]:
        """The snapshots of these generations, by session."""
        by_session: dict[str, list[Doc]] = defaultdict(list)
        for generation in generations:
            collection = self.db[_collection_name(partition, generation)]
            async for doc in collection.find({}, batch_size=READ_BATCH):
                for snapshot in _snapshots_in(doc):
                    by_session[snapshot["s"]].append(snapshot)
        return by_session

    def _current(self, partition: int) -> Any:
        generation = self._generation.setdefault(partition, 1)
        return self.db[_collection_name(partition, generation)]

    async def _generations(self, partition: int) -> list[int]:
        pattern = re.compile(rf"{PREFIX}{partition}_g(\d+)")
        names = await self.db.list_collection_names()
        return sorted(int(m.group(1)) for n in names if (m := pattern.fullmatch(n)))

"""Checkpoints of the shop consumer: the changed sessions stored, with each partition's latest
event time (the watermark's, in the transaction of the last sessions), then the offsets folded
into them committed (browse-events, cart-events), never past an event still held for the
watermark, so that a crash never commits an event that no stored session holds. One object
owns the offsets and the write in progress.

A checkpoint notes the changed sessions and the offsets folded so far, and writes them in a
task of its own while the next batches fold: a session changed after it was noted is stored
with more than the noted offsets hold, which is harmless (folding is idempotent), and it
stays marked as changed for the next checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter

from proactive_engine.codec import row_of
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.store import SessionStore
from proactive_engine.watermark import SourcePartition, Watermarks

log = logging.getLogger(__name__)

Commit = Callable[[Mapping[SourcePartition, int]], Awaitable[None]]
CHUNK = 2_000  # sessions per upsert: between two, the event loop runs the timer


class Checkpoints:
    def __init__(
        self,
        owned: OwnedSessions,
        watermarks: Watermarks,
        store: SessionStore,
        commit: Commit,
        every_seconds: float,
    ) -> None:
        self._owned = owned
        self._watermarks = watermarks
        self._store = store
        self._commit = commit
        self.every_seconds = every_seconds
        self._folded: dict[SourcePartition, int] = {}  # next offset to fold
        self._committed: dict[SourcePartition, int] = {}
        self._began = time.monotonic()
        self.writing: asyncio.Task[None] | None = None

    def folded(self, offsets: Mapping[SourcePartition, int]) -> None:
        """These offsets (past a batch) are folded: committable once their sessions are stored."""
        self._folded.update(offsets)

    def due(self) -> bool:
        return time.monotonic() - self._began >= self.every_seconds

    def begin(self) -> None:
        """Note what to store and write it in a task, unless the previous checkpoint is still
        being written (then a later call begins this one). Call it where the owned sessions
        cannot change partitions (under the engine's lock)."""
        if self.writing is not None and not self.writing.done():
            return
        self._began = time.monotonic()
        # In one order, so that the timer's round (which stores sessions in the same order)
        # and a checkpoint cannot deadlock.
        changed = sorted(
            (live for p in self._owned.partitions for live in self._owned.dirty(p)),
            key=attrgetter("session_id"),
        )
        offsets = dict(self._folded)
        for source, held in self._owned.release_offsets().items():
            if source in offsets:
                offsets[source] = min(offsets[source], held)
        latest = dict(self._watermarks.restorable())
        self.writing = asyncio.create_task(self._write(changed, offsets, latest))

    async def settle(self) -> None:
        """Wait for the checkpoint being written, if any."""
        if self.writing is not None:
            await self.writing

    def forget(self, partitions: Iterable[int]) -> None:
        """These partitions were given away: their offsets are their next owner's."""
        gone = set(partitions)
        for source in [s for s in self._folded if s[1] in gone]:
            self._folded.pop(source, None)
            self._committed.pop(source, None)

    async def _write(
        self,
        changed: Sequence[LiveSession],
        offsets: dict[SourcePartition, int],
        latest: Mapping[int, datetime],
    ) -> None:
        """Sessions first, then the latest event times (with the last sessions), offsets
        after: a crash in between only makes the next owner fold again events it already has,
        from a watermark no further than its sessions. A failure leaves the sessions marked
        as changed and the offsets uncommitted, for the next checkpoint."""
        try:
            starts = range(0, max(len(changed), 1), CHUNK)
            for start in starts:
                last = start == starts[-1]
                await self._store_chunk(changed[start : start + CHUNK], latest if last else None)
            uncommitted = {s: o for s, o in offsets.items() if self._committed.get(s) != o}
            if uncommitted:
                await self._commit(uncommitted)
                self._committed.update(uncommitted)
        except Exception:
            log.exception("checkpoint failed; what it held is stored by the next one")

    async def _store_chunk(
        self, chunk: Sequence[LiveSession], latest: Mapping[int, datetime] | None
    ) -> None:
        noted = [(live, live.changes) for live in chunk]
        rows = [row for live in chunk if (row := row_of(live)) is not None]
        await self._store.save(rows, latest)
        self._owned.saved(noted)

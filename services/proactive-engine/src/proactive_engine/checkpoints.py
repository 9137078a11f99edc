"""Checkpoints of the shop consumer: the changed sessions stored, then the offsets folded into
them committed (browse-events, cart-events), so that a crash never commits an event that no
stored session holds. One object owns the offsets and the write in progress.

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

from proactive_engine.codec import row_of
from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.store import SessionStore

log = logging.getLogger(__name__)

SourcePartition = tuple[str, int]  # (topic, partition) of browse- or cart-events
Commit = Callable[[Mapping[SourcePartition, int]], Awaitable[None]]
CHUNK = 2_000  # sessions per upsert: between two, the event loop runs the timer


class Checkpoints:
    def __init__(
        self, owned: OwnedSessions, store: SessionStore, commit: Commit, every_seconds: float
    ) -> None:
        self._owned = owned
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
        changed = [live for p in self._owned.partitions for live in self._owned.dirty(p)]
        self.writing = asyncio.create_task(self._write(changed, dict(self._folded)))

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
        self, changed: Sequence[LiveSession], offsets: dict[SourcePartition, int]
    ) -> None:
        """Sessions first, offsets after: a crash in between only makes the next owner fold
        again events it already has. A failure leaves the sessions marked as changed and the
        offsets uncommitted, for the next checkpoint."""
        try:
            for start in range(0, len(changed), CHUNK):
                await self._store_chunk(changed[start : start + CHUNK])
            uncommitted = {s: o for s, o in offsets.items() if self._committed.get(s) != o}
            if uncommitted:
                await self._commit(uncommitted)
                self._committed.update(uncommitted)
        except Exception:
            log.exception("checkpoint failed; what it held is stored by the next one")

    async def _store_chunk(self, chunk: Sequence[LiveSession]) -> None:
        noted = [(live, live.changes) for live in chunk]
        rows = [row for live in chunk if (row := row_of(live)) is not None]
        await self._store.save(rows)
        self._owned.saved(noted)

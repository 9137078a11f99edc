"""Per-session locks inside one process. FerretDB 1.x applies an update by reading the
document and writing it back whole, so two concurrent writers of one session lose one write
even with a version in the filter; every writer of a session document takes its lock."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from weakref import WeakValueDictionary


class SessionLocks:
    def __init__(self) -> None:
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, session_ids: Iterable[str]) -> AsyncIterator[None]:
        """Hold the locks of all these sessions (taken in sorted order: no deadlock)."""
        locks = [self._lock(s) for s in sorted(set(session_ids))]
        async with contextlib.AsyncExitStack() as stack:
            for lock in locks:
                await stack.enter_async_context(lock)
            yield

"""`eventually`: the one way tests wait for something another process does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], seconds: float = 30.0, interval: float = 0.2) -> T:
    """Call `check` until it returns without an AssertionError, and return what it returned.

    After `seconds`, the last AssertionError is raised as it is, so the failure shows the
    values compared (pytest's assertion rewriting) rather than a bare timeout. Any other error
    ends the wait at once: a check reading what may not be there yet compares whole lists or
    asserts first, never indexes (an IndexError on an empty list is not waited out).
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


async def eventually_async(
    check: Callable[[], Awaitable[T]], seconds: float = 30.0, interval: float = 0.2
) -> T:
    """`eventually` for async tests: awaits `check`, and waits between tries without blocking
    the event loop, on which the consumer under test may be running."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(interval)

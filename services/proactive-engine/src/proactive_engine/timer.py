"""The timer loop: fires due deadlines on the engine's clock whether or not events arrive (a
silent session still gets its request), looks again at watched orders now and then, and keeps
the house (idle sessions, old throttles). Writes contact-requests through the handlers."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from proactive_engine import collector
from proactive_engine.handlers import (
    Dependencies,
    checkpoint,
    checkpoint_if_due,
    fire_due,
    housekeeping,
    load_unloaded,
    refresh_watched_orders,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimerSettings:
    interval_seconds: float = 0.1  # pause when nothing was due
    checkpoint_seconds: float = 10.0
    order_refresh_seconds: float = 5.0
    housekeeping_seconds: float = 3600.0


async def run_timer(
    deps: Dependencies, settings: TimerSettings, stop: asyncio.Event | None = None
) -> None:
    """Fire due deadlines until `stop` is set (or cancelled), with the chores (checkpoint,
    order refresh, housekeeping) in a task of their own so that a long checkpoint never holds
    a deadline back. Setting `stop` lets the current round finish, so a shutdown never leaves
    a request published but not yet confirmed; a last checkpoint then stores what changed."""
    stop = stop or asyncio.Event()
    chores = asyncio.create_task(_run_chores(deps, settings, stop))
    try:
        while not stop.is_set():
            due = await _round(deps)
            if due < deps.limits.claim_limit:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.interval_seconds)
    except BaseException:
        chores.cancel()
        raise
    await chores
    await _guarded(checkpoint(deps), "checkpoint")


async def _run_chores(deps: Dependencies, settings: TimerSettings, stop: asyncio.Event) -> None:
    chores = [
        # Batches checkpoint every checkpoint_seconds; this looks every second whether one
        # is overdue (no batches came), so that the two do not add up to twice as many.
        (checkpoint_if_due, min(1.0, settings.checkpoint_seconds)),
        (load_unloaded, 1.0),  # partitions whose load failed at the rebalance
        (refresh_watched_orders, settings.order_refresh_seconds),
        (housekeeping, settings.housekeeping_seconds),
    ]
    next_run = [time.monotonic() + every for _, every in chores]
    while not stop.is_set():
        for i, (chore, every) in enumerate(chores):
            if time.monotonic() >= next_run[i]:
                next_run[i] = time.monotonic() + every
                await _guarded(chore(deps), chore.__name__)
                if chore is housekeeping:
                    collector.collect_frozen()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.interval_seconds)


async def _round(deps: Dependencies) -> int:
    try:
        return await fire_due(deps)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("timer round failed; its sessions are tried again shortly")
        return 0


async def _guarded(chore: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await chore
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("timer chore failed", extra={"chore": name})

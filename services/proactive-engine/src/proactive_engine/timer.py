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

from proactive_engine.handlers import (
    Engine,
    checkpoint,
    fire_due,
    housekeeping,
    refresh_watched_orders,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimerSettings:
    interval_seconds: float = 0.1  # pause when nothing was due
    checkpoint_seconds: float = 5.0
    order_refresh_seconds: float = 5.0
    housekeeping_seconds: float = 3600.0


async def run_timer(
    engine: Engine, settings: TimerSettings, stop: asyncio.Event | None = None
) -> None:
    """Fire due deadlines until `stop` is set (or cancelled); pause only when a round found
    fewer than a full load due. Setting `stop` lets the current round finish, so a shutdown
    never leaves a request published but not yet confirmed (the next owner would wait for
    its lease to run out before publishing it again)."""
    stop = stop or asyncio.Event()
    chores = [
        (checkpoint, settings.checkpoint_seconds),  # also when no batch comes to do it
        (refresh_watched_orders, settings.order_refresh_seconds),
        (housekeeping, settings.housekeeping_seconds),
    ]
    next_run = [time.monotonic() + every for _, every in chores]
    while not stop.is_set():
        due = await _round(engine)
        for i, (chore, every) in enumerate(chores):
            if time.monotonic() >= next_run[i]:
                next_run[i] = time.monotonic() + every
                await _guarded(chore(engine), chore.__name__)
        if due < engine.claim_limit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.interval_seconds)


async def _round(engine: Engine) -> int:
    try:
        return await fire_due(engine)
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

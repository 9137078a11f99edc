"""The timer loop: fires due deadlines on the engine's clock whether or not events arrive
(a silent session still gets its request). Writes contact-requests through the handlers."""

import asyncio
import contextlib
import logging

from proactive_engine.handlers import Engine, fire_due

log = logging.getLogger(__name__)


async def run_timer(
    engine: Engine, interval_seconds: float, stop: asyncio.Event | None = None
) -> None:
    """Fire due deadlines until `stop` is set (or cancelled); pause only when a round found
    nothing due. Setting `stop` lets the current round finish, so a shutdown never leaves a
    request published but not yet recorded as fired (which the next start would publish again)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            claimed = await fire_due(engine)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A lease left behind expires and another round (or instance) retries the session.
            log.exception("timer round failed")
            claimed = 0
        if claimed < engine.claim_limit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)

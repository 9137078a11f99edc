"""The timer loop: fires due deadlines on the engine's clock whether or not events arrive
(a silent session still gets its request). Writes contact-requests through the handlers."""

import asyncio
import logging

from proactive_engine.handlers import Engine, fire_due

log = logging.getLogger(__name__)


async def run_timer(engine: Engine, interval_seconds: float) -> None:
    """Fire due deadlines until cancelled; pause only when a round found nothing due."""
    while True:
        try:
            claimed = await fire_due(engine)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A lease left behind expires and another round (or instance) retries the session.
            log.exception("timer round failed")
            claimed = 0
        if claimed < engine.claim_limit:
            await asyncio.sleep(interval_seconds)

"""Housekeeping of telephony-ingest's store, in the service's background: expired webhook nonces
purged, and ledger lines forgotten once older than the retention. Reads and writes no topic."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from telephony_ingest.repository import Housekeeping

log = logging.getLogger(__name__)


async def housekeep_once(store: Housekeeping, now: datetime, retention: timedelta) -> None:
    nonces = await store.purge_nonces(now)
    lines = await store.forget_lines_before(now - retention)
    if lines:
        log.info("queue_log ledger lines forgotten", extra={"lines": lines, "nonces": nonces})


async def housekeep(store: Housekeeping, retention: timedelta, every_seconds: float) -> None:
    """Until cancelled, every `every_seconds`; a failed round (the database away) is logged and
    the next one tries again."""
    while True:
        try:
            await housekeep_once(store, datetime.now(UTC), retention)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("housekeeping round failed; the next one tries again")
        await asyncio.sleep(every_seconds)

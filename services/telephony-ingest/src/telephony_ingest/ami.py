"""AMI adapter: a `panoramisk` manager that logs in, receives every event and hands queue
events to `ami_events`, reconnecting with exponential backoff. Writes call-events,
agent-events and call-events.dlq through the sink.

panoramisk (1.4, asyncio) does the protocol; it reconnects after a fixed delay, so the manager
below sets that delay before each attempt from an exponential backoff reset on a good login.
"""

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

from panoramisk import Manager

from cc_runtime import HEADER_PREFIX
from telephony_ingest.ami_events import map_frame
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.queue_log import Ignored, Mapped
from telephony_ingest.sink import EventSink

log = logging.getLogger(__name__)

AMI = "ami"


class Backoff:
    """Delays base, 2 base, 4 base, ... up to a ceiling, with up to 10 % jitter."""

    def __init__(self, base: float, ceiling: float) -> None:
        self.base = base
        self.ceiling = ceiling
        self.attempts = 0

    def next_delay(self) -> float:
        delay = min(self.ceiling, self.base * 2.0**self.attempts)
        self.attempts = min(self.attempts + 1, 30)
        return delay * (1 + random.random() / 10)

    def reset(self) -> None:
        self.attempts = 0


class BackoffManager(Manager):  # type: ignore[misc]  # panoramisk is untyped
    def __init__(self, backoff: Backoff, **config: Any) -> None:
        super().__init__(**config)
        self.backoff = backoff
        self.connections = 0

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        # panoramisk waits `reconnect_timeout` before the next attempt if this one fails.
        self.reconnect_timeout = self.backoff.next_delay()
        self.connections += 1
        return super().connect(*args, **kwargs)


class AmiSource:
    def __init__(
        self,
        manager_config: Mapping[str, Any],
        backoff: Backoff,
        sink: EventSink,
        metrics: IngestMetrics,
        region: str,
        pbx_id: str,
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self.region = region
        self.pbx_id = pbx_id
        self.logged_in = asyncio.Event()
        self.lock = asyncio.Lock()
        self.manager = BackoffManager(
            backoff, **manager_config, on_login=self._on_login, on_disconnect=self._on_disconnect
        )
        self.manager.register_event("*", self._on_event)

    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.connect()

    async def stop(self) -> None:
        self.manager.close()
        self.manager.connection_lost = lambda _exc: None  # no reconnect after a wanted close

    def _on_login(self, manager: Manager) -> None:
        self.manager.backoff.reset()
        self.logged_in.set()
        log.info("AMI logged in", extra={"host": manager.config["host"]})

    def _on_disconnect(self, _: Manager, exc: object) -> None:
        self.logged_in.clear()
        log.warning("AMI connection lost; reconnecting with backoff", extra={"error": repr(exc)})

    async def _on_event(self, _: Manager, message: Mapping[str, Any]) -> None:
        outcome = map_frame(message, region=self.region, pbx_id=self.pbx_id)
        if isinstance(outcome, Ignored):
            return  # AMI sends every channel event; only queue events matter here
        async with self.lock:  # one frame at a time keeps a call's events in order
            if isinstance(outcome, Mapped):
                await self.sink.publish(outcome.event, AMI)
            else:
                frame = "".join(f"{k}: {v}\r\n" for k, v in message.items()).encode()
                headers = {
                    f"{HEADER_PREFIX}error": outcome.detail,
                    f"{HEADER_PREFIX}error-type": outcome.reason.value,
                    f"{HEADER_PREFIX}source": AMI,
                }
                key = str(message.get("Uniqueid", "")).encode() or None
                await self.sink.dead_letter(frame, key, headers)
                self.metrics.rejected.labels(AMI, outcome.reason.value).inc()
                log.warning("AMI frame dead-lettered", extra={"reason": outcome.reason.value})
            await self.sink.flush()


def manager_config(
    host: str, port: int, username: str, secret: str, ping_seconds: int = 10
) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "username": username,
        "secret": secret,
        "events": "on",
        "ping_delay": ping_seconds,
        "ping_interval": ping_seconds,
    }

"""AMI adapter: a `panoramisk` manager that logs in, receives every event, hands it to
`ami_events` and the calls in queue to `ami_calls`, and reconnects with exponential backoff.
Writes call-events, agent-events and call-events.dlq through the sink; counts ignored frames.

panoramisk (1.4, asyncio) does the protocol; it reconnects after a fixed delay, so the manager
below sets that delay before each attempt from an exponential backoff reset on a good login.
"""

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from panoramisk import Manager

from cc_runtime import HEADER_PREFIX
from cc_schemas import Event
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.ami_calls import (
    CallsInQueue,
    Decided,
    Unpublishable,
    Untracked,
    queue_entry,
)
from telephony_ingest.ami_events import Receipt, frame_text, ignored_kind, map_frame
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.queue_log import Ignored, Rejected
from telephony_ingest.sink import EventSink

log = logging.getLogger(__name__)

AMI = "ami"
UNTRACKED_CALL = "untracked_call"  # a Leave without a connect, of a call never seen joining
INVALID_EVENT = "invalid_event"  # a call's end the contract refuses


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
        identities: AgentIdentities | None = None,
        leave_grace_seconds: float = 10.0,
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self.region = region
        self.pbx_id = pbx_id
        self.identities = identities or AgentIdentities()
        self.calls = CallsInQueue(leave_grace_seconds)
        self.connection = "none"
        self.frames = itertools.count()
        self.logged_in = asyncio.Event()
        self.lock = asyncio.Lock()
        self.closer: asyncio.Task[None] | None = None
        self.manager = BackoffManager(
            backoff, **manager_config, on_login=self._on_login, on_disconnect=self._on_disconnect
        )
        self.manager.register_event("*", self._on_event)

    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.connect()
        self.closer = asyncio.create_task(self._close_exits())

    async def stop(self) -> None:
        self.manager.close()
        self.manager.connection_lost = lambda _exc: None  # no reconnect after a wanted close
        if self.closer is not None:
            self.closer.cancel()
            await asyncio.gather(self.closer, return_exceptions=True)
        # A caller who left within the grace: decided now rather than lost with the process.
        await self._publish_due(self.calls.due())

    def _on_login(self, manager: Manager) -> None:
        self.manager.backoff.reset()
        # Names this session in the ids of frames without a Timestamp (see ami_events).
        self.connection = f"{time.time():.6f}/{self.manager.connections}"
        self.frames = itertools.count()
        self.logged_in.set()
        log.info("AMI logged in", extra={"host": manager.config["host"]})
        self._resync()

    def _on_disconnect(self, _: Manager, exc: object) -> None:
        self.logged_in.clear()
        log.warning("AMI connection lost; reconnecting with backoff", extra={"error": repr(exc)})

    def _resync(self) -> None:
        """Ask which calls wait now: AMI does not resend the events a session missed. The
        reply is applied by a callback, which runs before the frames that followed it."""
        self.manager.send_action({"Action": "QueueStatus"}).add_done_callback(self._resynced)

    def _resynced(self, reply: "asyncio.Future[Any]") -> None:
        replies = None if reply.cancelled() or reply.exception() else reply.result()
        if not isinstance(replies, list):  # an error reply: the user may not read queues
            log.warning(
                "AMI QueueStatus failed; calls in queue not resynced",
                extra={"reply": repr(replies)},
            )
            return
        received = time.time()
        lost = self.calls.resync(q for r in replies if (q := queue_entry(r, received)))
        if lost:
            log.warning("AMI calls in queue ended while disconnected", extra={"calls": lost})

    async def _close_exits(self) -> None:
        tick = min(1.0, self.calls.grace_seconds / 4)
        while True:
            await asyncio.sleep(tick)
            decided: list[Decided] = []
            try:  # the loop must outlive a broker outage and any one call's fault
                decided = self.calls.due(time.monotonic())
                if decided:
                    await self._publish_due(decided)
            except Exception:
                calls = [d.event_id if isinstance(d, Event) else d.left.call_id for d in decided]
                log.exception("AMI calls' ends not published", extra={"calls": calls})

    async def _on_event(self, _: Manager, message: Mapping[str, Any]) -> None:
        # The receipt and the calls in queue are updated before the first await, so in the
        # order the frames arrived.
        receipt = Receipt(time.time(), self.connection, next(self.frames))
        outcome = map_frame(
            message,
            region=self.region,
            pbx_id=self.pbx_id,
            identities=self.identities,
            receipt=receipt,
        )
        if isinstance(outcome, Ignored):
            self.metrics.ignored.labels(AMI, ignored_kind(outcome.verb)).inc()
            return
        decided = self.calls.apply(outcome, time.monotonic())
        if not (decided or isinstance(outcome, Rejected)):
            return
        async with self.lock:  # one frame at a time keeps a call's events in order
            if isinstance(outcome, Rejected):
                call_id = message.get("Uniqueid")
                await self._dead_letter(
                    frame_text(message), call_id, outcome.reason.value, outcome.detail
                )
            await self._publish(decided)
            await self.sink.flush()

    async def _publish_due(self, decided: list[Decided]) -> None:
        async with self.lock:
            await self._publish(decided)
            await self.sink.flush()

    async def _publish(self, decided: list[Decided]) -> None:
        for item in decided:
            if isinstance(item, Untracked):
                left = item.left
                detail = f"{left.call_id} left {left.queue} unanswered; its join was not seen"
                await self._dead_letter(left.frame, left.call_id, UNTRACKED_CALL, detail)
            elif isinstance(item, Unpublishable):
                left = item.left
                await self._dead_letter(left.frame, left.call_id, INVALID_EVENT, item.error)
            else:
                await self.sink.publish(item, AMI)

    async def _dead_letter(self, frame: str, call_id: object, reason: str, detail: str) -> None:
        headers = {
            f"{HEADER_PREFIX}error": detail,
            f"{HEADER_PREFIX}error-type": reason,
            f"{HEADER_PREFIX}source": AMI,
        }
        key = str(call_id or "").encode(errors="backslashreplace") or None
        await self.sink.dead_letter(frame.encode(errors="backslashreplace"), key, headers)
        self.metrics.rejected.labels(AMI, reason).inc()
        log.warning("AMI frame dead-lettered", extra={"reason": reason})


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
        # Not sent again after a reconnect: each login asks QueueStatus afresh.
        "forgetable_actions": ("ping", "login", "queuestatus"),
    }

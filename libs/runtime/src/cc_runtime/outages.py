"""Outages of Kafka or PostgreSQL, logged once when they start and once when they end.

While a dependency is unreachable, every client retries: aiokafka logs each reconnection and
fetch, FastStream each failing handler, the consumer policy and the services' own loops each
retry, thousands of ERROR lines for a broker restart of seconds. `OutageLog` folds them into
two lines: "kafka outage started" (ERROR, with the first error) and "kafka outage ended after
N s" (WARNING, with how many lines it folded); the same for `postgresql`. A
record belongs to an outage when its exception says the dependency is unreachable
(`unreachable`), or when it is one of aiokafka's messages about a broker it cannot reach
(leader and coordinator errors only extend an outage already open: they also come for a moment
after topics are created). Any other record passes untouched, and at DEBUG level the folded
records are shown too. The outage ends when the dependency answers a probe again and no such
record came for `QUIET_SECONDS`."""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka import errors as kafka_errors

from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)

KAFKA = "kafka"
POSTGRESQL = "postgresql"
PROBE_INTERVAL_SECONDS = 1.0
QUIET_SECONDS = 3.0
PENDING_SECONDS = 20.0
CAUSE_DEPTH = 5

Probe = Callable[[], Awaitable[bool]]

# Raised while the broker cannot be reached.
KAFKA_UNREACHABLE: tuple[type[BaseException], ...] = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.RequestTimedOutError,
)
# Raised while a restarted broker elects leaders and loads its groups; also for a moment after
# topics are created, so they only belong to an outage already open, never open one.
KAFKA_RECOVERING: tuple[type[BaseException], ...] = (
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.GroupCoordinatorNotAvailableError,
    kafka_errors.NotCoordinatorForGroupError,
    kafka_errors.CoordinatorLoadInProgressError,
)


def _phrases(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(p) for p in phrases))


# What aiokafka logs, without an exception attached, about a broker it cannot reach.
AIOKAFKA_UNREACHABLE = _phrases(
    "Unable connect to node",
    "Unable to update metadata",
    "Unable to request metadata",
    "Connect call failed",
    "Heartbeat session expired",
    *(error.__name__ for error in KAFKA_UNREACHABLE),
)
AIOKAFKA_RECOVERING = _phrases(
    "Marking the coordinator dead",
    "is either not started or not valid",
    *(error.__name__ for error in KAFKA_RECOVERING),
)


def unreachable(error: BaseException | None) -> str | None:
    """The dependency an error (or an error it was raised from) says is unreachable."""
    for _ in range(CAUSE_DEPTH):
        if error is None:
            return None
        if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
            return POSTGRESQL
        if isinstance(error, KAFKA_UNREACHABLE):
            return KAFKA
        error = error.__cause__ or error.__context__
    return None


def outage_of(record: logging.LogRecord) -> tuple[str, bool] | None:
    """The dependency whose outage a log record reports, and whether it may open one (or
    only belongs to an outage already open)."""
    if record.levelno < logging.WARNING:
        return None
    error = record.exc_info[1] if record.exc_info else None
    if dependency := unreachable(error):
        return dependency, True
    if isinstance(error, KAFKA_RECOVERING):
        return KAFKA, False
    if record.name.startswith("aiokafka"):
        message = record.getMessage()
        if AIOKAFKA_UNREACHABLE.search(message):
            return KAFKA, True
        if AIOKAFKA_RECOVERING.search(message):
            return KAFKA, False
    return None


@dataclass
class Outage:
    started: float
    last_seen: float
    error: str
    announced: bool = False
    folded: int = 0


class OutageLog(logging.Filter):
    """A logging filter (installed on the root logger's handlers while a service runs) that
    folds the records of an outage into its start and end lines.

    Leader and coordinator errors alone make a pending outage: folded, and announced only
    when the dependency turns out unreachable or they last `PENDING_SECONDS` (a broker whose
    groups never load is shown); when they pass sooner, one INFO line says what was folded.
    """

    def __init__(
        self,
        probes: Mapping[str, Probe],
        *,
        quiet_seconds: float = QUIET_SECONDS,
        pending_seconds: float = PENDING_SECONDS,
        probe_interval_seconds: float = PROBE_INTERVAL_SECONDS,
    ) -> None:
        super().__init__()
        self.probes = probes
        self.quiet_seconds = quiet_seconds
        self.pending_seconds = pending_seconds
        self.probe_interval_seconds = probe_interval_seconds
        self.open: dict[str, Outage] = {}
        self.watchers: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._last: tuple[logging.LogRecord, bool] | None = None

    def install(self) -> None:
        self.loop = asyncio.get_running_loop()
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)

    async def uninstall(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)
        for watcher in list(self.watchers):
            watcher.cancel()
        await asyncio.gather(*self.watchers, return_exceptions=True)

    def filter(self, record: logging.LogRecord) -> bool:
        # Each handler of the root logger asks about the same record: count it once.
        if self._last is not None and self._last[0] is record:
            return self._last[1]
        shown = self._take(record) or logging.getLogger().isEnabledFor(logging.DEBUG)
        self._last = (record, shown)
        return shown

    def _take(self, record: logging.LogRecord) -> bool:
        """Whether the record is shown: not when it is folded into an outage."""
        found = outage_of(record)
        if found is None:
            return True
        dependency, unreachable_now = found
        error = record.exc_info[1] if record.exc_info else None
        self.seen(dependency, record.getMessage() + (f": {error!r}" if error else ""))
        if unreachable_now:
            self._announce(dependency)
        return False

    def seen(self, dependency: str, error: str) -> None:
        """Evidence of an outage of `dependency`: opens it (pending) or extends it."""
        now = time.monotonic()
        outage = self.open.get(dependency)
        if outage is not None:
            outage.last_seen = now
            outage.folded += 1
            return
        self.open[dependency] = Outage(started=now, last_seen=now, error=error[:500])
        if self.loop is not None and dependency in self.probes:
            self.loop.call_soon_threadsafe(self._watch, dependency)

    def _announce(self, dependency: str) -> None:
        outage = self.open[dependency]
        if outage.announced:
            return
        outage.announced = True
        log.error(
            f"{dependency} outage started",
            extra={"dependency": dependency, "error": outage.error},
        )

    def _watch(self, dependency: str) -> None:
        watcher = asyncio.ensure_future(self._wait_for_end(dependency))
        self.watchers.add(watcher)
        watcher.add_done_callback(self.watchers.discard)

    async def _wait_for_end(self, dependency: str) -> None:
        outage = self.open[dependency]
        while True:
            await asyncio.sleep(self.probe_interval_seconds)
            now = time.monotonic()
            if now - outage.started >= self.pending_seconds:
                self._announce(dependency)
            quiet = now - outage.last_seen >= self.quiet_seconds
            if quiet and await self._answers(dependency):
                break
        del self.open[dependency]
        seconds = round(time.monotonic() - outage.started, 1)
        extra = {"dependency": dependency, "seconds": seconds, "folded": outage.folded + 1}
        if outage.announced:
            log.warning(f"{dependency} outage ended after {seconds} s", extra=extra)
        else:
            log.info(f"{dependency}: leader or coordinator changes folded", extra=extra)

    async def _answers(self, dependency: str) -> bool:
        try:
            return await self.probes[dependency]()
        except Exception:
            return False

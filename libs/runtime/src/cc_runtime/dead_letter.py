"""The one consumer policy of every service, as a FastStream middleware.

- The offset is committed only after the handler returned, that is after its effects are
  stored (subscribers run with `AckPolicy.NACK_ON_ERROR`, see `kafka.consumer_options`).
- A transient failure is retried in place, a bounded number of times, with exponential backoff.
- A message that cannot be decoded or validated, or that keeps failing, is published to
  `<topic>.dlq` with the error, source topic, partition and offset in its headers; then it is
  committed, so a poison message never blocks its partition and nothing is dropped silently.
- While the infrastructure itself is down (PostgreSQL or Kafka unreachable), or the
  handler says `ReadAgainLater`, a message is not dead-lettered: the policy waits, then lets
  FastStream seek back so the message is read again.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from cc_runtime.outages import unreachable
from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
HEADER_PREFIX = "x-dlq-"
MAX_ERROR_CHARS = 2000


class ReadAgainLater(Exception):
    """Raised by a handler that cannot take a good message right now (its partition is in the
    middle of a rebalance, say): the message is read again later, never dead-lettered."""


# The infrastructure is unreachable: waiting helps, dead-lettering would lose good messages.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    KafkaConnectionError,
    KafkaTimeoutError,
    ConnectionError,
    ReadAgainLater,
    *DATABASE_UNAVAILABLE_ERRORS,
)


class PermanentError(Exception):
    """Raised by a handler for a message that no retry can fix (a domain rule rejects it)."""


# Bad data: retrying cannot help. pydantic's ValidationError and json's JSONDecodeError are
# ValueErrors too.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (PermanentError, ValueError)


class DeadLetterPublish(Protocol):
    async def __call__(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None: ...


class ConsumerMetrics:
    """Counters of the policy, on the service's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.dead_lettered = Counter(
            "cc_dlq_messages_total",
            "Messages sent to a dead-letter topic",
            ["service", "topic", "reason"],
            registry=registry,
        )
        self.failures = Counter(
            "cc_consumer_failures_total",
            "Handler failures, by what the policy did about them",
            ["service", "topic", "kind"],
            registry=registry,
        )

    def start_at_zero(self, service: str, topic: str) -> None:
        """Export the series before the first failure, so `increase()` alerts see it rise."""
        for reason in ("invalid", "failing"):
            self.dead_lettered.labels(service, topic, reason)
        for kind in ("retried", "infrastructure"):
            self.failures.labels(service, topic, kind)


@dataclass(frozen=True)
class DeadLetterPolicy:
    """Factory FastStream calls for every consumed message; see the module docstring."""

    service: str
    publish: DeadLetterPublish
    metrics: ConsumerMetrics
    max_attempts: int = 3
    backoff_seconds: float = 0.2

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> "DeadLetterScope":
        return DeadLetterScope(msg, context=context, policy=self)

    @property
    def max_backoff_seconds(self) -> float:
        return self.backoff_seconds * 2.0 ** (self.max_attempts + 2)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, Exception) and not isinstance(error, PERMANENT_ERRORS)


class DeadLetterScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy
        self.attempts = 0

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        # The first attempt runs outside tenacity, whose state forms reference cycles: through
        # them every message (a whole batch) would outlive its handling until the garbage
        # collector came by, instead of being freed at once (measured: bench/).
        self.attempts += 1
        try:
            return await call_next(msg)
        except Exception as error:
            if not is_retryable(error) or self.policy.max_attempts < 2:
                raise
            first_failure: Exception | None = error
        result: Any = None
        async for attempt in self._retrying():
            with attempt:
                if first_failure is not None:  # tenacity counts it and backs off as for any
                    failure, first_failure = first_failure, None
                    raise failure
                self.attempts += 1
                result = await call_next(msg)
        return result

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.policy.backoff_seconds,
                max=self.policy.max_backoff_seconds,
                jitter=self.policy.backoff_seconds,
            ),
            retry=retry_if_exception(is_retryable),
            before_sleep=self._count_retry,
            reraise=True,
        )

    def _count_retry(self, _: Any) -> None:
        self.policy.metrics.failures.labels(self.policy.service, self._topic(), "retried").inc()

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool:
        if not isinstance(exc_val, Exception):
            return False
        records = self._records()
        if not records:
            return False
        if isinstance(exc_val, INFRASTRUCTURE_ERRORS):
            await self._wait_for_infrastructure(exc_val)
            return False
        try:
            # A failing batch cannot tell which record is to blame: all go to the dead-letter
            # topic, where nothing is lost and they can be replayed.
            for record in records:
                await self._dead_letter(record, exc_val)
        except Exception:
            log.exception("could not dead-letter; the message will be read again")
            await asyncio.sleep(self.policy.max_backoff_seconds)
            raise
        return True

    async def _wait_for_infrastructure(self, error: Exception) -> None:
        self.policy.metrics.failures.labels(
            self.policy.service, self._topic(), "infrastructure"
        ).inc()
        # An outage's error goes with the record, so that the outage log folds it in.
        log.warning(
            "infrastructure unavailable; message will be read again",
            extra={"topic": self._topic(), "error": repr(error)},
            exc_info=error if unreachable(error) else None,
        )
        await asyncio.sleep(self.policy.max_backoff_seconds)

    async def _dead_letter(self, record: "ConsumerRecord[Any, Any]", error: Exception) -> None:
        policy = self.policy
        await DeadLetters(policy.publish, policy.service, policy.metrics).send(
            record, error, self.attempts
        )

    def _records(self) -> "tuple[ConsumerRecord[Any, Any], ...]":
        """The consumed record, or the records of a batch subscriber."""
        candidates = self.msg if isinstance(self.msg, tuple) else (self.msg,)
        return tuple(r for r in candidates if isinstance(r, ConsumerRecord))

    def _topic(self) -> str:
        records = self._records()
        return records[0].topic if records else "unknown"


class DeadLetters:
    """Sends consumed records to `<topic>.dlq` as the policy does (the record unchanged, its
    headers plus the x-dlq-* ones, counted on `cc_dlq_messages_total`, logged): for the policy
    itself, and for batch handlers that reject single records and let the rest of the batch
    go on."""

    def __init__(self, publish: DeadLetterPublish, service: str, metrics: ConsumerMetrics) -> None:
        self.publish = publish
        self.service = service
        self.metrics = metrics

    async def send(
        self, record: "ConsumerRecord[Any, Any]", error: Exception, attempts: int = 1
    ) -> None:
        reason = "invalid" if isinstance(error, PERMANENT_ERRORS) else "failing"
        headers = dict(_decode_headers(record.headers))
        headers.update(dead_letter_headers(record, error, self.service, attempts))
        await self.publish(record.topic + DLQ_SUFFIX, record.key, record.value or b"", headers)
        self.metrics.dead_lettered.labels(self.service, record.topic, reason).inc()
        log.error(
            "message sent to the dead-letter topic",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": repr(error),
            },
        )

    async def send_all(
        self, rejected: "Iterable[tuple[ConsumerRecord[Any, Any], Exception]]"
    ) -> None:
        for record, error in rejected:
            await self.send(record, error)


def dead_letter_headers(
    record: "ConsumerRecord[Any, Any]", error: Exception, service: str, attempts: int
) -> dict[str, str]:
    return {
        f"{HEADER_PREFIX}error": str(error)[:MAX_ERROR_CHARS],
        f"{HEADER_PREFIX}error-type": type(error).__name__,
        f"{HEADER_PREFIX}source-topic": record.topic,
        f"{HEADER_PREFIX}source-partition": str(record.partition),
        f"{HEADER_PREFIX}source-offset": str(record.offset),
        f"{HEADER_PREFIX}service": service,
        f"{HEADER_PREFIX}attempts": str(attempts),
        f"{HEADER_PREFIX}failed-at": datetime.now(UTC).isoformat(),
    }


def _decode_headers(headers: Sequence[tuple[str, bytes]]) -> list[tuple[str, str]]:
    return [(k, v.decode("utf-8", "backslashreplace")) for k, v in headers if v is not None]

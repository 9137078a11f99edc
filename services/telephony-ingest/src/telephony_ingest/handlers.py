"""Use cases of telephony-ingest: queue_log lines to events or dead letters, each line at most
once, and webhook events published. No HTTP or Kafka client here: sink and repositories are
passed in. Writes (through the sink) call-events, agent-events and call-events.dlq.

A line is deduplicated by its own identity, the event id derived from it (its time, call id,
queue, agent, verb and fields, with the PBX's id), never by the file it came in: the same line
in a re-upload, a rotated copy or another file is a duplicate; another line is not, whatever
the file's first line. Lines are handled in batches: the batch's lines are written to the open
batches, recorded in the line ledger (which says which are new), the new ones published or
dead-lettered, the sink flushed, and the batch closed. The ledger holds a batch's new lines
open in the transaction that records them; a crash before the close leaves the batch open, and
the next import after its lease hands its lines to the sink again (at least once, same event
ids), since the ledger already counts them as seen.

Every line read is counted once in the report: published, duplicates, ignored (blank lines,
verbs without a lifecycle fact), rejected (dead-lettered, by reason) or unknown verbs (by verb).
Unknown verbs are counted, not dead-lettered line by line: the first line of each unknown verb
in an import goes to the DLQ as a sample (reason `unknown_verb`, header `x-dlq-sample`), once
across imports like any dead letter.

An import asked for over HTTP (`import_for`) is audited before it starts (no line is published
without the row saying who asked), and its events carry the caller as the envelope's `actor`;
the live follower's, and a crashed import's lines handed over again, carry none.
"""

import asyncio
import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from cc_runtime import HEADER_PREFIX, AuditEntry, AuditTrail
from cc_schemas import Actor, Event
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.files import MAX_LINE_BYTES, complete_lines
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.queue_log import (
    Ignored,
    Line,
    Mapped,
    RejectReason,
    Unknown,
    classify_line,
    line_event_id,
    map_line,
)
from telephony_ingest.repository import LineLedger, OpenBatch, Progress
from telephony_ingest.sink import EventPublisher, EventSink

log = logging.getLogger(__name__)

QUEUE_LOG = "queue_log"
WEBHOOK = "webhook"
LINE_TOO_LONG = "line_too_long"
DLQ_COPY_BYTES = 16 * 1024  # what a dead letter keeps of a line too long
BATCH_BYTES = 4 * 1024 * 1024  # of lines held in one open batch (a row of its own)
LEASE = timedelta(minutes=10)  # an open batch older than this was left by a crash
YIELD_EVERY = 500  # lines parsed between two turns given to the batch being committed

START = Progress()

Checkpoint = Callable[[Progress], Awaitable[None]]


class ImportIncompleteError(RuntimeError):
    """Lines were read that are in no count of the report: a bug, never answered as success."""


@dataclass
class ImportReport:
    """What one import (or one pass of the follower) did with a file's lines."""

    name: str
    start: Progress
    progress: Progress
    published: int = 0
    duplicates: int = 0
    ignored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    unknown_verbs: Counter[str] = field(default_factory=Counter)

    @property
    def lines(self) -> int:
        return self.progress.line - self.start.line

    @property
    def accounted(self) -> int:
        return (
            self.published
            + self.duplicates
            + self.ignored
            + sum(self.rejected.values())
            + sum(self.unknown_verbs.values())
        )


@dataclass(frozen=True)
class LineContext:
    region: str
    pbx_id: str
    checkpoint_lines: int
    identities: AgentIdentities = field(default_factory=AgentIdentities)
    lease: timedelta = LEASE


@dataclass(frozen=True, slots=True)
class Candidate:
    """A line that asks something of the sink: its event published (once `line` is mapped,
    which is done only for a line not handled before), or itself dead-lettered."""

    line_id: str
    number: int
    raw: bytes
    length: int
    line: Line | None = None
    reason: str = ""
    detail: str = ""
    sample: bool = False  # the first line of an unknown verb: counted as unknown, not rejected


class QueueLogLines:
    """Decides what each queue_log line asks for (counting those that ask for nothing) and
    hands it on: the event to the sink, a rejected line to the dead-letter topic with its
    reason and position in the headers."""

    def __init__(
        self,
        sink: EventSink,
        metrics: IngestMetrics,
        context: LineContext,
        actor: Actor | None = None,
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self.context = context
        self.actor = actor  # who asked for the lines, named on their events

    def acting_for(self, actor: Actor) -> "QueueLogLines":
        """The same lines, their events carrying `actor`."""
        return QueueLogLines(self.sink, self.metrics, self.context, actor)

    def decide(
        self, raw: bytes, length: int, number: int, report: ImportReport, sampled: set[str]
    ) -> Candidate | None:
        if length > MAX_LINE_BYTES:
            line_id = ledger_key(raw, line_event_id(self.context.pbx_id, f"{raw.hex()}:{length}"))
            detail = f"line of {length} bytes, at most {MAX_LINE_BYTES} read"
            return Candidate(line_id, number, raw, length, reason=LINE_TOO_LONG, detail=detail)
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if not text.strip():
            self.metrics.ignored.labels(QUEUE_LOG, "blank").inc()
            report.ignored += 1
            return None
        context = self.context
        outcome = classify_line(
            text, region=context.region, pbx_id=context.pbx_id, identities=context.identities
        )
        if isinstance(outcome, Ignored):
            self.metrics.ignored.labels(QUEUE_LOG, outcome.verb).inc()
            report.ignored += 1
            return None
        line_id = ledger_key(raw, line_event_id(context.pbx_id, text))
        if isinstance(outcome, Line):
            return Candidate(line_id, number, raw, length, line=outcome)
        if isinstance(outcome, Unknown):
            self.metrics.unknown_verb(QUEUE_LOG, outcome.verb)
            report.unknown_verbs[outcome.verb] += 1
            if outcome.verb in sampled:
                return None
            sampled.add(outcome.verb)
            detail = f"unknown verb {outcome.verb!r} (its first line here; all are counted)"
            reason = RejectReason.UNKNOWN_VERB.value
            return Candidate(line_id, number, raw, length, None, reason, detail, sample=True)
        reason, detail = outcome.reason.value, outcome.detail
        return Candidate(line_id, number, raw, length, reason=reason, detail=detail)

    async def send(self, candidate: Candidate, report: ImportReport) -> None:
        if candidate.line is not None:
            outcome = map_line(candidate.line)
            if isinstance(outcome, Mapped):
                event = outcome.event
                if self.actor is not None:
                    event = event.model_copy(update={"actor": self.actor})
                await self.sink.publish(event, QUEUE_LOG)
                report.published += 1
                return
            candidate = replace(
                candidate, line=None, reason=outcome.reason.value, detail=outcome.detail
            )
        await self._dead_letter(candidate, report.name)
        if not candidate.sample:
            report.rejected[candidate.reason] += 1

    async def _dead_letter(self, candidate: Candidate, name: str) -> None:
        headers = {
            f"{HEADER_PREFIX}error": candidate.detail,
            f"{HEADER_PREFIX}error-type": candidate.reason,
            f"{HEADER_PREFIX}source": QUEUE_LOG,
            f"{HEADER_PREFIX}file": name,
            f"{HEADER_PREFIX}line-number": str(candidate.number),
            f"{HEADER_PREFIX}line-id": candidate.line_id,
        }
        value = candidate.raw
        if candidate.length > MAX_LINE_BYTES:
            value = value[:DLQ_COPY_BYTES]
            headers[f"{HEADER_PREFIX}truncated"] = f"{DLQ_COPY_BYTES} of {candidate.length} bytes"
        if candidate.sample:
            headers[f"{HEADER_PREFIX}sample"] = "first line of this unknown verb in the import"
        fields = value[:200].split(b"|")
        key = fields[1].strip() or None if len(fields) > 1 else None
        await self.sink.dead_letter(value, key, headers)
        if not candidate.sample:
            self.metrics.rejected.labels(QUEUE_LOG, candidate.reason).inc()
            log.warning(
                "queue_log line dead-lettered",
                extra={"file": name, "line": candidate.number, "reason": candidate.reason},
            )


def ledger_key(raw: bytes, line_id: str) -> str:
    """A line's key in the ledger: its id behind its epoch, so that keys grow in time order as
    a queue_log does and a batch's inserts fall on the right edge of the ledger's unique index
    instead of pages all over it. The same line, the same key."""
    end = raw.find(b"|")
    epoch = raw[:end] if end > 0 else b""
    if epoch.isdigit() and len(epoch) <= 11:
        return f"{int(epoch):011d}.{line_id}"
    return line_id


async def import_queue_log(
    source: BinaryIO,
    name: str,
    lines: QueueLogLines,
    ledger: LineLedger,
    *,
    start: Progress = START,
    final: bool = True,
    checkpoint: Checkpoint | None = None,
) -> ImportReport:
    """Publish (or dead-letter) each line of a queue_log file from `start` that no import has
    handled before; count every line read in the report.

    `checkpoint` is called with the position read so far after each batch the broker has
    acknowledged (the follower stores it to resume there).
    """
    await recover_open_batches(lines, ledger)
    report = ImportReport(name, start, start)
    batch: list[Candidate] = []
    batch_bytes, number, sampled = 0, start.line, set[str]()
    last = start
    # One batch is committed (ledger, producer, flush) while the next one is read and parsed:
    # the database works in its own process meanwhile. Batches commit one after the other.
    committing: asyncio.Task[None] | None = None
    try:
        async for raw, length, end in complete_lines(source, start.offset, final=final):
            number += 1
            candidate = lines.decide(raw, length, number, report, sampled)
            report.progress = Progress(end, number)
            if candidate is not None:
                batch.append(candidate)
                batch_bytes += len(raw)
            # Cut by what the batch holds, not by lines read: the same lines make the same
            # batches in any file, so a batch met again is recognised whole (`batch_known`).
            if len(batch) >= lines.context.checkpoint_lines or batch_bytes >= BATCH_BYTES:
                step = _commit(batch, lines, ledger, report, report.progress, checkpoint)
                committing = await _after(committing, step)
                batch, batch_bytes, last = [], 0, report.progress
            elif committing is not None and number % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the commit in flight go on between its awaits
        if batch or report.progress != last:
            step = _commit(batch, lines, ledger, report, report.progress, checkpoint)
            committing = await _after(committing, step)
        if committing is not None:
            await committing
    finally:
        if committing is not None and not committing.done():
            committing.cancel()
    if report.accounted != report.lines:
        counted = report.accounted
        raise ImportIncompleteError(f"{name}: {report.lines} lines read, {counted} counted")
    return report


async def import_for(
    source: BinaryIO,
    name: str,
    write: AuditEntry,
    *,
    lines: QueueLogLines,
    ledger: LineLedger,
    trail: AuditTrail,
) -> ImportReport:
    """An import a signed-in caller asked for: audited first, its events naming them."""
    await trail.record(write.on(name))
    actor = Actor(subject=write.subject, role=write.role)
    return await import_queue_log(source, name, lines.acting_for(actor), ledger)


async def _after(
    previous: "asyncio.Task[None] | None", step: Coroutine[None, None, None]
) -> "asyncio.Task[None]":
    """Start `step` once `previous` has finished (raising what it raised)."""
    if previous is not None:
        try:
            await previous
        except BaseException:
            step.close()
            raise
    return asyncio.create_task(step)


async def _commit(
    batch: Sequence[Candidate],
    lines: QueueLogLines,
    ledger: LineLedger,
    report: ImportReport,
    read: Progress,
    checkpoint: Checkpoint | None,
) -> None:
    """Hand the batch's new lines to the sink, each line once across imports, at least once
    across crashes; then tell `checkpoint` how far the file is read."""
    if batch:
        await _hand_over(batch, lines, ledger, report)
    if checkpoint is not None:
        await checkpoint(read)


async def _hand_over(
    batch: Sequence[Candidate], lines: QueueLogLines, ledger: LineLedger, report: ImportReport
) -> None:
    key = batch_key(batch)
    if await ledger.batch_known(key):
        _count_duplicates(batch, [False] * len(batch), lines, report)
        return
    expires = datetime.now(UTC) + lines.context.lease
    held = [(c.number, c.raw, c.length) for c in batch]
    opened = OpenBatch(uuid.uuid4().hex, report.name, expires, held)
    new = await ledger.open_batch(opened, [c.line_id for c in batch])
    for candidate, is_new in zip(batch, new, strict=True):
        if is_new:
            await lines.send(candidate, report)
    _count_duplicates(batch, new, lines, report)
    await lines.sink.flush()
    await ledger.close_batch(opened.batch_id, key)


def batch_key(batch: Sequence[Candidate]) -> str:
    """The identity of a batch: a hash of its lines' ids, in order."""
    digest = hashlib.blake2b(digest_size=16)
    for candidate in batch:
        digest.update(candidate.line_id.encode())
    return digest.hexdigest()


def _count_duplicates(
    batch: Sequence[Candidate], new: Sequence[bool], lines: QueueLogLines, report: ImportReport
) -> None:
    duplicates = sum(1 for c, is_new in zip(batch, new, strict=True) if not is_new and not c.sample)
    report.duplicates += duplicates
    lines.metrics.duplicates.labels(QUEUE_LOG).inc(duplicates)


async def recover_open_batches(lines: QueueLogLines, ledger: LineLedger) -> int:
    """Hand the lines of batches left open by a crashed importer to the sink again; returns
    how many lines that was."""
    recovered = 0
    for opened in await ledger.expired_batches(datetime.now(UTC)):
        report = ImportReport(opened.name, Progress(), Progress())
        sampled: set[str] = set()
        for number, raw, length in opened.lines:
            candidate = lines.decide(raw, length, number, report, sampled)
            if candidate is not None:
                await lines.send(candidate, report)
        await lines.sink.flush()
        await ledger.close_batch(opened.batch_id, opened.batch_id)
        recovered += len(opened.lines)
        log.warning(
            "queue_log batch left open by a crash handed to the broker again",
            extra={"file": opened.name, "lines": len(opened.lines)},
        )
    return recovered


async def publish_events(events: Sequence[Event], publisher: EventPublisher) -> None:
    """Publish webhook events and wait until the broker has them all."""
    await publisher.publish_now(events, WEBHOOK)

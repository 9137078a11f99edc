"""Use cases of telephony-ingest: queue_log lines to events or dead letters, a whole file
imported once, webhook events published. No HTTP or Kafka client here: sink and repositories
are passed in. Writes (through the sink) call-events, agent-events and call-events.dlq."""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from cc_runtime import HEADER_PREFIX
from cc_schemas import Event
from telephony_ingest.files import complete_lines, fingerprint
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.queue_log import Ignored, Mapped, Rejected, parse_line
from telephony_ingest.repository import Progress, ProgressRepository
from telephony_ingest.sink import EventSink

log = logging.getLogger(__name__)

QUEUE_LOG = "queue_log"
WEBHOOK = "webhook"


@dataclass
class ImportReport:
    """What one import (or one pass of the follower) did with a file."""

    file_id: str
    name: str
    resumed_at: Progress
    progress: Progress
    published: int = 0
    ignored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def lines(self) -> int:
        return self.progress.line - self.resumed_at.line


@dataclass(frozen=True)
class LineContext:
    region: str
    pbx_id: str
    checkpoint_lines: int


class QueueLogLines:
    """Hands each queue_log line's outcome on: the event to the sink, a rejected line to the
    dead-letter topic with its reason and position in the headers, an ignored verb counted."""

    def __init__(self, sink: EventSink, metrics: IngestMetrics, context: LineContext) -> None:
        self.sink = sink
        self.metrics = metrics
        self.context = context

    async def handle(self, raw: bytes, number: int, report: ImportReport) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if not text.strip():
            self.metrics.ignored.labels(QUEUE_LOG, "blank").inc()
            report.ignored += 1
            return
        outcome = parse_line(text, region=self.context.region, pbx_id=self.context.pbx_id)
        if isinstance(outcome, Mapped):
            await self.sink.publish(outcome.event, QUEUE_LOG)
            report.published += 1
        elif isinstance(outcome, Ignored):
            self.metrics.ignored.labels(QUEUE_LOG, outcome.verb).inc()
            report.ignored += 1
        else:
            await self._reject(raw, text, number, outcome, report)

    async def _reject(
        self, raw: bytes, text: str, number: int, outcome: Rejected, report: ImportReport
    ) -> None:
        headers = {
            f"{HEADER_PREFIX}error": outcome.detail,
            f"{HEADER_PREFIX}error-type": outcome.reason.value,
            f"{HEADER_PREFIX}source": QUEUE_LOG,
            f"{HEADER_PREFIX}file": report.name,
            f"{HEADER_PREFIX}file-id": report.file_id,
            f"{HEADER_PREFIX}line-number": str(number),
        }
        fields = text.split("|")
        key = fields[1].encode() if len(fields) > 1 and fields[1] else None
        await self.sink.dead_letter(raw, key, headers)
        self.metrics.rejected.labels(QUEUE_LOG, outcome.reason.value).inc()
        report.rejected[outcome.reason.value] += 1
        log.warning(
            "queue_log line dead-lettered",
            extra={"file": report.name, "line": number, "reason": outcome.reason.value},
        )


async def import_queue_log(
    source: BinaryIO,
    name: str,
    lines: QueueLogLines,
    progress: ProgressRepository,
    *,
    final: bool = True,
) -> ImportReport | None:
    """Publish the lines of a queue_log file not published before; None if it has no line yet.

    Progress is stored per file (by fingerprint) only after the sink flushed, so importing the
    same file again publishes nothing, and an interrupted import resumes where it stopped.
    """
    file_id = fingerprint(source, final=final)
    if file_id is None:
        return None
    resumed = await progress.progress_of(file_id)
    report = ImportReport(file_id, name, resumed, resumed)
    number, last = resumed.line, resumed
    async for raw, offset in complete_lines(source, resumed.offset, final=final):
        number += 1
        await lines.handle(raw, number, report)
        report.progress = Progress(offset, number)
        if number - last.line >= lines.context.checkpoint_lines:
            last = await _checkpoint(lines.sink, progress, report)
    if report.progress != last:
        await _checkpoint(lines.sink, progress, report)
    return report


async def _checkpoint(
    sink: EventSink, progress: ProgressRepository, report: ImportReport
) -> Progress:
    await sink.flush()
    await progress.save_progress(report.file_id, report.progress, report.name)
    return report.progress


async def publish_events(events: Sequence[Event], sink: EventSink) -> None:
    """Publish webhook events and wait until the broker has them all."""
    for event in events:
        await sink.publish(event, WEBHOOK)
    await sink.flush()

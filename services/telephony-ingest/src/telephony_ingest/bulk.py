"""Bulk import of queue_log files without the HTTP service, for the dev CLI and benchmarks.
Writes call-events, agent-events and call-events.dlq; the line ledger in MongoDB, shared with
the service, so a line imported here is a duplicate there and the other way round."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from cc_runtime import ensure_topics
from cc_schemas import AGENT_EVENTS, CALL_EVENTS, dlq
from telephony_ingest.app import line_context
from telephony_ingest.handlers import ImportReport, QueueLogLines, import_queue_log
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import MongoRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink


async def import_queue_log_files(
    paths: Sequence[Path],
    settings: Settings | None = None,
    registry: CollectorRegistry | None = None,
) -> list[ImportReport]:
    """Import each file's lines not imported before (by any import); one report per file."""
    settings = settings or Settings()
    topics = [settings.topic(t) for t in (CALL_EVENTS, AGENT_EVENTS, dlq(CALL_EVENTS))]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    metrics = IngestMetrics(registry or CollectorRegistry())
    sink = KafkaEventSink(settings, metrics)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    await sink.start()
    try:
        lines = QueueLogLines(sink, metrics, line_context(settings))
        repository = MongoRepository(mongo[settings.database_name])
        reports = []
        for path in paths:
            with path.open("rb") as source:
                reports.append(await import_queue_log(source, str(path), lines, repository))
        return reports
    finally:
        await sink.stop()
        await mongo.close()

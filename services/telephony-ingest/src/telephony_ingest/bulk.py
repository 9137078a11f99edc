"""Bulk import of queue_log files without the HTTP service, for the dev CLI and benchmarks.
Writes call-events, agent-events and call-events.dlq; the line ledger in the service's
PostgreSQL schema (migrated first), shared with the service, so a line imported here is a
duplicate there and the other way round."""

from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_runtime.migrations import migrate, package_migrations
from cc_runtime.postgres import Database
from cc_schemas import AGENT_EVENTS, CALL_EVENTS, dlq
from telephony_ingest.app import line_context, people_directory
from telephony_ingest.directory import KeycloakDirectory
from telephony_ingest.handlers import ImportReport, QueueLogLines, import_queue_log
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.naming import PersonNamingSink
from telephony_ingest.repository import PostgresRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink


async def open_database(settings: Settings) -> Database:
    """The service's schema, migrated to this build's version."""
    database = Database(
        settings.postgres_url, settings.postgres_schema, application_name="telephony-ingest-bulk"
    )
    await database.open()
    try:
        async with database.connection() as connection:
            await migrate(connection, database.schema, package_migrations("telephony_ingest"))
    except BaseException:
        await database.close()
        raise
    return database


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
    database = await open_database(settings)
    await sink.start()
    try:
        context = line_context(settings)
        directory = people_directory(settings, context.identities)
        if isinstance(directory, KeycloakDirectory):
            await directory.refresh()
        lines = QueueLogLines(PersonNamingSink(sink, directory), metrics, context)
        repository = PostgresRepository(database)
        reports = []
        for path in paths:
            with path.open("rb") as source:
                reports.append(await import_queue_log(source, str(path), lines, repository))
        return reports
    finally:
        await sink.stop()
        await database.close()

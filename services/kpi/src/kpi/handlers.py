"""Use cases of kpi: plain functions over the event store, the projection and the metrics; no
Kafka or HTTP."""

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence

from cc_schemas import CallEvent, Event
from kpi.metrics import KpiMetrics
from kpi.repository import EventStore
from kpi.state import KpiState

log = logging.getLogger(__name__)


async def record_events(
    events: Sequence[tuple[str, Event]], store: EventStore, state: KpiState, metrics: KpiMetrics
) -> int:
    """Store a batch of (topic, event) once, then fold it into the KPIs; returns how many events
    were new.

    Everything is stored before anything is folded or committed, so a failure leaves the batch
    to be read again; a redelivered batch stores nothing new and counts nothing twice. Events
    the projection holds already are stored already and are not sent again (on FerretDB one
    duplicate key makes a whole bulk insert several times slower); the store still detects
    the other duplicates. Known events are folded too: the projection deduplicates on its own,
    and an event stored just before a failure must not be lost on its redelivery.
    """
    by_topic: dict[str, list[Event]] = defaultdict(list)
    for topic, event in events:
        if not state.knows(event):
            by_topic[topic].append(event)
    new = 0
    for topic, batch in by_topic.items():
        stored = await store.add_many(topic, batch)
        new += len(stored)
        _count(topic, [e for e in _distinct(batch) if e.event_id in stored], metrics)
    for topic, event in events:
        state.apply(topic, event)
    return new


def _distinct(events: Sequence[Event]) -> list[Event]:
    return list({event.event_id: event for event in events}.values())


def _count(topic: str, stored: Sequence[Event], metrics: KpiMetrics) -> None:
    if stored:
        metrics.events.labels(topic).inc(len(stored))
    for event_type, n in Counter(e.event_type for e in stored if isinstance(e, CallEvent)).items():
        metrics.call_events.labels(event_type).inc(n)


async def rebuild(topics: list[str], store: EventStore, state: KpiState) -> int:
    """Fold every stored event into an empty projection (at start-up); returns how many."""
    count = 0
    for topic in topics:
        async for event in store.replay(topic):
            state.apply(topic, event)
            count += 1
    log.info("kpi projection rebuilt", extra={"events": count})
    return count

"""Use cases of kpi: plain functions over the event store, the projection and the metrics; no
Kafka or HTTP."""

import logging

from cc_schemas import CallEvent, Event
from kpi.metrics import KpiMetrics
from kpi.repository import EventStore
from kpi.state import KpiState

log = logging.getLogger(__name__)


async def record_event(
    topic: str, event: Event, store: EventStore, state: KpiState, metrics: KpiMetrics
) -> bool:
    """Store an event once, then fold it into the KPIs; True when it was new.

    The projection is updated even when the store already had the event: it deduplicates on
    its own, and a redelivery after a failure between the two steps must not be lost.
    """
    stored = await store.add(topic, event)
    state.apply(topic, event)
    if stored:
        metrics.events.labels(topic).inc()
        if isinstance(event, CallEvent):
            metrics.call_events.labels(event.event_type).inc()
    return stored


async def rebuild(topics: list[str], store: EventStore, state: KpiState) -> int:
    """Fold every stored event into an empty projection (at start-up); returns how many."""
    count = 0
    for topic in topics:
        async for event in store.replay(topic):
            state.apply(topic, event)
            count += 1
    log.info("kpi projection rebuilt", extra={"events": count})
    return count

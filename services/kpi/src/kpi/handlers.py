"""Use cases of kpi: plain functions over the event store and the projection (which the
metrics and reports read); no Kafka or HTTP."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from cc_schemas import Event
from kpi.repository import EventStore
from kpi.state import KpiState

log = logging.getLogger(__name__)


async def record_events(
    events: Sequence[tuple[str, Event]], store: EventStore, state: KpiState, received_at: datetime
) -> int:
    """Store a batch of (topic, event) received at `received_at` once, then fold it into the
    KPIs; returns how many events were new to the store.

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
        new += len(await store.add_many(topic, batch, received_at))
    for topic, event in events:
        state.apply(topic, event, received_at)
    return new


async def rebuild(topics: list[str], store: EventStore, state: KpiState) -> int:
    """Fold every stored event into an empty projection (at start-up); returns how many."""
    count = 0
    for topic in topics:
        async for stored in store.replay(topic):
            state.apply(topic, stored.event, stored.received_at)
            count += 1
    log.info("kpi projection rebuilt", extra={"events": count})
    return count

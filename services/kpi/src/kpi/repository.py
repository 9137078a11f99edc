"""Where kpi stores what it consumed: one collection of events per topic, `_id` = event id, so a
redelivered event collides instead of counting twice. Every MongoDB call of the service is here.

A consumed batch is stored with one unordered `insert_many` per topic: every new event is
inserted, and the duplicate-key errors (code 11000) of the others tell which ones were known.
Each document also keeps when kpi received it (`_received_at`, wall clock), so that the time
events last arrived survives a restart (the staleness alert reads it).

The KPIs are a projection of these stored events (see `state.py`), rebuilt from them at start-up.
"""

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from cc_runtime.mongo import insert_new
from cc_schemas import Event, topic_spec


def collection_name(topic: str) -> str:
    """`call-events` -> `call_events`."""
    return topic.replace("-", "_")


class StoredEvent(NamedTuple):
    event: Event
    received_at: datetime | None  # None for events stored before kpi kept it


class EventStore(Protocol):
    async def add_many(
        self, topic: str, events: Iterable[Event], received_at: datetime
    ) -> set[str]:
        """Store the events of one topic, received at `received_at`; returns the ids of those
        that were not stored yet."""
        ...

    def replay(self, topic: str) -> AsyncIterator[StoredEvent]:
        """Every stored event of a topic, in no particular order."""
        ...


class MongoEventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def add_many(
        self, topic: str, events: Iterable[Event], received_at: datetime
    ) -> set[str]:
        documents = {
            e.event_id: {
                "_id": e.event_id,
                "_received_at": received_at,
                **e.model_dump(mode="json"),
            }
            for e in events
        }
        return await insert_new(self.db[collection_name(topic)], list(documents.values()))

    async def replay(self, topic: str) -> AsyncIterator[StoredEvent]:
        spec = topic_spec(topic)
        async for document in self.db[collection_name(topic)].find({}, batch_size=5000):
            document.pop("_id", None)
            received_at = document.pop("_received_at", None)
            yield StoredEvent(spec.adapter.validate_python(document), received_at)

    async def count(self, topic: str) -> int:
        return await self.db[collection_name(topic)].count_documents({})

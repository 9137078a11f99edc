"""Where kpi stores what it consumed: one collection of events per topic, `_id` = event id, so a
redelivered event collides instead of counting twice. Every MongoDB call of the service is here.

A consumed batch is stored with one unordered `insert_many` per topic: every new event is
inserted, and the duplicate-key errors (code 11000) of the others tell which ones were known.

The KPIs are a projection of these stored events (see `state.py`), rebuilt from them at start-up.
"""

from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from cc_runtime.mongo import insert_new
from cc_schemas import Event, topic_spec


def collection_name(topic: str) -> str:
    """`call-events` -> `call_events`."""
    return topic.replace("-", "_")


class EventStore(Protocol):
    async def add_many(self, topic: str, events: Iterable[Event]) -> set[str]:
        """Store the events of one topic; returns the ids of those that were not stored yet."""
        ...

    def replay(self, topic: str) -> AsyncIterator[Event]:
        """Every stored event of a topic, in no particular order."""
        ...


class MongoEventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def add_many(self, topic: str, events: Iterable[Event]) -> set[str]:
        documents = {e.event_id: {"_id": e.event_id, **e.model_dump(mode="json")} for e in events}
        return await insert_new(self.db[collection_name(topic)], list(documents.values()))

    async def replay(self, topic: str) -> AsyncIterator[Event]:
        spec = topic_spec(topic)
        async for document in self.db[collection_name(topic)].find({}, batch_size=5000):
            document.pop("_id", None)
            yield spec.adapter.validate_python(document)

    async def count(self, topic: str) -> int:
        return await self.db[collection_name(topic)].count_documents({})

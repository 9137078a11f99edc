"""Where kpi stores what it consumed: one collection of events per topic, `_id` = event id, so a
redelivered event collides instead of counting twice. Every MongoDB call of the service is here.

The KPIs are a projection of these stored events (see `state.py`), rebuilt from them at start-up.
"""

from collections.abc import AsyncIterator
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_schemas import Event, topic_spec


def collection_name(topic: str) -> str:
    """`call-events` -> `call_events`."""
    return topic.replace("-", "_")


class EventStore(Protocol):
    async def add(self, topic: str, event: Event) -> bool:
        """Store the event; False when an event with its id is already stored."""
        ...

    def replay(self, topic: str) -> AsyncIterator[Event]:
        """Every stored event of a topic, in no particular order."""
        ...


class MongoEventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def add(self, topic: str, event: Event) -> bool:
        document = {"_id": event.event_id, **event.model_dump(mode="json")}
        try:
            await self.db[collection_name(topic)].insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def replay(self, topic: str) -> AsyncIterator[Event]:
        spec = topic_spec(topic)
        async for document in self.db[collection_name(topic)].find({}, batch_size=5000):
            document.pop("_id", None)
            yield spec.adapter.validate_python(document)

    async def count(self, topic: str) -> int:
        return await self.db[collection_name(topic)].count_documents({})

"""Where kpi stores what it consumed. Every MongoDB call of the service lives here."""

from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_schemas import CallEvent


class CallEventRepository(Protocol):
    async def add(self, event: CallEvent) -> bool:
        """Store the event; False when an event with its id is already stored."""
        ...


class MongoCallEventRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.events = db["call_events"]

    async def add(self, event: CallEvent) -> bool:
        # The event id is the document id: a redelivered event collides instead of counting twice.
        document = {"_id": event.event_id, **event.model_dump(mode="python")}
        try:
            await self.events.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def count(self) -> int:
        return await self.events.count_documents({})

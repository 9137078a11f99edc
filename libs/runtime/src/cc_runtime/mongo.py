"""MongoDB helpers every service can use on FerretDB 1.x as on MongoDB."""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], documents: Sequence[dict[str, Any]]
) -> set[Any]:
    """Insert the documents unordered; returns the `_id`s that were new. A document whose
    `_id` is already stored is left as it is (its duplicate-key error says so); any other
    failure is raised."""
    if not documents:
        return set()
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as error:
        details = error.details
        write_errors = details.get("writeErrors", [])
        if details.get("writeConcernErrors") or any(
            e.get("code") != DUPLICATE_KEY for e in write_errors
        ):
            raise
        known = {documents[e["index"]]["_id"] for e in write_errors}
        return {d["_id"] for d in documents} - known
    return {d["_id"] for d in documents}

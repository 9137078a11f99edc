"""Where telephony-ingest keeps what must survive a restart. Every MongoDB call lives here.

- `queue_log_progress`: per queue_log file (identified by a fingerprint of its first line, so a
  rotated, renamed or uploaded copy is the same file) the byte offset and line number up to
  which its lines are published.
- `queue_log_follow`: per followed path, the file being followed (inode, fingerprint).
- `webhook_nonces`: signatures of webhook requests already accepted, until they expire.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Progress:
    offset: int = 0
    line: int = 0


@dataclass(frozen=True)
class FollowedFile:
    inode: int
    device: int
    fingerprint: str


class ProgressRepository(Protocol):
    async def progress_of(self, file_id: str) -> Progress: ...

    async def save_progress(self, file_id: str, progress: Progress, name: str) -> None: ...


class FollowRepository(Protocol):
    async def followed(self, path: str) -> FollowedFile | None: ...

    async def save_followed(self, path: str, followed: FollowedFile) -> None: ...


class NonceRepository(Protocol):
    async def first_use(self, nonce: str, expires_at: datetime) -> bool:
        """Record the nonce; False when it was already recorded (a replay)."""
        ...


class MongoRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.progress = db["queue_log_progress"]
        self.follow = db["queue_log_follow"]
        self.nonces = db["webhook_nonces"]
        self.next_purge = datetime.min.replace(tzinfo=UTC)

    async def ensure_indexes(self) -> None:
        # A TTL index purges expired nonces where the server supports it; `first_use` does not
        # rely on it: stale requests are refused by their timestamp before the nonce is checked.
        with contextlib.suppress(OperationFailure):
            await self.nonces.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def progress_of(self, file_id: str) -> Progress:
        found = await self.progress.find_one({"_id": file_id})
        if found is None:
            return Progress()
        return Progress(offset=int(found["offset"]), line=int(found["line"]))

    async def save_progress(self, file_id: str, progress: Progress, name: str) -> None:
        # Only forward: two importers of one file never move its offset back.
        await self.progress.update_one(
            {"_id": file_id},
            {
                "$max": {"offset": progress.offset, "line": progress.line},
                "$set": {"name": name, "updated_at": datetime.now(UTC)},
            },
            upsert=True,
        )

    async def followed(self, path: str) -> FollowedFile | None:
        found = await self.follow.find_one({"_id": path})
        if found is None:
            return None
        return FollowedFile(int(found["inode"]), int(found["device"]), str(found["fingerprint"]))

    async def save_followed(self, path: str, followed: FollowedFile) -> None:
        document = {
            "inode": followed.inode,
            "device": followed.device,
            "fingerprint": followed.fingerprint,
            "updated_at": datetime.now(UTC),
        }
        await self.follow.update_one({"_id": path}, {"$set": document}, upsert=True)

    async def first_use(self, nonce: str, expires_at: datetime) -> bool:
        try:
            await self.nonces.insert_one({"_id": nonce, "expires_at": expires_at})
        except DuplicateKeyError:
            return False
        now = datetime.now(UTC)
        if now >= self.next_purge:  # at most once a minute, for servers without TTL indexes
            self.next_purge = now + PURGE_EVERY
            await self.nonces.delete_many({"expires_at": {"$lt": now}})
        return True

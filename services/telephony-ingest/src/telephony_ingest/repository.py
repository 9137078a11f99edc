"""Where telephony-ingest keeps what must survive a restart. Every MongoDB call lives here.

- `queue_log_lines`: the line ledger, one document per queue_log line published or
  dead-lettered, `_id` the line's own key (its epoch and the event id derived from it, see
  `handlers.ledger_key`). Recording is one
  `insert_many` (unordered): the duplicate-key errors say which lines were there before. On
  FerretDB 1.x an insert is the one cheap write (updates and `$in` reads scan the collection).
- `queue_log_open_batches`: the lines of each batch recorded in the ledger but not yet
  acknowledged by the broker, until it is; a batch left open by a crash is handed out again
  once its lease has expired (`expired_batches`), so that its lines are published after all.
  Small: one document per batch in flight.
- `queue_log_batches`: one document per batch handed over whole, `_id` a hash of its lines
  ids: a batch met again (a re-upload, a renamed or grown file) is known to be all duplicates
  with one read by `_id`, without recording its lines one by one again.
- `queue_log_progress`: for the live follower, per followed file (by a fingerprint of its
  first line, so that the follower finds it again after a rotation) the byte offset and line
  number up to which it has read.
- `queue_log_follow`: per followed path, the file being followed (inode, fingerprint).
- `webhook_nonces`: signatures of webhook requests already accepted, until they expire.
"""

import contextlib
import logging
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bson import Binary
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(minutes=1)
DUPLICATE_KEY = 11000
RECOVERY_LEASE = timedelta(minutes=10)  # for the importer that recovers an expired batch


@dataclass(frozen=True)
class Progress:
    offset: int = 0
    line: int = 0


@dataclass(frozen=True)
class FollowedFile:
    inode: int
    device: int
    fingerprint: str


@dataclass(frozen=True)
class OpenBatch:
    """Lines recorded in the ledger whose events or dead letters the broker has not yet
    acknowledged: (line number, the line as read, its length in bytes)."""

    batch_id: str
    name: str
    expires_at: datetime
    lines: Sequence[tuple[int, bytes, int]] = field(default=())


class LineLedger(Protocol):
    async def record(self, line_ids: Sequence[str]) -> list[bool]:
        """Record the ids; for each, True when it was not recorded before (nor earlier in
        `line_ids`)."""
        ...

    async def batch_known(self, batch_key: str) -> bool:
        """Whether a batch of exactly these lines was handed over whole before."""
        ...

    async def open_batch(self, batch: OpenBatch) -> None: ...

    async def close_batch(self, batch_id: str, batch_key: str) -> None:
        """The batch's lines are acknowledged: forget them, remember the batch by its key."""
        ...

    async def expired_batches(self, now: datetime) -> list[OpenBatch]:
        """Open batches whose lease has expired (their importer died), each handed out once
        per lease."""
        ...


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


class FollowStore(LineLedger, ProgressRepository, FollowRepository, Protocol):
    """What the live follower keeps: the ledger, its read offsets and the followed file."""


_LINE_HEADER = struct.Struct("<QQI")  # line number, its length, bytes held


def _pack(lines: Sequence[tuple[int, bytes, int]]) -> bytes:
    """An open batch's lines in one compressed blob: a document with one small field costs
    FerretDB far less to insert and delete than 20,000 array items (queue_log compresses ~8x)."""
    parts = []
    for number, raw, length in lines:
        parts.append(_LINE_HEADER.pack(number, length, len(raw)))
        parts.append(raw)
    return zlib.compress(b"".join(parts), 1)


def _unpack(blob: bytes) -> list[tuple[int, bytes, int]]:
    data, lines, at = zlib.decompress(blob), [], 0
    while at < len(data):
        number, length, held = _LINE_HEADER.unpack_from(data, at)
        at += _LINE_HEADER.size
        lines.append((number, data[at : at + held], length))
        at += held
    return lines


class MongoRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.lines = db["queue_log_lines"]
        self.open_batches = db["queue_log_open_batches"]
        self.batches = db["queue_log_batches"]
        self.progress = db["queue_log_progress"]
        self.follow = db["queue_log_follow"]
        self.nonces = db["webhook_nonces"]
        self.next_purge = datetime.min.replace(tzinfo=UTC)

    async def ensure_indexes(self) -> None:
        # A TTL index purges expired nonces where the server supports it; `first_use` does not
        # rely on it: stale requests are refused by their timestamp before the nonce is checked.
        with contextlib.suppress(OperationFailure):
            await self.nonces.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def record(self, line_ids: Sequence[str]) -> list[bool]:
        new = [True] * len(line_ids)
        if not line_ids:
            return new
        try:
            await self.lines.insert_many([{"_id": i} for i in line_ids], ordered=False)
        except BulkWriteError as error:
            for failure in error.details.get("writeErrors", []):
                if failure.get("code") != DUPLICATE_KEY:
                    raise
                new[failure["index"]] = False
        return new

    async def open_batch(self, batch: OpenBatch) -> None:
        await self.open_batches.insert_one(
            {
                "_id": batch.batch_id,
                "name": batch.name,
                "expires_at": batch.expires_at,
                "lines": Binary(_pack(batch.lines)),
            }
        )

    async def batch_known(self, batch_key: str) -> bool:
        return await self.batches.find_one({"_id": batch_key}, {"_id": 1}) is not None

    async def close_batch(self, batch_id: str, batch_key: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.batches.insert_one({"_id": batch_key})
        await self.open_batches.delete_one({"_id": batch_id})

    async def expired_batches(self, now: datetime) -> list[OpenBatch]:
        found = []
        async for doc in self.open_batches.find({"expires_at": {"$lt": now}}):
            # Claimed by moving its lease: another importer does not take it meanwhile.
            claimed = await self.open_batches.update_one(
                {"_id": doc["_id"], "expires_at": doc["expires_at"]},
                {"$set": {"expires_at": now + RECOVERY_LEASE}},
            )
            if claimed.modified_count:
                lines = _unpack(bytes(doc["lines"]))
                found.append(OpenBatch(str(doc["_id"]), str(doc["name"]), doc["expires_at"], lines))
        return found

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

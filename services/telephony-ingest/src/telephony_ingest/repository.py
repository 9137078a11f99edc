"""Where telephony-ingest keeps what must survive a restart, in PostgreSQL (its own schema,
migrations in `migrations/`). Every SQL query of the service is here; each names, in a comment
or by its WHERE clause, the index it reads (the EXPLAIN tests hold them to it).

- `queue_log_lines`: the line ledger, one row per queue_log line published or dead-lettered,
  keyed by the line's own key (its epoch and the event id derived from it, see
  `handlers.ledger_key`). A batch's lines are recorded with one `INSERT ... ON CONFLICT DO
  NOTHING RETURNING`: the ids it returns are the new lines.
- `queue_log_open_batches`: the new lines of each batch recorded in the ledger but not yet
  acknowledged by the broker, written in the transaction that records them (so a crash leaves
  either both or neither), removed when the broker has them; a batch left open by a crash is
  handed out again once its lease has expired (`expired_batches`).
- `queue_log_batches`: one row per batch handed over whole, keyed by a hash of its lines' ids:
  a batch met again (a re-upload, a renamed or grown file) is known to be all duplicates with
  one lookup, without recording its lines one by one again.
- `queue_log_progress`, `queue_log_follow`: the live follower's offsets per file (by a
  fingerprint of its first line) and the file it follows per path.
- `webhook_nonces`: signatures of requests already accepted, until they expire.
- `audit`: who did each write (cc_runtime.audit): an administrator's import, and each signed
  webhook request of the PBX, recorded by the statement that records its nonce.

Retention: lines and remembered batches are forgotten `ledger_retention_days` after they were
handled, nonces once expired (`forget_lines_before`, `purge_nonces`, run by housekeeping).

The queue_log operations wait out a database outage (the import and the follower go on where
they stopped once the server is back); each is safe to repeat, the ledger's recording included
(see `open_batch`). A webhook's nonce is not retried: the request fails (503) and its sender
retries. The nonces of requests that arrive together are recorded with one statement
(`first_use`): at hundreds of requests a second, a round trip and a pooled connection per
request were a large share of the webhook's time.
"""

import asyncio
import logging
import struct
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from cc_runtime import AuditEntry
from cc_runtime.audit import PBX_HMAC
from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS, Database

log = logging.getLogger(__name__)

T = TypeVar("T")

RECOVERY_LEASE = timedelta(minutes=10)  # for the importer that recovers an expired batch
FIRST_WAIT_SECONDS, LONGEST_WAIT_SECONDS = 0.1, 5.0

# The ids in key order: two imports recording overlapping lines lock them in one order.
RECORD_LINES = """
    INSERT INTO queue_log_lines (line_id)
    SELECT id FROM unnest($1::text[]) AS id ORDER BY id
    ON CONFLICT (line_id) DO NOTHING
    RETURNING line_id
"""
OPEN_BATCH = """
    INSERT INTO queue_log_open_batches (batch_id, name, expires_at, lines) VALUES ($1, $2, $3, $4)
"""
OPENED_LINES = "SELECT lines FROM queue_log_open_batches WHERE batch_id = $1"  # its primary key
BATCH_KNOWN = "SELECT true FROM queue_log_batches WHERE batch_key = $1"  # its primary key
REMEMBER_BATCH = """
    INSERT INTO queue_log_batches (batch_key) VALUES ($1) ON CONFLICT (batch_key) DO NOTHING
"""
CLOSE_BATCH = "DELETE FROM queue_log_open_batches WHERE batch_id = $1"  # its primary key
# Claimed by moving the lease: another importer does not take it meanwhile.
CLAIM_EXPIRED = """
    UPDATE queue_log_open_batches SET expires_at = $2
    WHERE expires_at < $1
    RETURNING batch_id, name, lines
"""
FORGET_LINES = "DELETE FROM queue_log_lines WHERE handled_at < $1"  # queue_log_lines_handled_at
FORGET_BATCHES = "DELETE FROM queue_log_batches WHERE handled_at < $1"
PROGRESS_OF = "SELECT byte_offset, line FROM queue_log_progress WHERE file_id = $1"
# Only forward: two importers of one file never move its offset back.
SAVE_PROGRESS = """
    INSERT INTO queue_log_progress (file_id, name, byte_offset, line, updated_at)
    VALUES ($1, $2, $3, $4, now())
    ON CONFLICT (file_id) DO UPDATE SET
        name = excluded.name,
        byte_offset = greatest(queue_log_progress.byte_offset, excluded.byte_offset),
        line = greatest(queue_log_progress.line, excluded.line),
        updated_at = excluded.updated_at
"""
FOLLOWED = "SELECT inode, device, fingerprint FROM queue_log_follow WHERE path = $1"
SAVE_FOLLOWED = """
    INSERT INTO queue_log_follow (path, inode, device, fingerprint, updated_at)
    VALUES ($1, $2, $3, $4, now())
    ON CONFLICT (path) DO UPDATE SET
        inode = excluded.inode,
        device = excluded.device,
        fingerprint = excluded.fingerprint,
        updated_at = excluded.updated_at
"""
# The nonces of the requests that arrived together, in key order (no deadlock between two
# instances); the ones returned were new. Each new one's request is audited in the same
# statement (the PBX is its subject): no round trip more per webhook request.
FIRST_USE = """
    WITH new AS (
        INSERT INTO webhook_nonces (nonce, expires_at)
        SELECT nonce, expires_at
        FROM unnest($1::text[], $2::timestamptz[]) AS new (nonce, expires_at)
        ORDER BY nonce
        ON CONFLICT (nonce) DO NOTHING
        RETURNING nonce
    ), audited AS (
        INSERT INTO audit (at, subject, roles, credential, action, target)
        SELECT DISTINCT ON (nonce) at, subject, '{}', $6, action, nonce
        FROM unnest($1::text[], $3::timestamptz[], $4::text[], $5::text[])
            AS request (nonce, at, subject, action)
        JOIN new USING (nonce)
    )
    SELECT nonce FROM new
"""
PURGE_NONCES = "DELETE FROM webhook_nonces WHERE expires_at < $1"  # webhook_nonces_expires_at


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
    """Lines about to be recorded in the ledger whose events or dead letters the broker has not
    yet acknowledged: (line number, the line as read, its length in bytes)."""

    batch_id: str
    name: str
    expires_at: datetime
    lines: Sequence[tuple[int, bytes, int]] = field(default=())


class LineLedger(Protocol):
    async def batch_known(self, batch_key: str) -> bool:
        """Whether a batch of exactly these lines was handed over whole before."""
        ...

    async def open_batch(self, batch: OpenBatch, line_ids: Sequence[str]) -> list[bool]:
        """Record the ids of the batch's lines (`line_ids[i]` is that of `batch.lines[i]`, each
        number once in the batch) and hold its new lines open until `close_batch`, together;
        for each id, True when it was not recorded before (nor earlier in `line_ids`)."""
        ...

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
    async def first_use(self, nonce: str, expires_at: datetime, request: AuditEntry) -> bool:
        """Record the nonce, and the request it signs in the audit; False when it was already
        recorded (a replay, not audited again)."""
        ...


class FollowStore(LineLedger, ProgressRepository, FollowRepository, Protocol):
    """What the live follower keeps: the ledger, its read offsets and the followed file."""


class Housekeeping(Protocol):
    async def forget_lines_before(self, cutoff: datetime) -> int:
        """Forget the lines and batches handled before `cutoff`; returns how many lines."""
        ...

    async def purge_nonces(self, now: datetime) -> int:
        """Forget the nonces expired by `now`; returns how many."""
        ...


_LINE_HEADER = struct.Struct("<QQI")  # line number, its length, bytes held


def _pack(lines: Sequence[tuple[int, bytes, int]]) -> bytes:
    """An open batch's lines in one compressed blob: one row per batch, ~8x smaller than the
    lines (queue_log compresses well), written and deleted once."""
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


def new_flags(line_ids: Sequence[str], inserted: set[str]) -> list[bool]:
    """For each id, whether this is its first place in `line_ids` and it was inserted."""
    flags, seen = [], set()
    for line_id in line_ids:
        flags.append(line_id in inserted and line_id not in seen)
        seen.add(line_id)
    return flags


async def waiting_out_outages(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """`operation()`, tried again while PostgreSQL is unreachable (backing off to 5 s)."""
    delay = FIRST_WAIT_SECONDS
    while True:
        try:
            return await operation()
        except DATABASE_UNAVAILABLE_ERRORS as error:
            log.warning(
                "PostgreSQL unavailable; %s waits and tries again",
                what,
                exc_info=error,
                extra={"retry_in_seconds": delay},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, LONGEST_WAIT_SECONDS)


@dataclass
class _Nonces:
    """Nonces waiting for the next statement, each with the future its request awaits."""

    nonces: list[str] = field(default_factory=list)
    expiries: list[datetime] = field(default_factory=list)
    requests: list[AuditEntry] = field(default_factory=list)
    answers: "list[asyncio.Future[bool]]" = field(default_factory=list)


class PostgresRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.waiting_nonces: _Nonces | None = None

    async def batch_known(self, batch_key: str) -> bool:
        async def known() -> bool:
            async with self.database.connection() as connection:
                return bool(await connection.fetchval(BATCH_KNOWN, batch_key))

        return await waiting_out_outages(known, "the queue_log import")

    async def open_batch(self, batch: OpenBatch, line_ids: Sequence[str]) -> list[bool]:
        return await waiting_out_outages(
            lambda: self._open_batch(batch, line_ids), "the queue_log import"
        )

    async def _open_batch(self, batch: OpenBatch, line_ids: Sequence[str]) -> list[bool]:
        async with self.database.transaction() as connection:
            # A try whose commit was lost with its connection may have committed: its open
            # batch then says which lines it found new (the ledger would now say none are).
            earlier = await connection.fetchval(OPENED_LINES, batch.batch_id)
            if earlier is not None:
                numbers = {number for number, _, _ in _unpack(earlier)}
                return [number in numbers for number, _, _ in batch.lines]
            rows = await connection.fetch(RECORD_LINES, list(line_ids))
            new = new_flags(line_ids, {row[0] for row in rows})
            held = [line for line, is_new in zip(batch.lines, new, strict=True) if is_new]
            await connection.execute(
                OPEN_BATCH, batch.batch_id, batch.name, batch.expires_at, _pack(held)
            )
        return new

    async def close_batch(self, batch_id: str, batch_key: str) -> None:
        async def close() -> None:
            async with self.database.transaction() as connection:
                await connection.execute(REMEMBER_BATCH, batch_key)
                await connection.execute(CLOSE_BATCH, batch_id)

        await waiting_out_outages(close, "the queue_log import")

    async def expired_batches(self, now: datetime) -> list[OpenBatch]:
        async def claim() -> list[Any]:
            async with self.database.connection() as connection:
                return list(await connection.fetch(CLAIM_EXPIRED, now, now + RECOVERY_LEASE))

        rows = await waiting_out_outages(claim, "the queue_log import")
        return [OpenBatch(row["batch_id"], row["name"], now, _unpack(row["lines"])) for row in rows]

    async def progress_of(self, file_id: str) -> Progress:
        async def read() -> Any:
            async with self.database.connection() as connection:
                return await connection.fetchrow(PROGRESS_OF, file_id)

        found = await waiting_out_outages(read, "the queue_log follower")
        if found is None:
            return Progress()
        return Progress(offset=found["byte_offset"], line=found["line"])

    async def save_progress(self, file_id: str, progress: Progress, name: str) -> None:
        async def save() -> None:
            async with self.database.connection() as connection:
                await connection.execute(
                    SAVE_PROGRESS, file_id, name, progress.offset, progress.line
                )

        await waiting_out_outages(save, "the queue_log follower")

    async def followed(self, path: str) -> FollowedFile | None:
        async def read() -> Any:
            async with self.database.connection() as connection:
                return await connection.fetchrow(FOLLOWED, path)

        found = await waiting_out_outages(read, "the queue_log follower")
        if found is None:
            return None
        return FollowedFile(int(found["inode"]), int(found["device"]), found["fingerprint"])

    async def save_followed(self, path: str, followed: FollowedFile) -> None:
        async def save() -> None:
            async with self.database.connection() as connection:
                await connection.execute(
                    SAVE_FOLLOWED, path, followed.inode, followed.device, followed.fingerprint
                )

        await waiting_out_outages(save, "the queue_log follower")

    async def first_use(self, nonce: str, expires_at: datetime, request: AuditEntry) -> bool:
        waiting = self.waiting_nonces
        if waiting is None:  # the first of a group: records those that join it meanwhile
            waiting = self.waiting_nonces = _Nonces()
            asyncio.get_running_loop().call_soon(self._record_nonces)
        answer = asyncio.get_running_loop().create_future()
        waiting.nonces.append(nonce)
        waiting.expiries.append(expires_at)
        waiting.requests.append(request)
        waiting.answers.append(answer)
        first: bool = await answer
        return first

    def _record_nonces(self) -> None:
        waiting, self.waiting_nonces = self.waiting_nonces, None
        if waiting is not None:
            task = asyncio.ensure_future(self._insert_nonces(waiting))
            task.add_done_callback(lambda _: None)

    async def _insert_nonces(self, waiting: _Nonces) -> None:
        try:
            async with self.database.connection() as connection:
                rows = await connection.fetch(
                    FIRST_USE,
                    waiting.nonces,
                    waiting.expiries,
                    [r.at for r in waiting.requests],
                    [r.subject for r in waiting.requests],
                    [r.action for r in waiting.requests],
                    PBX_HMAC,
                )
        except Exception as error:  # each request fails with it (503 for an outage)
            for answer in waiting.answers:
                if not answer.done():
                    answer.set_exception(error)
            return
        except BaseException:
            for answer in waiting.answers:
                answer.cancel()
            raise
        flags = new_flags(waiting.nonces, {row[0] for row in rows})
        for answer, first in zip(waiting.answers, flags, strict=True):
            if not answer.done():
                answer.set_result(first)

    async def forget_lines_before(self, cutoff: datetime) -> int:
        async with self.database.transaction() as connection:
            await connection.execute(FORGET_BATCHES, cutoff)
            status = await connection.execute(FORGET_LINES, cutoff)
        return _count(status)

    async def purge_nonces(self, now: datetime) -> int:
        async with self.database.connection() as connection:
            return _count(await connection.execute(PURGE_NONCES, now))


def _count(status: str) -> int:
    """The row count of a command's status (`DELETE 12`)."""
    return int(status.rsplit(" ", 1)[-1])

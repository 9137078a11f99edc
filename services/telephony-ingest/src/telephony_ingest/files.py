"""Reading queue_log files: their complete lines, each with its length and the byte offset after
it, and a followed file's fingerprint. File I/O only; what lines mean is `queue_log`'s job."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
FINGERPRINT_MAX_BYTES = 64 * 1024
# Asterisk writes lines of well under 1 KiB; one longer than this is not a queue_log line.
# Only its first MAX_LINE_BYTES + 1 bytes are kept in memory, however long it is.
MAX_LINE_BYTES = 64 * 1024


def fingerprint(source: BinaryIO, *, final: bool = False) -> str | None:
    """A hash of the file's first line, for the follower to recognise the file it followed
    under another name after a rotation; None while the first line is not complete (or the
    file is empty). Not a file's identity for deduplication: lines are deduplicated by their
    own identity (see `handlers`)."""
    position = source.tell()
    source.seek(0)
    head = source.read(FINGERPRINT_MAX_BYTES)
    source.seek(position)
    end = head.find(b"\n")
    if end < 0 and not (final and head):
        return None
    first = head if end < 0 else head[: end + 1]
    return hashlib.blake2b(first, digest_size=16).hexdigest()


async def complete_lines(
    source: BinaryIO, start: int, *, final: bool, max_bytes: int = MAX_LINE_BYTES
) -> AsyncIterator[tuple[bytes, int, int]]:
    """(line without its newline, its length, offset just after it) from `start` to the end.

    A line longer than `max_bytes` comes with only its first `max_bytes + 1` bytes (its length
    says how long it was). A last line without newline is yielded only when `final` (a
    finished historic file); a followed live file may still be writing it.
    """
    await asyncio.to_thread(source.seek, start)
    offset = start
    head, dropped = b"", 0  # the unfinished line: its kept start, and how much was dropped
    while chunk := await asyncio.to_thread(source.read, CHUNK_BYTES):
        parts = chunk.split(b"\n")
        tail = parts.pop()
        if parts and (head or dropped):
            first = head + parts[0]
            length = len(first) + dropped
            offset += length + 1
            yield first[: max_bytes + 1], length, offset
            parts[0:1] = []
            head, dropped = b"", 0
        for part in parts:
            offset += len(part) + 1
            if len(part) > max_bytes:
                yield part[: max_bytes + 1], len(part), offset
            else:
                yield part, len(part), offset
        head += tail
        if len(head) > max_bytes:
            dropped += len(head) - (max_bytes + 1)
            head = head[: max_bytes + 1]
    if (head or dropped) and final:
        yield head, len(head) + dropped, offset + len(head) + dropped

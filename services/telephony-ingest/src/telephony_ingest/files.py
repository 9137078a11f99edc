"""Reading queue_log files: a file's identity (fingerprint of its first line) and its complete
lines with the byte offset after each. File I/O only; what lines mean is `queue_log`'s job."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
FINGERPRINT_MAX_BYTES = 64 * 1024


def fingerprint(source: BinaryIO, *, final: bool = False) -> str | None:
    """A hash of the file's first line: the same for the file under any name (rotated, copied,
    uploaded); None while the first line is not complete (or the file is empty)."""
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
    source: BinaryIO, start: int, *, final: bool
) -> AsyncIterator[tuple[bytes, int]]:
    """(line without its newline, offset just after it) from `start` to the end of the file.

    A last line without newline is yielded only when `final` (a finished historic file); a
    followed live file may still be writing it.
    """
    await asyncio.to_thread(source.seek, start)
    offset, rest = start, b""
    while chunk := await asyncio.to_thread(source.read, CHUNK_BYTES):
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            offset += len(part) + 1
            yield part, offset
    if rest and final:
        yield rest, offset + len(rest)

"""Content-addressed blobs: written while hashed and counted (the limit stops a file the moment
it goes over, before it is kept), typed from their first bytes, stored under their sha256 so
the same file is kept once."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype

HEAD_BYTES = 8192  # enough for every magic number filetype knows
UNKNOWN_TYPE = "application/octet-stream"
CHUNK = 64 * 1024


class TooLarge(Exception):
    """The file went over the limit (HTTP 413); nothing of it is kept."""


class MissingBlob(LookupError):
    """The metadata names content the store does not have."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    content_type: str  # detected from the content


def detect_type(head: bytes) -> str:
    """The MIME type the content's magic numbers say (`application/octet-stream` when none)."""
    kind = filetype.guess(head)
    return kind.mime if kind is not None else UNKNOWN_TYPE


class BlobStore(Protocol):
    async def put(self, chunks: AsyncIterable[bytes], limit: int) -> Blob: ...
    def read(self, sha256: str) -> AsyncIterator[bytes]: ...
    async def delete(self, sha256: str) -> None: ...


class FileBlobStore:
    """Blobs as files under `root/ab/cd/<sha256>`, written to a temporary file first and
    renamed into place (a reader never sees half a blob)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise MissingBlob(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, chunks: AsyncIterable[bytes], limit: int) -> Blob:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"the file is over the limit of {limit:,} bytes")
                    digest.update(chunk)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    await asyncio.to_thread(out.write, chunk)
            sha256 = digest.hexdigest()
            final = self.path_of(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)  # the same content again replaces itself
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return Blob(sha256, size, detect_type(head))

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        try:
            source = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MissingBlob(f"no blob {sha256}") from None
        with source:
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                yield chunk

    async def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path_of(sha256).unlink)

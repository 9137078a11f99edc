"""The recording file format: one JSON object per line and per Kafka message, gzip when the file
name ends `.gz`. Pure encoding and decoding; file handling is at the bottom.

A line: {"topic", "partition", "offset", "timestamp" (ms since the epoch, the broker's record
timestamp), "time" (the same in ISO 8601, for people; ignored on read), "key", "value",
"headers": [[name, value], ...]}. Keys, values and header values are JSON strings when they are
UTF-8 text, {"base64": "..."} otherwise, and null when absent. "topic" is the logical topic name
(the namespace is taken off when recording and put on when replaying).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cc_dev.errors import BadFileError

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class RecordedMessage:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    def json_value(self) -> dict[str, Any] | None:
        """The value as a JSON object, or None when it is not one (binary, broken, null)."""
        if self.value is None:
            return None
        try:
            decoded = json.loads(self.value)
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded if isinstance(decoded, dict) else None


class _Base64(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base64: str


Blob = str | _Base64 | None


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    topic: Annotated[str, Field(min_length=1)]
    partition: Annotated[int, Field(ge=0)]
    offset: Annotated[int, Field(ge=0)]
    timestamp: int
    key: Blob = None
    value: Blob = None
    headers: list[tuple[str, Blob]] = []


def encode_bytes(data: bytes | None) -> str | dict[str, str] | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def decode_bytes(blob: Blob) -> bytes | None:
    if blob is None:
        return None
    if isinstance(blob, str):
        return blob.encode("utf-8")
    try:
        return base64.b64decode(blob.base64, validate=True)
    except binascii.Error as error:
        raise ValueError(f"bad base64: {error}") from None


def to_line(message: RecordedMessage) -> str:
    time = datetime.fromtimestamp(message.timestamp_ms / 1000, UTC)
    return json.dumps(
        {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "timestamp": message.timestamp_ms,
            "time": time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "key": encode_bytes(message.key),
            "value": encode_bytes(message.value),
            "headers": [[name, encode_bytes(value)] for name, value in message.headers],
        },
        ensure_ascii=False,
    )


def from_line(line: str) -> RecordedMessage:
    """Decode one line; raises ValueError with the reason when it is not a recorded message."""
    try:
        parsed = _Line.model_validate_json(line)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        raise ValueError(f"{where}: {first['msg']}") from None
    headers = []
    for name, value in parsed.headers:
        decoded = decode_bytes(value)
        headers.append((name, decoded if decoded is not None else b""))
    return RecordedMessage(
        topic=parsed.topic,
        partition=parsed.partition,
        offset=parsed.offset,
        timestamp_ms=parsed.timestamp,
        key=decode_bytes(parsed.key),
        value=decode_bytes(parsed.value),
        headers=tuple(headers),
    )


def open_for_writing(path: Path) -> IO[str]:
    """A text stream to `path`, gzip-compressed when its name ends `.gz`."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8")
    return path.open("w", encoding="utf-8")


def read_messages(path: Path) -> Iterator[RecordedMessage]:
    """The messages of a recording, in file order; BadFileError names the file and the line."""
    try:
        with path.open("rb") as probe:
            compressed = probe.read(2) == GZIP_MAGIC
    except OSError as error:
        raise BadFileError(f"{path}: cannot read: {error.strerror or error}") from None
    opener = gzip.open if compressed else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        number = 0
        while True:
            number += 1
            try:
                line = text.readline()
            except UnicodeDecodeError as error:
                raise BadFileError(f"{path}, line {number}: not UTF-8 text: {error}") from None
            except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError; EOF: truncated
                raise BadFileError(f"{path}: not a readable recording: {error}") from None
            if not line:
                return
            if not line.strip():
                continue
            try:
                message = from_line(line)
            except ValueError as error:
                raise BadFileError(
                    f"{path}, line {number}: not a recorded message: {error}"
                ) from None
            yield message

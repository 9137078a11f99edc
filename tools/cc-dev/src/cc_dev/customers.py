"""HTTP adapter to crm's customer import (`POST /v1/customers/imports`, the CSV as the body,
an admin's bearer token): the file is streamed in chunks, each one counted on the progress bar
as it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from cc_dev.errors import BadFileError, HttpError
from cc_dev.progress import ProgressSink

IMPORT_PATH = "/v1/customers/imports"
CHUNK_BYTES = 256 * 1024


def _chunks(path: Path, progress: ProgressSink) -> Iterator[bytes]:
    with path.open("rb") as raw:
        while chunk := raw.read(CHUNK_BYTES):
            yield chunk
            progress.advance(len(chunk))


def import_customers(
    client: httpx.Client, path: Path, *, token: str | None, progress: ProgressSink
) -> dict[str, Any]:
    """Stream a customer CSV to crm; returns its report (counts, rejected rows by line)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BadFileError(f"{path}: cannot read: {error.strerror or error}") from None
    headers = {"content-type": "text/csv"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    progress.begin(size)
    try:
        response = client.post(IMPORT_PATH, content=_chunks(path, progress), headers=headers)
    except httpx.HTTPError as error:
        raise HttpError(f"{client.base_url}{IMPORT_PATH}: {error!r}") from None
    if response.status_code >= 400:
        raise HttpError(
            f"{client.base_url}{IMPORT_PATH} answered {response.status_code}: {response.text[:500]}"
        )
    return dict(response.json())

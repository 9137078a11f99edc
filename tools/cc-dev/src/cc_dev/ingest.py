"""HTTP adapter to telephony-ingest: its signed PBX webhook (call-events and agent-events) and
its queue_log bulk import (`POST /v1/queue-log/imports`, multipart field `file`, or
`/v1/queue-log/imports:server-path` for a file the service reads itself), which takes a bearer
token granting `admin` (see credentials)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, cast

import httpx

from cc_dev.errors import BadFileError, HttpError
from cc_dev.progress import ProgressSink
from cc_schemas import AGENT_EVENTS, CALL_EVENTS, Event, topic_of

WEBHOOK_PATHS = {CALL_EVENTS: "/v1/call-events", AGENT_EVENTS: "/v1/agent-events"}
IMPORT_PATH = "/v1/queue-log/imports"
DEVELOPMENT_SECRET = "change-me"  # noqa: S105 - telephony-ingest's development default


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-Signature` of a webhook request: sha256=HMAC(secret, "<timestamp>.<body>")."""
    return streamed_signature(secret, timestamp, [body])


def streamed_signature(secret: str, timestamp: int, chunks: Iterable[bytes]) -> str:
    """The same signature, of a body read in chunks (a file upload need not fit in memory)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b".", hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return "sha256=" + mac.hexdigest()


class Webhook:
    """Posts PBX events to telephony-ingest, signed as the PBX middleware would."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, secret: str) -> None:
        self.client, self.base, self.secret = client, base_url.rstrip("/"), secret

    @staticmethod
    def carries(event: Event) -> bool:
        return topic_of(event) in WEBHOOK_PATHS

    async def post(self, event: Event) -> None:
        url = self.base + WEBHOOK_PATHS[topic_of(event)]
        body = event.model_dump_json().encode()
        now = int(time.time())
        headers = {
            "content-type": "application/json",
            "x-timestamp": str(now),
            "x-signature": signature(self.secret, now, body),
        }
        await _checked(url, self.client.post(url, content=body, headers=headers))


async def _checked(url: str, sending: Any) -> httpx.Response:
    try:
        response: httpx.Response = await sending
    except httpx.HTTPError as error:
        raise HttpError(f"{url}: {error!r}") from None
    return _accepted(url, response)


def _accepted(url: str, response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise HttpError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return response


class _Counting:
    """A binary file that reports how much of it was read (the upload's progress)."""

    def __init__(self, raw: IO[bytes], progress: ProgressSink) -> None:
        self.raw, self.progress = raw, progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress.advance(len(chunk))
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def import_queue_log(
    base_url: str,
    path: Path,
    *,
    server_path: bool,
    progress: ProgressSink,
    timeout: float,
    token: str,
) -> dict[str, Any]:
    """Hand a queue_log file to the bulk import as the bearer of `token`; returns the import's
    summary."""
    base = base_url.rstrip("/")
    authorization = {"authorization": f"Bearer {token}"}
    with httpx.Client(timeout=timeout, headers=authorization) as client:
        if server_path:
            url = f"{base}{IMPORT_PATH}:server-path"
            return _send(client, client.build_request("POST", url, json={"path": str(path)}))
        try:
            raw = path.open("rb")
            size = path.stat().st_size
        except OSError as error:
            raise BadFileError(f"{path}: cannot read: {error.strerror or error}") from None
        with raw:
            files = {"file": (path.name, cast(IO[bytes], _Counting(raw, progress)))}
            request = client.build_request("POST", base + IMPORT_PATH, files=files)
            progress.begin(size)
            return _send(client, request)


def _send(client: httpx.Client, request: httpx.Request) -> dict[str, Any]:
    try:
        response = client.send(request)
    except httpx.HTTPError as error:
        raise HttpError(f"{request.url}: {error!r}") from None
    return dict(_accepted(str(request.url), response).json())

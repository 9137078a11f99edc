"""Downloads that browsers save rather than render: the detected type, `Content-Disposition:
attachment` with the file's name, and `X-Content-Type-Options: nosniff` (an uploaded HTML or
SVG file can never run as a page of the service)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import StreamingResponse

from cc_attachments.store import BlobStore


def download(
    store: BlobStore, sha256: str, content_type: str, filename: str, size: int
) -> StreamingResponse:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'") or "attachment"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        store.read(sha256),
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Length": str(size),
        },
    )

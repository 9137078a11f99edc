"""Route -> use case for attachments on contacts and cases (operators): upload (multipart
`file`, streamed under CRM_ATTACHMENT_MAX_BYTES, typed from its content, kept once per sha256,
audited), list, download (saved by the browser, never rendered). Only who may see the contact or
case reaches its files: the access table admits operators and supervisors, and a download names
its owner, so an attachment is found only through the contact or case it belongs to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import Response

from cc_attachments import Blob, BlobStore, TooLarge, download
from cc_runtime import AuditEntry, WriteBy
from crm.attachment_repository import PostgresAttachments

FORM_OVERHEAD = 64 * 1024  # a multipart form's boundaries and headers around the file
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "over CRM_ATTACHMENT_MAX_BYTES"}}


class Attachments:
    """The use cases, for an owner of either kind (`contact` or `case`)."""

    def __init__(self, repository: PostgresAttachments, blobs: BlobStore, limit: int) -> None:
        self.repository, self.blobs, self.limit = repository, blobs, limit

    async def _known(self, kind: str, owner_id: str) -> None:
        if not await self.repository.exists(kind, owner_id):
            raise HTTPException(404, detail=f"no {kind} {owner_id!r}")

    async def attach(
        self, kind: str, owner_id: str, request: Request, file: UploadFile, write: AuditEntry
    ) -> dict[str, Any]:
        _refuse_oversized(request, self.limit)
        await self._known(kind, owner_id)
        blob = await _store(self.blobs, file, self.limit)
        name = file.filename or "attachment"
        added = await self.repository.add(kind, owner_id, blob, name, write)
        if added is None:
            raise HTTPException(404, detail=f"no {kind} {owner_id!r}")
        return added

    async def listed(self, kind: str, owner_id: str) -> list[dict[str, Any]]:
        await self._known(kind, owner_id)
        return await self.repository.of(kind, owner_id)

    async def fetch(self, kind: str, owner_id: str, attachment_id: str) -> Response:
        found = await self.repository.get(kind, owner_id, attachment_id)
        if found is None:
            raise HTTPException(404, detail=f"no attachment {attachment_id!r} on {owner_id!r}")
        return download(
            self.blobs, found["sha256"], found["content_type"], found["filename"], found["size"]
        )


def attachment_routes(repository: PostgresAttachments, blobs: BlobStore, limit: int) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["attachments"])
    use = Attachments(repository, blobs, limit)

    @router.post(
        "/interactions/{interaction_id}/attachments",
        status_code=201,
        summary="Attach a file to a contact (multipart `file`): typed from its content",
        responses={404: {"description": "no such contact"}, **TOO_LARGE},
    )
    async def attach_to_contact(
        interaction_id: str, request: Request, file: UploadFile, write: WriteBy
    ) -> dict[str, Any]:
        return await use.attach("contact", interaction_id, request, file, write)

    @router.get("/interactions/{interaction_id}/attachments", summary="A contact's attachments")
    async def attachments_of_contact(interaction_id: str) -> list[dict[str, Any]]:
        return await use.listed("contact", interaction_id)

    @router.get(
        "/interactions/{interaction_id}/attachments/{attachment_id}",
        summary="Download a contact's attachment (saved by the browser, never rendered)",
    )
    async def download_from_contact(interaction_id: str, attachment_id: str) -> Response:
        return await use.fetch("contact", interaction_id, attachment_id)

    @router.post(
        "/cases/{case_id}/attachments",
        status_code=201,
        summary="Attach a file to a case (multipart `file`): typed from its content",
        responses={404: {"description": "no such case"}, **TOO_LARGE},
    )
    async def attach_to_case(
        case_id: str, request: Request, file: UploadFile, write: WriteBy
    ) -> dict[str, Any]:
        return await use.attach("case", case_id, request, file, write)

    @router.get("/cases/{case_id}/attachments", summary="A case's and its contacts' attachments")
    async def attachments_of_case(case_id: str) -> list[dict[str, Any]]:
        return await use.listed("case", case_id)

    @router.get(
        "/cases/{case_id}/attachments/{attachment_id}",
        summary="Download an attachment of the case or its contacts (saved, never rendered)",
    )
    async def download_from_case(case_id: str, attachment_id: str) -> Response:
        return await use.fetch("case", case_id, attachment_id)

    return router


def _refuse_oversized(request: Request, limit: int) -> None:
    """413 before reading a body that says it is too large (the form's own bytes allowed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise HTTPException(413, detail=f"the file is over the limit of {limit:,} bytes")


async def _store(blobs: BlobStore, file: UploadFile, limit: int) -> Blob:
    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(64 * 1024):
            yield chunk

    try:
        return await blobs.put(chunks(), limit)
    except TooLarge as error:
        raise HTTPException(413, detail=str(error)) from None

"""Attachments' metadata on crm's contacts and cases (the content is in the blob store, once
per sha256). A case's attachments are its own and its contacts'; a download through a case or
a contact finds only what is theirs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cc_attachments import Blob
from cc_runtime import AuditEntry
from cc_runtime.audit import record_on
from cc_runtime.postgres import Database

COLUMNS = """attachment_id::text, owner_kind, owner_id, size, content_type, filename,
    uploaded_by, uploaded_at"""
INSERT = """
    INSERT INTO attachments (attachment_id, owner_kind, owner_id, sha256, size, content_type,
                             filename, uploaded_by, uploaded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
OWNER_EXISTS = {
    "contact": "SELECT 1 FROM contacts WHERE contact_id = $1",
    "case": "SELECT 1 FROM cases WHERE case_id = $1",
}
# What may be reached through each owner: a contact's own; a case's own and its contacts'.
REACHABLE = {
    "contact": "owner_kind = 'contact' AND owner_id = $1",
    "case": """(owner_kind = 'case' AND owner_id = $1)
        OR (owner_kind = 'contact'
            AND owner_id IN (SELECT contact_id FROM contacts WHERE case_id = $1))""",
}
LIST = {
    kind: f"SELECT {COLUMNS} FROM attachments WHERE {where} ORDER BY uploaded_at"  # noqa: S608
    for kind, where in REACHABLE.items()
}
GET = {
    kind: f"SELECT *, attachment_id::text AS id FROM attachments "  # noqa: S608
    f"WHERE ({where}) AND attachment_id = $2"
    for kind, where in REACHABLE.items()
}


class PostgresAttachments:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(
        self, kind: str, owner_id: str, blob: Blob, filename: str, write: AuditEntry
    ) -> dict[str, Any] | None:
        """The attachment's metadata, audited; None when there is no such contact or case."""
        attachment_id = uuid.uuid4()
        async with self.database.transaction() as connection:
            if await connection.fetchval(OWNER_EXISTS[kind], owner_id) is None:
                return None
            await connection.execute(
                INSERT,
                attachment_id,
                kind,
                owner_id,
                blob.sha256,
                blob.size,
                blob.content_type,
                filename,
                write.subject,
                write.at,
            )
            await record_on(connection, write.on(f"{kind}:{owner_id}"))
        return _view(attachment_id, kind, owner_id, blob, filename, write.subject, write.at)

    async def exists(self, kind: str, owner_id: str) -> bool:
        async with self.database.connection() as connection:
            return await connection.fetchval(OWNER_EXISTS[kind], owner_id) is not None

    async def of(self, kind: str, owner_id: str) -> list[dict[str, Any]]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(LIST[kind], owner_id)
        return [dict(r) for r in rows]

    async def get(self, kind: str, owner_id: str, attachment_id: str) -> dict[str, Any] | None:
        try:
            wanted = uuid.UUID(attachment_id)
        except ValueError:
            return None
        async with self.database.connection() as connection:
            row = await connection.fetchrow(GET[kind], owner_id, wanted)
        return None if row is None else dict(row)


def _view(
    attachment_id: uuid.UUID,
    kind: str,
    owner_id: str,
    blob: Blob,
    filename: str,
    by: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "attachment_id": str(attachment_id),
        "owner_kind": kind,
        "owner_id": owner_id,
        "size": blob.size,
        "content_type": blob.content_type,
        "filename": filename,
        "uploaded_by": by,
        "uploaded_at": at,
    }

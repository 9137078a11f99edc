"""Who did each write (issue 16's audit): one row per write in the service's own `audit` table
(each service's migrations create it with the same columns), recorded through `AuditTrail`.

A route reads the entry of its write with `WriteBy` (the caller the access table admitted, the
route, now) and records it once the write is done; the caller's subject and role go with the
events the write publishes as the envelope's `actor`. The PBX, which proves itself with a shared
secret rather than a token, is recorded by the webhook's own statement (telephony-ingest) with
`credential` "pbx-hmac"."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends
from starlette.requests import HTTPConnection

from cc_runtime.access import principal
from cc_runtime.identity import Principal
from cc_runtime.postgres import Database

BEARER = "bearer"
PBX_HMAC = "pbx-hmac"
RECORD = """
    INSERT INTO audit (at, subject, roles, client_id, credential, action, target)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


@dataclass(frozen=True)
class AuditEntry:
    """One write: who (`subject`, the `roles` their credential granted, the OAuth client),
    how they proved it (`credential`), what (`action`, the route: "PUT /v1/customers/{id}/..."),
    on what (`target`: a file, a customer id) and when (`at`)."""

    subject: str
    roles: tuple[str, ...]
    action: str
    at: datetime
    target: str | None = None
    client_id: str | None = None
    credential: str = BEARER
    role: str | None = None  # the most senior role granted, for the event's `actor`

    @classmethod
    def of(cls, caller: Principal, action: str, at: datetime) -> "AuditEntry":
        return cls(
            subject=caller.subject,
            roles=tuple(sorted(caller.granted)),
            action=action,
            at=at,
            client_id=caller.client_id,
            role=caller.role,
        )

    def on(self, target: str) -> "AuditEntry":
        return replace(self, target=target)


class AuditTrail(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...


class PostgresAuditTrail:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(self, entry: AuditEntry) -> None:
        async with self.database.connection() as connection:
            await record_on(connection, entry)


async def record_on(connection: Any, entry: AuditEntry) -> None:
    """Record `entry` on an open connection: in the transaction of the write it audits."""
    await connection.execute(
        RECORD,
        entry.at,
        entry.subject,
        list(entry.roles),
        entry.client_id,
        entry.credential,
        entry.action,
        entry.target,
    )


def write_by(connection: HTTPConnection) -> AuditEntry:
    """Dependency: the audit entry of this request's write, by the caller the access table
    admitted (a bearer route only), on the route it reached, now."""
    route = connection.scope.get("route")
    template = getattr(route, "path_format", None) or connection.url.path
    method = connection.scope.get("method", "WEBSOCKET")
    return AuditEntry.of(principal(connection), f"{method} {template}", datetime.now(UTC))


WriteBy = Annotated[AuditEntry, Depends(write_by)]

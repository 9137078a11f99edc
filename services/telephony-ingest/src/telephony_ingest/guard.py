"""The PBX webhook's own guard (the access table marks its routes `PBX_HMAC`), and what a
request body may be. HTTP adapter.

A `Door` guards the webhook's router: before the body is read it checks the signature's
timestamp; the body is then hashed as it streams in, and the `verified` dependency, which
FastAPI runs once the body is read, compares the signature (see signing) and refuses a replay.
Bodies are parsed as strict JSON: `NaN` and numbers out of a float's range are refused (422),
since no field may hold them and they could not be rendered in the error either.
"""

import hmac
import json
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message, Receive

from cc_runtime import AuditEntry
from cc_runtime.audit import PBX_HMAC
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import NonceRepository
from telephony_ingest.signing import SignatureProblem, signer, timestamp_problem, verify


@dataclass(frozen=True)
class Door:
    """The PBX's shared secret, its name in the audit, and where refusals are counted."""

    source: str
    pbx_id: str
    secret: str
    tolerance_seconds: int
    nonces: NonceRepository
    metrics: IngestMetrics

    def refuse(self, status: int, reason: str, detail: str | None = None) -> HTTPException:
        self.metrics.rejected.labels(self.source, reason).inc()
        return HTTPException(status, detail=detail or reason)

    def admit(self, request: Request) -> "GuardedRequest":
        """The request, ready to be read, when its headers may write here; else an HTTP refusal."""
        headers = request.headers
        timestamp, signature = headers.get("x-timestamp"), headers.get("x-signature")
        problem = timestamp_problem(
            timestamp, signature, now=time.time(), tolerance_seconds=self.tolerance_seconds
        )
        if problem is not None or timestamp is None or signature is None:
            raise self.refuse(401, (problem or SignatureProblem.MISSING).value)
        mac = signer(self.secret, int(timestamp))
        return GuardedRequest(request.scope, _hashing(request.receive, mac), mac)

    async def verified(
        self,
        request: Request,
        x_timestamp: Annotated[str | None, Header(description="Unix seconds")] = None,
        x_signature: Annotated[str | None, Header(description="sha256=<hex>")] = None,
    ) -> None:
        """Dependency: the signature matches the body just read, and was not used before; the
        request is audited as the PBX's with its nonce."""
        if not isinstance(request, GuardedRequest):  # fail closed on a route left unguarded
            raise TypeError("Door.verified needs the door's route class (guarded_route)")
        nonce = verify(request.mac, x_signature or "")
        if nonce is None:
            raise self.refuse(401, SignatureProblem.MISMATCH.value)
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=2 * self.tolerance_seconds)
        action = f"{request.method} {request.scope['route'].path_format}"
        audited = AuditEntry(self.pbx_id, (), action, now, nonce, credential=PBX_HMAC)
        if not await self.nonces.first_use(nonce, expires, audited):
            raise self.refuse(409, SignatureProblem.REPLAYED.value)


class GuardedRequest(Request):
    """A request admitted by a door: strict JSON, and the signature still to be checked."""

    def __init__(self, scope: Any, receive: Receive, mac: "hmac.HMAC") -> None:
        super().__init__(scope, receive)
        self.mac = mac  # the HMAC of the body read so far

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


def strict_json(body: bytes) -> Any:
    """The JSON document, refusing what is not JSON: NaN, Infinity, numbers beyond a float."""
    try:
        return json.loads(body, parse_constant=_not_a_number, parse_float=_finite)
    except _NotFinite as error:
        raise json.JSONDecodeError(str(error), body.decode("utf-8", "replace"), 0) from None


class _NotFinite(ValueError):
    pass


def _not_a_number(constant: str) -> float:
    raise _NotFinite(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"{text} is out of range for a number")
    return value


def _hashing(receive: Receive, mac: "hmac.HMAC") -> Receive:
    """The request's receive, feeding each body chunk to the signature's HMAC as it arrives."""

    async def hashed() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            mac.update(message.get("body", b""))
        return message

    return hashed


def guarded_route(door: Door) -> type[APIRoute]:
    """A route class whose requests pass `door` before their body is read."""

    class GuardedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def admitted(request: Request) -> Response:
                return await handle(door.admit(request))

            return admitted

    return GuardedRoute

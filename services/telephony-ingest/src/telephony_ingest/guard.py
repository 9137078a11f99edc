"""Who may write to telephony-ingest's HTTP routes, and what a request body may be. HTTP adapter.

A `Door` guards a router: before the body is read it refuses browser-originated requests (a web
page's form post needs no CORS preflight), checks the import token (`Authorization: Bearer`) in
constant time, or the signature's timestamp; the body is then hashed as it streams in, and the
`verified` dependency, which FastAPI runs once the body is read, compares the signature (see
signing) and refuses a replay. Bodies are parsed as strict JSON: `NaN` and numbers out of a
float's range are refused (422), since no field may hold them and they could not be rendered in
the error either.
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
from starlette.datastructures import Headers
from starlette.types import Message, Receive

from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import NonceRepository
from telephony_ingest.signing import SignatureProblem, signer, timestamp_problem, verify

BROWSER_REFUSED = "browser_request_refused"
TOKEN_INVALID = "token_invalid"  # noqa: S105 - a refusal reason, not a token
# Sec-Fetch-Site values that a cross-site page cannot produce: typed by a person, or our own.
FETCH_SITES_ALLOWED = frozenset({"none", "same-origin"})


@dataclass(frozen=True)
class Door:
    """The credentials a router accepts, and where its refusals are counted."""

    source: str
    secret: str
    tolerance_seconds: int
    nonces: NonceRepository
    metrics: IngestMetrics
    token: str | None = None  # accepted as `Authorization: Bearer <token>` when set
    accepts_tokens: bool = False
    refuses_browsers: bool = False

    def refuse(self, status: int, reason: str, detail: str | None = None) -> HTTPException:
        self.metrics.rejected.labels(self.source, reason).inc()
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 and self.accepts_tokens else None
        return HTTPException(status, detail=detail or reason, headers=headers)

    def admit(self, request: Request) -> "GuardedRequest":
        """The request, ready to be read, when its headers may write here; else an HTTP refusal."""
        headers = request.headers
        if self.refuses_browsers and (why := browser_origin(headers)) is not None:
            raise self.refuse(403, BROWSER_REFUSED, f"{BROWSER_REFUSED}: {why}")
        authorization = headers.get("authorization")
        if self.accepts_tokens and authorization is not None:
            self._check_token(authorization)
            return GuardedRequest(request.scope, request.receive)
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
        """Dependency: the signature matches the body just read, and was not used before."""
        if not isinstance(request, GuardedRequest):  # fail closed on a route left unguarded
            raise TypeError("Door.verified needs the door's route class (guarded_route)")
        if request.mac is None:
            return  # admitted by its token
        nonce = verify(request.mac, x_signature or "")
        if nonce is None:
            raise self.refuse(401, SignatureProblem.MISMATCH.value)
        expires = datetime.now(UTC) + timedelta(seconds=2 * self.tolerance_seconds)
        if not await self.nonces.first_use(nonce, expires):
            raise self.refuse(409, SignatureProblem.REPLAYED.value)

    def _check_token(self, authorization: str) -> None:
        scheme, _, given = authorization.strip().partition(" ")
        if self.token is None:
            raise self.refuse(
                401, TOKEN_INVALID, f"{TOKEN_INVALID}: no TELEPHONY_INGEST_IMPORT_TOKEN is set"
            )
        valid = hmac.compare_digest(given.strip().encode(), self.token.encode())
        if scheme.lower() != "bearer" or not valid:
            raise self.refuse(401, TOKEN_INVALID)


def browser_origin(headers: Headers) -> str | None:
    """Why a request comes from a web page, or None when nothing says it does."""
    if "origin" in headers:
        return "a request with an Origin header (sent by a web page) may not write here"
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in FETCH_SITES_ALLOWED:
        return f"Sec-Fetch-Site {site!r}: a request from another site may not write here"
    return None


class GuardedRequest(Request):
    """A request admitted by a door: strict JSON, and the signature still to be checked."""

    def __init__(
        self,
        scope: Any,
        receive: Receive,
        mac: "hmac.HMAC | None" = None,
    ) -> None:
        super().__init__(scope, receive)
        self.mac = mac  # the HMAC of the body read so far, when the request is signed

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

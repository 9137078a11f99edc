"""Who may call each route of a service: one access table per service, enforced for every HTTP
and WebSocket route before the route runs, and shown in the OpenAPI document.

A table maps `"METHOD /path"` (the route's template; `WEBSOCKET` for a socket) to an `Access`:

- `PUBLIC`: anyone (health, docs, FAQ search, the chat widget's anonymous start);
- `requires("supervisor", ...)`: a bearer token of the issuer, granting one of these roles
  (with their implied roles: a supervisor is an operator too); `requires()` any signed-in caller;
- `PBX_HMAC`, `SIGNED_LINK`: the route's own guard checks the PBX's signature or a signed link;
  the table records the decision and the route-walking test proves the guard refuses.

No credential, or a token that proves nothing, is a 401 with `WWW-Authenticate: Bearer`; a
valid token without the role is a 403; both say why in `detail` and `reason`. A socket is
refused before it is accepted (close code 1008, an HTTP 403 to the client). A route with no
entry is refused (403 `no_access_rule`), and `create_http_app` refuses to build such an app.
The route reads its caller with `CurrentPrincipal`.
"""

import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.routing import RouteContext
from starlette.requests import HTTPConnection
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from cc_runtime.identity import METRICS, Principal
from cc_runtime.routes import effective_routes, matched_route
from cc_runtime.tokens import KeysUnavailable, TokenRejected, TokenVerifier

WEBSOCKET = "WEBSOCKET"
REALM = "contact-centre"
POLICY_VIOLATION = 1008  # WebSocket close code of a refused socket


class Kind(StrEnum):
    PUBLIC = "public"
    BEARER = "bearer"
    PBX_HMAC = "pbx-hmac"
    SIGNED_LINK = "signed-link"


@dataclass(frozen=True)
class Access:
    """What one route needs. `roles`: any one of them admits (empty: any signed-in caller);
    `open_to_loopback`: a caller on 127.0.0.1 / ::1 needs nothing (/metrics)."""

    kind: Kind
    roles: frozenset[str] = frozenset()
    open_to_loopback: bool = False

    def describe(self) -> str:
        if self.kind is not Kind.BEARER:
            return self.kind.value
        who = " or ".join(sorted(self.roles)) if self.roles else "any signed-in caller"
        local = " (open to 127.0.0.1)" if self.open_to_loopback else ""
        return f"bearer token: {who}{local}"


PUBLIC = Access(Kind.PUBLIC)
PBX_HMAC = Access(Kind.PBX_HMAC)
SIGNED_LINK = Access(Kind.SIGNED_LINK)


def requires(*roles: str) -> Access:
    """A bearer token granting one of `roles` (none: any valid token)."""
    return Access(Kind.BEARER, frozenset(roles))


def metrics_access(mode: str) -> Access:
    """/metrics by `CC_METRICS_ACCESS`: `loopback`, `token` or `open`."""
    if mode == "open":
        return PUBLIC
    return Access(Kind.BEARER, frozenset({METRICS}), open_to_loopback=mode == "loopback")


@dataclass(frozen=True)
class RouteKey:
    method: str  # an HTTP method, or WEBSOCKET
    path: str  # the route's template, as OpenAPI writes it: /v1/tickets/{ticket_id}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class AccessTable:
    """The decisions of one service, written `{"GET /v1/reports/calls": requires("supervisor")}`."""

    def __init__(self, rules: Mapping[str, Access]) -> None:
        self.rules: dict[RouteKey, Access] = {}
        for written, access in rules.items():
            method, _, path = written.strip().partition(" ")
            self.rules[RouteKey(method.upper(), path.strip())] = access

    def __or__(self, other: "AccessTable") -> "AccessTable":
        merged = AccessTable({})
        merged.rules = {**self.rules, **other.rules}
        return merged

    def lookup(self, key: RouteKey) -> Access | None:
        method = "GET" if key.method == "HEAD" else key.method
        return self.rules.get(RouteKey(method, key.path))

    def missing(self, app: FastAPI) -> list[RouteKey]:
        """The app's routes that have no decision."""
        return [key for key in route_keys(app) if self.lookup(key) is None]

    def unused(self, app: FastAPI) -> list[RouteKey]:
        """Decisions about routes the app does not have (a renamed route's stale entry)."""
        present = set(route_keys(app))
        return [key for key in self.rules if key not in present]


def route_keys(app: FastAPI) -> Iterator[RouteKey]:
    """Every HTTP method and socket of the app's routes, from its route list."""
    for route in effective_routes(app):
        yield from _keys_of(route)


def _keys_of(route: RouteContext) -> Iterator[RouteKey]:
    path = route.path_format
    if path is None:  # a mount: not a route of ours
        return
    if isinstance(route.original_route, WebSocketRoute):
        yield RouteKey(WEBSOCKET, path)
        return
    for method in sorted(route.methods or ()):
        if method != "HEAD":  # Starlette adds HEAD to GET; it follows GET's decision
            yield RouteKey(method, path)


def operations_access(metrics_mode: str) -> AccessTable:
    """The routes every service gets from the runtime and FastAPI."""
    return AccessTable(
        {
            "GET /healthz": PUBLIC,
            "GET /readyz": PUBLIC,
            "GET /metrics": metrics_access(metrics_mode),
            "GET /asyncapi.json": PUBLIC,
            "GET /asyncapi": PUBLIC,
            "GET /openapi.json": PUBLIC,
            "GET /docs": PUBLIC,
            "GET /docs/oauth2-redirect": PUBLIC,
            "GET /redoc": PUBLIC,
        }
    )


class Refusal(Exception):
    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


class AccessMiddleware:
    """Enforces the table for every request and socket that reaches a route."""

    def __init__(
        self, app: ASGIApp, *, routes: FastAPI, table: AccessTable, verifier: TokenVerifier
    ) -> None:
        self.app = app
        self.routes = routes
        self.table = table
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        key = self._matched(scope)
        if key is not None:  # no route: the router's own 404 / 405
            try:
                principal = await self._admit(key, scope)
            except Refusal as refusal:
                await _refuse(refusal, scope, send)
                return
            if principal is not None:
                scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _matched(self, scope: Scope) -> RouteKey | None:
        route = matched_route(self.routes, scope)
        if route is None or route.path_format is None:
            return None
        method = WEBSOCKET if scope["type"] == "websocket" else scope["method"]
        return RouteKey(method, route.path_format)

    async def _admit(self, key: RouteKey, scope: Scope) -> Principal | None:
        access = self.table.lookup(key)
        if access is None:
            raise Refusal(403, "no_access_rule", f"{key} has no entry in the access table")
        if access.kind is not Kind.BEARER:
            return None  # public, or checked by the route's own guard
        if access.open_to_loopback and _from_loopback(scope):
            return None
        principal = await self._principal(HTTPConnection(scope))
        if access.roles and not principal.has_any(access.roles):
            raise Refusal(
                403,
                "insufficient_role",
                f"{key} needs one of the roles {sorted(access.roles)}; "
                f"the token grants {sorted(principal.roles)}",
            )
        return principal

    async def _principal(self, connection: HTTPConnection) -> Principal:
        token = bearer_token(connection)
        if token is None:
            raise Refusal(401, "missing_token", "a bearer token is required (Authorization)")
        try:
            return await self.verifier.verify(token)
        except TokenRejected as rejected:
            raise Refusal(401, rejected.reason, rejected.description) from rejected
        except KeysUnavailable as error:
            raise Refusal(503, "identity_provider_unavailable", str(error)) from error


def bearer_token(connection: HTTPConnection) -> str | None:
    """`Authorization: Bearer <token>`; for a socket also `?access_token=` (RFC 6750 2.3),
    since a browser cannot set headers on a WebSocket."""
    scheme, _, token = connection.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if connection.scope["type"] == "websocket":
        return connection.query_params.get("access_token") or None
    return None


def _from_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


async def _refuse(refusal: Refusal, scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        reason = f"{refusal.status} {refusal.reason}"[:120]
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})
        return
    headers = [(b"content-type", b"application/json")]
    if refusal.status in (401, 403):
        headers.append((b"www-authenticate", _challenge(refusal).encode()))
    body = json.dumps({"detail": refusal.detail, "reason": refusal.reason}).encode()
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _challenge(refusal: Refusal) -> str:
    """RFC 6750 section 3: no error code when no token was sent."""
    if refusal.reason == "missing_token":
        return f'Bearer realm="{REALM}"'
    error = "insufficient_scope" if refusal.status == 403 else "invalid_token"
    description = refusal.detail.replace('"', "'")[:200]
    return f'Bearer realm="{REALM}", error="{error}", error_description="{description}"'


def principal(connection: HTTPConnection) -> Principal:
    """Dependency: the caller the access table admitted (a bearer route only)."""
    found = connection.scope.get("state", {}).get("principal")
    if not isinstance(found, Principal):
        raise HTTPException(500, "this route is not a bearer route in the access table")
    return found


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def document_access(app: FastAPI, table: AccessTable, issuer: str) -> None:
    """Each operation of the OpenAPI document says what it needs (`security`, `x-access`)."""
    generate = app.openapi  # FastAPI's, which regenerates when routes were added
    decorated: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not decorated or decorated[0] is not schema:
            _decorate(schema, table, issuer)
            decorated[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _decorate(schema: dict[str, Any], table: AccessTable, issuer: str) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(_security_schemes(issuer))
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            access = table.lookup(RouteKey(method.upper(), path))
            if access is not None:
                _document(operation, access)


def _security_schemes(issuer: str) -> dict[str, Any]:
    return {
        "oidc": {
            "type": "openIdConnect",
            "openIdConnectUrl": f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        },
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "pbxSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": "HMAC-SHA256 of `<X-Timestamp>.<raw body>` with the PBX's secret",
        },
        "signedLink": {"type": "apiKey", "in": "query", "name": "signature"},
    }


def _document(operation: dict[str, Any], access: Access) -> None:
    roles = sorted(access.roles)
    operation["x-access"] = {"kind": access.kind.value, "roles": roles}
    operation["security"] = list(_requirements(access, roles))
    text = f"**Access:** {access.describe()}."
    operation["description"] = f"{operation.get('description', '')}\n\n{text}".strip()
    if access.kind is Kind.BEARER:
        responses = operation.setdefault("responses", {})
        responses.setdefault("401", {"description": "No bearer token, or one that proves nothing"})
        if roles:
            responses.setdefault("403", {"description": f"The token grants none of {roles}"})


def _requirements(access: Access, roles: list[str]) -> Iterable[dict[str, list[str]]]:
    if access.kind is Kind.BEARER:
        yield {"oidc": roles}
        yield {"bearer": roles}
        if access.open_to_loopback:
            yield {}
    elif access.kind is Kind.PBX_HMAC:
        yield {"pbxSignature": []}
    elif access.kind is Kind.SIGNED_LINK:
        yield {"signedLink": []}

"""The route walk: every HTTP and WebSocket route of an app, taken from its route list (not
only its OpenAPI document), is called as its access table says it must answer.

- the app has no route missing from the table, and the table no entry for a route it lacks;
- without credentials a guarded route answers 401 (a socket is refused before it is accepted);
- with a token of each role that may not use it, 403 (a PBX-signed or signed-link route
  refuses every bearer token: it is not the credential it takes);
- with each role that may, and for public routes with nothing, neither 401, 403 nor a 5xx;
- a body-taking route (POST, PUT, PATCH) given a body that is not UTF-8, or JSON with Infinity
  (which Python's parser takes), never answers a 5xx (bearer and public routes): a 4xx with
  the reason, or a success where the route ignores what it does not know.

PBX-signed and signed-link routes are called with what `signers[kind](key, path)` returns
(request keyword arguments: headers, content, params), which the service's test builds with
its own secret.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cc_runtime.access import WEBSOCKET, Access, AccessTable, Kind, RouteKey, route_keys
from cc_runtime.identity import ROLES, effective_roles
from cc_testing.tokens import TestIssuer

Signer = Callable[[RouteKey, str], dict[str, Any]]
PATH_PARAMETER = re.compile(r"{[^}]+}")
REFUSED = (401, 403)
BODY_METHODS = {"POST", "PUT", "PATCH"}
BAD_BODIES = {"not UTF-8": b'{"text": "\xff\xfe"}', "Infinity": b'{"text": Infinity, "n": NaN}'}


@dataclass(frozen=True)
class Call:
    """One request of the walk, and how the route answered (`closed` for a refused socket)."""

    key: RouteKey
    credentials: str  # "none", "role <name>" or the signer's kind
    status: int | str


def walk_routes(
    client: TestClient,
    table: AccessTable,
    issuer: TestIssuer,
    signers: Mapping[Kind, Signer] | None = None,
) -> list[Call]:
    """Walk every route of `client.app`; fails with the first answer that breaks the table.
    Returns the calls made, so that a test can show what it covered."""
    app = client.app
    assert table.missing(app) == [], "routes without an access decision"  # type: ignore[arg-type]
    assert table.unused(app) == [], "access decisions about routes the app lacks"  # type: ignore[arg-type]
    calls: list[Call] = []
    for key in route_keys(app):  # type: ignore[arg-type]
        access = table.lookup(key)
        assert access is not None
        walk = _walk_socket if key.method == WEBSOCKET else _walk_http
        calls.extend(walk(client, key, access, issuer, signers or {}))
    return calls


def concrete_path(key: RouteKey) -> str:
    """The route's template with a sample value in each parameter."""
    return PATH_PARAMETER.sub("1", key.path)


def roles_refused(access: Access) -> list[str]:
    """The roles that may not use a bearer route (none when any signed-in caller may)."""
    return [r for r in ROLES if access.roles and effective_roles({r}).isdisjoint(access.roles)]


def roles_admitted(access: Access) -> list[str]:
    return [r for r in ROLES if r not in roles_refused(access)]


def _walk_http(
    client: TestClient,
    key: RouteKey,
    access: Access,
    issuer: TestIssuer,
    signers: Mapping[Kind, Signer],
) -> Iterator[Call]:
    path = concrete_path(key)

    def call(credentials: str, **request: Any) -> Call:
        response = client.request(key.method, path, **request)
        if response.status_code == 401:
            challenge = response.headers.get("www-authenticate", "")
            assert access.kind is not Kind.BEARER or challenge.startswith("Bearer"), (
                f"{key}: a 401 without WWW-Authenticate: Bearer ({challenge!r})"
            )
        return Call(key, credentials, response.status_code)

    def bad_bodies(credentials: str, headers: dict[str, str]) -> Iterator[Call]:
        if key.method not in BODY_METHODS:
            return
        for name, body in BAD_BODIES.items():
            json_headers = {**headers, "content-type": "application/json"}
            answered = call(f"{credentials}, a body {name}", headers=json_headers, content=body)
            yield _no_server_error(answered)

    if access.kind is Kind.PUBLIC:
        yield _admitted(call("none"))
        yield from bad_bodies("none", {})
        return
    yield _expect(call("none"), 401)
    if access.kind is Kind.BEARER:
        for role in roles_refused(access):
            yield _expect(call(f"role {role}", headers=issuer.bearer([role])), 403)
        for role in roles_admitted(access):
            yield _admitted(call(f"role {role}", headers=issuer.bearer([role])))
        admitted = roles_admitted(access)[0]
        yield from bad_bodies(f"role {admitted}", issuer.bearer([admitted]))
        return
    for role in ROLES:  # a bearer token is not what these routes take
        refused = call(f"role {role}", headers=issuer.bearer([role]))
        assert refused.status in REFUSED, f"{key}: a bearer token was let in: {refused}"
        yield refused
    signer = signers.get(access.kind)
    assert signer is not None, f"{key}: no signer given for {access.kind.value} routes"
    yield _admitted(call(access.kind.value, **signer(key, path)))


def _walk_socket(
    client: TestClient,
    key: RouteKey,
    access: Access,
    issuer: TestIssuer,
    signers: Mapping[Kind, Signer],
) -> Iterator[Call]:
    path = concrete_path(key)

    def connect(credentials: str, headers: dict[str, str] | None = None) -> Call:
        try:
            with client.websocket_connect(path, headers=dict(headers or {})):
                return Call(key, credentials, "accepted")
        except WebSocketDisconnect as refused:
            return Call(key, credentials, f"closed {refused.code} {refused.reason}")

    def accepted(call: Call) -> Call:
        assert call.status == "accepted", f"{key}: the socket was refused: {call}"
        return call

    def refused(call: Call, status: int) -> Call:
        assert str(call.status).startswith(f"closed 1008 {status}"), (
            f"{key}: expected a socket refused with {status}: {call}"
        )
        return call

    if access.kind is Kind.PUBLIC:
        yield accepted(connect("none"))
        return
    assert access.kind is Kind.BEARER, f"{key}: sockets take bearer tokens, not {access.kind}"
    yield refused(connect("none"), 401)
    for role in roles_refused(access):
        yield refused(connect(f"role {role}", issuer.bearer([role])), 403)
    for role in roles_admitted(access):
        yield accepted(connect(f"role {role}", issuer.bearer([role])))


def _expect(call: Call, status: int) -> Call:
    assert call.status == status, f"{call.key}: expected {status}: {call}"
    return call


def _no_server_error(call: Call) -> Call:
    assert isinstance(call.status, int), call
    assert call.status < 500, f"{call.key}: expected no 5xx: {call}"
    return call


def _admitted(call: Call) -> Call:
    status = call.status
    assert isinstance(status, int), call
    assert status not in REFUSED, f"{call.key}: expected neither 401 nor 403: {call}"
    assert status < 500, f"{call.key}: expected no 5xx: {call}"
    return call

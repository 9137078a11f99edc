"""Verifying OAuth 2.0 / OpenID Connect bearer tokens (JWT) with PyJWT: the signature against the
issuer's published keys (JWKS), then issuer, audience, expiry and not-before.

Why PyJWT: it does one thing (JOSE for JWTs), is small, typed and widely deployed, makes the
caller name the accepted algorithms on every decode, and checks that a JWK's key type fits the
token's algorithm. Its `PyJWKClient` fetches keys with blocking urllib and refetches on every
unknown `kid`; the services are asyncio, so `RemoteKeys` fetches with httpx, caches the set,
and refetches on an unknown `kid` at most once per `min_refresh_seconds` (a token stream with
random kids cannot turn each request into a call to the identity provider).

Errors: `TokenRejected` (the caller's fault: 401 with its `reason`), `KeysUnavailable` (the
identity provider cannot be reached and no key is cached: 503).
"""

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from cc_runtime.identity import Principal, principal_from_claims

# Pinned here, never read from the token: `none` and the HMAC family (a public key used as an
# HMAC secret) are refused before any key is looked up.
ALGORITHMS = ("RS256", "ES256")
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
FETCH_TIMEOUT_SECONDS = 5.0


class TokenRejected(Exception):
    """The token does not prove who calls: `reason` is a short code, the message says why."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched, and none are cached."""


class KeySource(Protocol):
    async def key(self, kid: str | None) -> PyJWK: ...


def _key_set(document: Mapping[str, Any]) -> dict[str | None, PyJWK]:
    """The signing keys of a JWKS document, by `kid` (keys for encryption are left out)."""
    keys = PyJWKSet.from_dict(dict(document)).keys
    return {k.key_id: k for k in keys if k.public_key_use in (None, "sig")}


def _pick(keys: Mapping[str | None, PyJWK], kid: str | None) -> PyJWK | None:
    if kid is None and len(keys) == 1:
        return next(iter(keys.values()))
    return keys.get(kid)


class StaticKeys:
    """A fixed JWKS: the test key that tests and local development trust."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.keys = _key_set(document)

    @classmethod
    def parse(cls, inline_or_path: str) -> "StaticKeys":
        """From inline JSON (`{"keys": [...]}`) or the path of a JWKS file."""
        text = inline_or_path.strip()
        if not text.startswith("{"):
            text = Path(text).read_text()
        return cls(json.loads(text))

    async def key(self, kid: str | None) -> PyJWK:
        found = _pick(self.keys, kid)
        if found is None:
            raise TokenRejected("unknown_key", f"no trusted key has kid {kid!r}")
        return found


class RemoteKeys:
    """The issuer's JWKS, found through its discovery document unless `jwks_url` is given,
    cached for `ttl_seconds` and refetched early for an unknown `kid` (a key rotation), at
    most once per `min_refresh_seconds`. When a refetch fails the cached keys are kept."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        ttl_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.jwks_url = jwks_url
        self.ttl_seconds = ttl_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.transport = transport
        self.keys: dict[str | None, PyJWK] = {}
        self.fetched_at: float | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK:
        if self._stale():
            await self._refresh(force=False)
        found = _pick(self.keys, kid)
        if found is None and self._may_refetch():
            await self._refresh(force=True)
            found = _pick(self.keys, kid)
        if found is None:
            raise TokenRejected("unknown_key", f"the issuer publishes no key with kid {kid!r}")
        return found

    def _stale(self) -> bool:
        return self.fetched_at is None or time.monotonic() - self.fetched_at > self.ttl_seconds

    def _may_refetch(self) -> bool:
        return self.fetched_at is None or (
            time.monotonic() - self.fetched_at >= self.min_refresh_seconds
        )

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            if not (self._stale() or (force and self._may_refetch())):
                return
            try:
                keys = _key_set(await self._fetch())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                self.fetched_at = time.monotonic()  # keep the old keys; retry after a while
                if not self.keys:
                    raise KeysUnavailable(f"keys of {self.issuer}: {error}") from error
                return
            self.keys = keys
            self.fetched_at = time.monotonic()
            self.fetches += 1

    async def _fetch(self) -> dict[str, Any]:
        async with httpx.AsyncClient(
            transport=self.transport, timeout=FETCH_TIMEOUT_SECONDS
        ) as client:
            url = self.jwks_url or await self._discover(client)
            response = await client.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document

    async def _discover(self, client: httpx.AsyncClient) -> str:
        response = await client.get(f"{self.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        configuration = response.json()
        if configuration.get("issuer", "").rstrip("/") != self.issuer:
            raise ValueError(f"discovery names issuer {configuration.get('issuer')!r}")
        return str(configuration["jwks_uri"])


@dataclass(frozen=True)
class TokenVerifier:
    """Turns a bearer token into a `Principal`, or raises `TokenRejected`."""

    keys: KeySource
    issuer: str
    audience: str
    roles_claim: str = "realm_access.roles"
    leeway_seconds: float = 30.0

    async def verify(self, token: str) -> Principal:
        algorithm, kid = _header(token)
        key = await self.keys.key(kid)
        if key.key_type != KEY_TYPES[algorithm]:
            raise TokenRejected("wrong_key_type", f"{algorithm} needs a {KEY_TYPES[algorithm]} key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(_reason(error), str(error)) from error
        return principal_from_claims(claims, self.roles_claim)


def _header(token: str) -> tuple[str, str | None]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenRejected("malformed_token", str(error)) from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise TokenRejected(
            "algorithm_not_allowed", f"alg {algorithm!r}; accepted: {', '.join(ALGORITHMS)}"
        )
    kid = header.get("kid")
    return str(algorithm), None if kid is None else str(kid)


def _reason(error: jwt.PyJWTError) -> str:
    for kind, reason in (
        (jwt.ExpiredSignatureError, "token_expired"),
        (jwt.ImmatureSignatureError, "token_not_yet_valid"),
        (jwt.InvalidAudienceError, "wrong_audience"),
        (jwt.InvalidIssuerError, "wrong_issuer"),
        (jwt.MissingRequiredClaimError, "missing_claim"),
        (jwt.InvalidSignatureError, "bad_signature"),
    ):
        if isinstance(error, kind):
            return reason
    return "invalid_token"

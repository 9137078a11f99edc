"""How cc-dev proves who it is to the services' protected routes (the imports take `admin`): a
bearer token it is given (`--token`, `CC_DEV_TOKEN`), or one it asks the identity provider for
with OAuth 2.0 client credentials (RFC 6749 section 4.4) as a confidential client, such as the
demo realm's `services` client, whose service account holds `admin`. The token endpoint is read
from the issuer's OpenID Connect discovery document, so any provider plugs in by its issuer URL.
HTTP adapter (httpx)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from cc_dev.errors import HttpError, UsageError

DISCOVERY = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ClientCredentials:
    issuer: str
    client_id: str
    client_secret: str


def credentials_from(
    issuer: str, client_id: str | None, client_secret: str | None
) -> ClientCredentials | None:
    """The client's credentials when both halves are given; a usage error for one alone."""
    if not client_id and not client_secret:
        return None
    if not client_id or not client_secret:
        raise UsageError("give both --client-id and --client-secret (or a --token)")
    return ClientCredentials(issuer.rstrip("/"), client_id, client_secret)


def bearer_token(token: str | None, client: ClientCredentials | None, timeout: float) -> str:
    """The token given, else one issued to the client; a usage error when there is neither."""
    if token:
        return token
    if client is None:
        raise UsageError(
            "this route needs a bearer token: give --token (CC_DEV_TOKEN), or --client-id and "
            "--client-secret (CC_DEV_CLIENT_ID, CC_DEV_CLIENT_SECRET) of a client of the "
            "issuer (CC_OIDC_ISSUER) holding the role"
        )
    with httpx.Client(timeout=timeout) as http:
        return client_credentials_token(http, client)


def client_credentials_token(http: httpx.Client, client: ClientCredentials) -> str:
    """An access token for the client: the discovery document names the token endpoint, which
    takes the client's id and secret in HTTP Basic (`client_secret_basic`, every provider's
    default)."""
    discovered = _json(http, "GET", client.issuer + DISCOVERY)
    endpoint = discovered.get("token_endpoint")
    if not isinstance(endpoint, str):
        raise HttpError(f"{client.issuer}{DISCOVERY} names no token_endpoint")
    issued = _json(
        http,
        "POST",
        endpoint,
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    token = issued.get("access_token")
    if not isinstance(token, str) or not token:
        raise HttpError(f"{endpoint} issued no access_token")
    return token


def _json(http: httpx.Client, method: str, url: str, **request: object) -> dict[str, object]:
    try:
        response = http.request(method, url, **request)  # type: ignore[arg-type]
    except httpx.HTTPError as error:
        raise HttpError(f"{url}: {error!r}") from None
    if response.status_code >= 400:
        raise HttpError(f"{url} answered {response.status_code}: {response.text[:500]}")
    try:
        found = response.json()
    except ValueError:
        raise HttpError(f"{url} answered something that is not JSON") from None
    if not isinstance(found, dict):
        raise HttpError(f"{url} answered JSON that is not an object")
    return found

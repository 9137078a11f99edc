"""A test identity provider: a key pair the services under test are configured to trust, and
tokens minted with it, so that only the one end-to-end test needs a real Keycloak."""

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

TEST_ISSUER = "https://issuer.test/realms/contact-centre"
TEST_AUDIENCE = "contact-centre"


class TestIssuer:
    """Mints RS256 tokens shaped like Keycloak's (`realm_access.roles`, attribute claims)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(
        self, issuer: str = TEST_ISSUER, audience: str = TEST_AUDIENCE, kid: str = "test-key"
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        return jwks_of({self.kid: self.private_key})

    def env(self) -> dict[str, str]:
        """What a service process (or its settings) needs to trust this issuer."""
        return {
            "CC_OIDC_ISSUER": self.issuer,
            "CC_OIDC_AUDIENCE": self.audience,
            "CC_OIDC_TRUSTED_JWKS": json.dumps(self.jwks()),
            "CC_ENVIRONMENT": "test",
        }

    def claims(
        self, roles: Sequence[str], subject: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "realm_access": {"roles": list(roles)},
            "preferred_username": "test-user",
        }
        return {**claims, **extra}

    def token(self, roles: Sequence[str] = (), subject: str | None = None, **extra: Any) -> str:
        return self.sign(self.claims(roles, subject, **extra))

    def sign(
        self,
        claims: Mapping[str, Any],
        algorithm: str = "RS256",
        key: PrivateKeyTypes | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Any token, for the tests of what is refused (another key, algorithm or header)."""
        return jwt.encode(
            dict(claims),
            key or self.private_key,  # type: ignore[arg-type]
            algorithm=algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )

    def bearer(self, roles: Sequence[str] = (), **extra: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(roles, **extra)}"}


def jwks_of(keys: Mapping[str, PrivateKeyTypes]) -> dict[str, Any]:
    """The public JWKS of private keys (RSA: RS256, EC P-256: ES256), by kid."""
    published = []
    for kid, key in keys.items():
        if isinstance(key, rsa.RSAPrivateKey):
            jwk, algorithm = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "RS256"
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            jwk, algorithm = ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "ES256"
        else:
            raise TypeError(f"no JWK for {type(key).__name__}")
        published.append({**jwk, "kid": kid, "use": "sig", "alg": algorithm})
    return {"keys": published}

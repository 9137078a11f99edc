"""Bearer tokens are verified against the issuer's keys, with issuer, audience, expiry,
not-before and the algorithm checked; roles and attributes become the Principal."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cc_runtime.tokens import KeysUnavailable, RemoteKeys, StaticKeys, TokenRejected, TokenVerifier
from cc_testing.tokens import TestIssuer, jwks_of

ISSUER = TestIssuer()


def verifier(keys: Any = None, **options: Any) -> TokenVerifier:
    return TokenVerifier(
        keys or StaticKeys(ISSUER.jwks()), issuer=ISSUER.issuer, audience=ISSUER.audience, **options
    )


async def rejection(token: str, checked: TokenVerifier | None = None) -> str:
    with pytest.raises(TokenRejected) as rejected:
        await (checked or verifier()).verify(token)
    return rejected.value.reason


async def test_a_keycloak_shaped_token_gives_the_subject_roles_and_attributes() -> None:
    token = ISSUER.token(
        ["supervisor"],
        subject="f3b1c2d4",
        name="Marta Ferrari",
        team="customer-care",
        skills=["orders", "returns"],
        languages=["it", "en"],
        chat_seat_limit=3,
        extension="1127",
        pbx_agent_ids=["PJSIP/1127", "Agent/1127"],
        azp="console",
    )

    principal = await verifier().verify(token)

    assert principal.subject == "f3b1c2d4"
    assert principal.granted == {"supervisor"}
    assert principal.roles == {"supervisor", "operator"}
    assert principal.role == "supervisor"
    assert (principal.name, principal.client_id, principal.team) == (
        "Marta Ferrari",
        "console",
        "customer-care",
    )
    assert principal.skills == ("orders", "returns")
    assert principal.languages == ("it", "en")
    assert principal.chat_seat_limit == 3
    assert principal.extension == "1127"
    assert principal.pbx_agent_ids == ("PJSIP/1127", "Agent/1127")


async def test_a_person_without_attributes_gets_no_values() -> None:
    principal = await verifier().verify(ISSUER.token(["operator"], chat_seat_limit="three"))

    assert (principal.team, principal.extension, principal.chat_seat_limit) == (None, None, None)
    assert (principal.skills, principal.languages, principal.pbx_agent_ids) == ((), (), ())


async def test_attributes_written_as_text_are_read_alike() -> None:
    token = ISSUER.token(["operator"], chat_seat_limit="4", skills="orders", extension=1127)

    principal = await verifier().verify(token)

    assert (principal.chat_seat_limit, principal.skills, principal.extension) == (
        4,
        ("orders",),
        "1127",
    )


async def test_admin_and_back_office_grant_only_themselves() -> None:
    admin = await verifier().verify(ISSUER.token(["admin"]))
    back_office = await verifier().verify(ISSUER.token(["back-office"]))

    assert (admin.roles, back_office.roles) == ({"admin"}, {"back-office"})


async def test_roles_are_read_at_the_configured_claim_path() -> None:
    token = ISSUER.sign({**ISSUER.claims([]), "roles": "operator back-office"})

    principal = await verifier(roles_claim="roles").verify(token)

    assert principal.granted == {"operator", "back-office"}


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": -120}, "token_expired"),  # seconds from now, added when the test runs
        ({"nbf": +120}, "token_not_yet_valid"),
        ({"iss": "https://elsewhere.test/realms/contact-centre"}, "wrong_issuer"),
        ({"aud": "account"}, "wrong_audience"),
        ({"sub": None}, "missing_claim"),
    ],
)
async def test_a_token_outside_its_validity_or_for_another_party_is_rejected(
    claims: dict[str, Any], reason: str
) -> None:
    # Times from the test's run, not its collection: a full run reaches it minutes later, when
    # an `nbf` two minutes after import has passed.
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf") else v for k, v in claims.items()}
    payload = {**ISSUER.claims(["operator"]), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}

    assert await rejection(ISSUER.sign(payload)) == reason


async def test_a_small_clock_skew_is_forgiven() -> None:
    payload = {**ISSUER.claims(["operator"]), "exp": int(time.time()) - 10}

    principal = await verifier(leeway_seconds=30).verify(ISSUER.sign(payload))

    assert principal.roles == {"operator"}


async def test_unsigned_and_hmac_tokens_are_refused_whatever_their_header_says() -> None:
    claims = ISSUER.claims(["admin"])
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": ISSUER.kid})
    # The classic confusion: the issuer's public key used as an HMAC secret.
    public_pem = ISSUER.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hmac_signed = hs256(claims, public_pem)

    assert await rejection(unsigned) == "algorithm_not_allowed"
    assert await rejection(hmac_signed) == "algorithm_not_allowed"


async def test_a_token_signed_by_another_key_is_rejected() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    forged = ISSUER.sign(ISSUER.claims(["admin"]), key=other)
    unknown_kid = ISSUER.sign(ISSUER.claims(["admin"]), headers={"kid": "rotated"})

    assert await rejection(forged) == "bad_signature"
    assert await rejection(unknown_kid) == "unknown_key"
    assert await rejection("not.a.token") == "malformed_token"


async def test_es256_tokens_verify_against_an_ec_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    keys = StaticKeys(jwks_of({"ec-key": key}))
    token = ISSUER.sign(
        ISSUER.claims(["operator"]), algorithm="ES256", key=key, headers={"kid": "ec-key"}
    )

    principal = await verifier(keys).verify(token)

    assert principal.roles == {"operator"}


async def test_an_rs256_header_on_an_ec_key_is_rejected() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    keys = StaticKeys(jwks_of({ISSUER.kid: key}))

    assert await rejection(ISSUER.token(["operator"]), verifier(keys)) == "wrong_key_type"


def hs256(claims: dict[str, Any], secret: bytes) -> str:
    """A token PyJWT would refuse to make: signed with HMAC, the secret a public key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": ISSUER.kid}
    signing_input = b".".join(_b64(json.dumps(part).encode()) for part in (header, claims))
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class Provider:
    """An identity provider's discovery and JWKS documents, served through httpx's transport,
    with the keys it publishes changed by the test (a rotation) and the requests counted."""

    def __init__(self, issuer: TestIssuer) -> None:
        self.issuer = issuer
        self.published = issuer.jwks()
        self.jwks_requests = 0
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            document = {"issuer": self.issuer.issuer, "jwks_uri": "https://issuer.test/certs"}
            return httpx.Response(200, json=document)
        self.jwks_requests += 1
        return httpx.Response(200, content=json.dumps(self.published))

    def keys(self, **options: Any) -> RemoteKeys:
        return RemoteKeys(self.issuer.issuer, transport=httpx.MockTransport(self.handle), **options)


async def test_the_issuers_keys_are_discovered_fetched_once_and_cached() -> None:
    provider = Provider(ISSUER)
    checked = verifier(provider.keys())

    for _ in range(3):
        await checked.verify(ISSUER.token(["operator"]))

    assert provider.jwks_requests == 1


async def test_a_rotated_key_is_fetched_on_its_first_token_and_unknown_kids_are_rate_limited() -> (
    None
):
    provider = Provider(ISSUER)
    keys = provider.keys(min_refresh_seconds=0.2)
    checked = verifier(keys)
    await checked.verify(ISSUER.token(["operator"]))
    rotated = TestIssuer(kid="rotated")
    provider.published = {"keys": [*ISSUER.jwks()["keys"], *rotated.jwks()["keys"]]}
    keys.fetched_at = time.monotonic() - 1  # the last fetch is older than the rate limit

    principal = await checked.verify(rotated.token(["admin"]))
    for kid in ("random-1", "random-2", "random-3"):
        await rejection(ISSUER.sign(ISSUER.claims([]), headers={"kid": kid}), checked)

    assert principal.roles == {"admin"}
    assert provider.jwks_requests == 2  # the rotation; the random kids came within the limit


async def test_cached_keys_outlive_an_outage_of_the_provider() -> None:
    provider = Provider(ISSUER)
    keys = provider.keys(ttl_seconds=0.0)
    checked = verifier(keys)
    await checked.verify(ISSUER.token(["operator"]))
    provider.down = True

    principal = await checked.verify(ISSUER.token(["operator"]))

    assert principal.roles == {"operator"}


async def test_without_any_key_an_unreachable_provider_is_an_outage_not_a_bad_token() -> None:
    provider = Provider(ISSUER)
    provider.down = True

    with pytest.raises(KeysUnavailable):
        await verifier(provider.keys()).verify(ISSUER.token(["operator"]))

"""Webhook signatures: HMAC-SHA256 over timestamp and body, refused when stale or wrong; the
nonce of a request is the same however its signature header is written."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony_ingest.signing import (
    SignatureProblem,
    canonical,
    sign,
    signer,
    timestamp_problem,
    verify,
)

SECRET = "s3cret"
NOW = 1_800_000_000


def nonce_of(signature: str, body: bytes, *, secret: str = SECRET, at: int = NOW) -> str | None:
    mac = signer(secret, at)
    mac.update(body)
    return verify(mac, signature)


def test_a_body_signed_with_the_secret_is_authentic_and_its_nonce_is_its_signature() -> None:
    body = b'{"event_id": "e1"}'
    signature = sign(SECRET, NOW, body)

    assert nonce_of(signature, body) == signature


def test_a_body_fed_in_chunks_verifies_like_the_whole() -> None:
    body = b'{"event_id": "e1", "call_id": "1.1"}'
    mac = signer(SECRET, NOW)
    for start in range(0, len(body), 5):
        mac.update(body[start : start + 5])

    assert verify(mac, sign(SECRET, NOW, body)) == sign(SECRET, NOW, body)


@pytest.mark.parametrize(
    ("signature", "body", "at"),
    [
        (sign(SECRET, NOW, b"{}"), b'{"x": 1}', NOW),
        (sign("other", NOW, b"{}"), b"{}", NOW),
        (sign(SECRET, NOW - 1, b"{}"), b"{}", NOW),
        ("sha256=", b"{}", NOW),
        ("sha256=" + "0" * 64, b"{}", NOW),
        (sign(SECRET, NOW, b"{}") + "00", b"{}", NOW),
    ],
)
def test_a_signature_of_another_body_secret_or_time_does_not_verify(
    signature: str, body: bytes, at: int
) -> None:
    assert nonce_of(signature, body, at=at) is None


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, "sha256=ab", SignatureProblem.MISSING),
        (str(NOW), None, SignatureProblem.MISSING),
        ("", "sha256=ab", SignatureProblem.MISSING),
        ("soon", "sha256=ab", SignatureProblem.BAD_TIMESTAMP),
        ("\uff11\uff12\uff13", "sha256=ab", SignatureProblem.BAD_TIMESTAMP),
        (str(NOW - 301), "sha256=ab", SignatureProblem.STALE),
        (str(NOW + 301), "sha256=ab", SignatureProblem.STALE),
        (str(NOW - 300), "sha256=ab", None),
    ],
)
def test_headers_unsigned_malformed_or_stale_are_refused_before_the_body(
    timestamp: str | None, signature: str | None, problem: SignatureProblem | None
) -> None:
    assert timestamp_problem(timestamp, signature, now=NOW, tolerance_seconds=300) is problem


@st.composite
def rewritten(draw: st.DrawFn, signature: str) -> str:
    """The same signature as a sender might write it: prefix or not, any case, blanks around."""
    digest = signature.removeprefix("sha256=")
    prefix = draw(st.sampled_from(["", "sha256=", "SHA256=", "Sha256="]))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in digest)
    blanks = st.text(alphabet=" \t", max_size=3)
    return draw(blanks) + prefix + cased + draw(blanks)


@given(st.binary(max_size=200), st.data())
def test_every_way_of_writing_a_signature_verifies_to_one_nonce(
    body: bytes, data: st.DataObject
) -> None:
    signature = sign(SECRET, NOW, body)

    written = data.draw(rewritten(signature))

    assert canonical(written) == signature
    assert nonce_of(written, body) == signature


@given(st.text(max_size=80))
def test_no_header_value_crashes_canonical_or_verify(signature: str) -> None:
    written = canonical(signature)

    assert written is None or (written.startswith("sha256=") and len(written) == 71)
    assert nonce_of(signature, b"{}") in (None, sign(SECRET, NOW, b"{}"))


@given(st.text(max_size=30), st.text(max_size=30))
def test_no_header_values_crash_the_timestamp_check(timestamp: str, signature: str) -> None:
    result = timestamp_problem(timestamp, signature, now=NOW, tolerance_seconds=300)

    assert result is None or isinstance(result, SignatureProblem)

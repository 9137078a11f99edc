"""Webhook signatures: HMAC-SHA256 over timestamp and body, refused when stale or wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony_ingest.signing import SignatureProblem, check, sign

SECRET = "s3cret"
NOW = 1_800_000_000


def test_a_body_signed_with_the_secret_just_now_is_authentic() -> None:
    body = b'{"event_id": "e1"}'

    problem = check(SECRET, str(NOW), sign(SECRET, NOW, body), body, now=NOW, tolerance_seconds=300)

    assert problem is None


def test_a_bare_hex_digest_is_accepted_like_the_prefixed_one() -> None:
    signature = sign(SECRET, NOW, b"{}").removeprefix("sha256=")

    assert check(SECRET, str(NOW), signature, b"{}", now=NOW, tolerance_seconds=300) is None


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "problem"),
    [
        (None, sign(SECRET, NOW, b"{}"), b"{}", SignatureProblem.MISSING),
        (str(NOW), None, b"{}", SignatureProblem.MISSING),
        ("soon", sign(SECRET, NOW, b"{}"), b"{}", SignatureProblem.BAD_TIMESTAMP),
        (str(NOW - 301), sign(SECRET, NOW - 301, b"{}"), b"{}", SignatureProblem.STALE),
        (str(NOW + 301), sign(SECRET, NOW + 301, b"{}"), b"{}", SignatureProblem.STALE),
        (str(NOW), sign(SECRET, NOW, b"{}"), b'{"x": 1}', SignatureProblem.MISMATCH),
        (str(NOW), sign("other", NOW, b"{}"), b"{}", SignatureProblem.MISMATCH),
        (str(NOW), sign(SECRET, NOW - 1, b"{}"), b"{}", SignatureProblem.MISMATCH),
    ],
)
def test_requests_unsigned_stale_or_signed_otherwise_are_refused_with_a_reason(
    timestamp: str | None, signature: str | None, body: bytes, problem: SignatureProblem
) -> None:
    assert check(SECRET, timestamp, signature, body, now=NOW, tolerance_seconds=300) is problem


@given(st.text(max_size=30), st.text(max_size=80), st.binary(max_size=100))
def test_no_header_values_crash_the_check(timestamp: str, signature: str, body: bytes) -> None:
    result = check(SECRET, timestamp, signature, body, now=NOW, tolerance_seconds=300)

    assert result is None or isinstance(result, SignatureProblem)


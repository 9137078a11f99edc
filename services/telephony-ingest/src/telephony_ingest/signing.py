"""Webhook authentication: HMAC-SHA256 over `<timestamp>.<body>`, within a time window. Pure.

The sender puts the Unix time in `X-Timestamp` and `sha256=<hex digest>` in `X-Signature`.
A request older (or further in the future) than the tolerance is refused as stale; a replayed
signature inside the window is refused by the nonce store (see repository).
"""

import hashlib
import hmac
from enum import StrEnum

PREFIX = "sha256="


class SignatureProblem(StrEnum):
    MISSING = "signature_missing"
    BAD_TIMESTAMP = "timestamp_malformed"
    STALE = "timestamp_stale"
    MISMATCH = "signature_mismatch"
    REPLAYED = "request_replayed"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Signature` value for a body sent at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    tolerance_seconds: int,
) -> SignatureProblem | None:
    """What is wrong with a request's signature, or None when it is authentic and fresh."""
    if not timestamp or not signature:
        return SignatureProblem.MISSING
    if not (timestamp.isascii() and timestamp.isdecimal()) or len(timestamp) > 12:
        return SignatureProblem.BAD_TIMESTAMP
    if abs(now - int(timestamp)) > tolerance_seconds:
        return SignatureProblem.STALE
    expected = sign(secret, int(timestamp), body)
    given = signature if signature.startswith(PREFIX) else PREFIX + signature
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        return SignatureProblem.MISMATCH
    return None

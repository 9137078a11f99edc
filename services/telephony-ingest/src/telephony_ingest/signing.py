"""Webhook authentication: HMAC-SHA256 over `<timestamp>.<body>`, within a time window. Pure.

The sender puts the Unix time in `X-Timestamp` and `sha256=<hex digest>` in `X-Signature`.
A request older (or further in the future) than the tolerance is refused as stale; a replayed
request inside the window is refused by the nonce store (see repository). The nonce is the
signature as we compute it, so the same request is one nonce however its header is written
(with or without `sha256=`, in upper or lower case, with blanks around it).
"""

import hashlib
import hmac
import re
from enum import StrEnum

PREFIX = "sha256="
_SIGNATURE = re.compile(r"(?:sha256=)?([0-9a-f]{64})", re.IGNORECASE)


class SignatureProblem(StrEnum):
    MISSING = "signature_missing"
    BAD_TIMESTAMP = "timestamp_malformed"
    STALE = "timestamp_stale"
    MISMATCH = "signature_mismatch"
    REPLAYED = "request_replayed"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Signature` value for a body sent at `timestamp`."""
    mac = signer(secret, timestamp)
    mac.update(body)
    return PREFIX + mac.hexdigest()


def signer(secret: str, timestamp: int) -> "hmac.HMAC":
    """A running HMAC of `<timestamp>.`: feed it the body as it arrives, then `verify` it."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b".", hashlib.sha256)


def timestamp_problem(
    timestamp: str | None, signature: str | None, *, now: float, tolerance_seconds: int
) -> SignatureProblem | None:
    """What is wrong with a request's signature headers before its body is read, if anything."""
    if not timestamp or not signature:
        return SignatureProblem.MISSING
    if not (timestamp.isascii() and timestamp.isdecimal()) or len(timestamp) > 12:
        return SignatureProblem.BAD_TIMESTAMP
    if abs(now - int(timestamp)) > tolerance_seconds:
        return SignatureProblem.STALE
    return None


def canonical(signature: str) -> str | None:
    """`sha256=<lower-case hex>` for a signature however it is written; None if it is none."""
    match = _SIGNATURE.fullmatch(signature.strip())
    return None if match is None else PREFIX + match[1].lower()


def verify(mac: "hmac.HMAC", signature: str) -> str | None:
    """The request's nonce (its canonical signature) when `signature` matches the HMAC of the
    body fed to `mac`; None when it does not."""
    expected = PREFIX + mac.hexdigest()
    given = canonical(signature) or ""
    return expected if hmac.compare_digest(expected.encode(), given.encode()) else None

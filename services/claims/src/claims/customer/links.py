"""Signed, expiring links to a claim's customer page: the ticket id signed with the service's
secret (itsdangerous, HMAC-SHA256), valid for a number of days. The
link is the customer's only credential, so it names one ticket and nothing else."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "claims-customer-page"


class LinkRefused(Exception):
    """A link that is not one of ours, or has expired (HTTP 401); the message says which."""


class LinkSigner:
    def __init__(self, secret: str, valid_for: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.valid_for = valid_for

    def sign(self, ticket_id: str, now: datetime | None = None) -> tuple[str, datetime]:
        """The token for `ticket_id` and when it expires."""
        token = self._serializer.dumps(ticket_id)
        return token, (now or datetime.now(UTC)) + self.valid_for

    def ticket_of(self, token: str) -> str:
        try:
            ticket_id = self._serializer.loads(token, max_age=int(self.valid_for.total_seconds()))
        except SignatureExpired:
            raise LinkRefused("this link has expired: ask us for a new one") from None
        except BadSignature:
            raise LinkRefused("this link is not valid") from None
        if not isinstance(ticket_id, str):
            raise LinkRefused("this link is not valid")
        return ticket_id

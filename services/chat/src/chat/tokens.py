"""Signed values the browser carries but cannot forge (itsdangerous, HMAC-SHA256, valid for a
number of hours).

- The customer's chat token: the chat id signed with chat's secret. The widget gets it when it
  starts or is invited to a chat and sends it as `Authorization: Chat <token>`; it names one
  chat and nothing else.
- The shop's session token: the shop session id signed by the shop with the secret it shares
  with chat (`CHAT_SHOP_SESSION_SECRET`). The shop page puts it on the widget's script tag; the
  invitation takes it instead of a bare session id, which anyone who saw it could claim."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "chat-customer-token"
SHOP_SESSION_SALT = "shop-session"
SCHEME = "chat"


class TokenRefused(Exception):
    """No chat token, one that is not ours, or one that has expired (HTTP 401)."""


class ChatTokens:
    def __init__(self, secret: str, valid_for: timedelta, salt: str = SALT) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.valid_for = valid_for

    def sign(self, chat_id: str) -> str:
        return self._serializer.dumps(chat_id)

    def chat_of(self, token: str) -> str:
        try:
            chat_id = self._serializer.loads(token, max_age=int(self.valid_for.total_seconds()))
        except SignatureExpired:
            raise TokenRefused("this chat token has expired: start a new chat") from None
        except BadSignature:
            raise TokenRefused("this is not a chat token of ours") from None
        if not isinstance(chat_id, str):
            raise TokenRefused("this is not a chat token of ours")
        return chat_id

    def chat_of_header(self, authorization: str | None) -> str:
        """The chat named by `Authorization: Chat <token>`."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != SCHEME or not token.strip():
            raise TokenRefused("a chat token is required (Authorization: Chat <token>)")
        return self.chat_of(token.strip())


class ShopSessions:
    """The shop's signed session ids: `sign` is what the shop does (the demo page and the
    simulator play the shop), `session_of` what the invitation checks."""

    def __init__(self, secret: str, valid_for: timedelta) -> None:
        self._signed = ChatTokens(secret, valid_for, salt=SHOP_SESSION_SALT)

    def sign(self, session_id: str) -> str:
        return self._signed.sign(session_id)

    def session_of(self, token: str) -> str:
        try:
            return self._signed.chat_of(token)
        except TokenRefused:
            raise TokenRefused(
                "this is not a session token the shop issued, or it has expired"
            ) from None

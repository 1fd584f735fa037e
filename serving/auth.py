"""API-key check for the prediction endpoints (on only when `API_KEYS` is set).

A key is accepted from `Authorization: Bearer <key>` or `X-API-Key: <key>`. The presented key is
hashed and compared with the hash of EVERY configured key using `hmac.compare_digest`, without
stopping at a match, so the time taken reveals neither which key matched nor any key's length.
"""

from __future__ import annotations

import hashlib
import hmac

BEARER = "bearer"
API_KEY_HEADER = "X-API-Key"
CHALLENGE = 'Bearer realm="ticket-urgency"'


class KeyChecker:
    """Holds the hashes of the configured keys and checks request headers against them."""

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        self._digests = tuple(_digest(key) for key in keys)

    @property
    def enabled(self) -> bool:
        """Whether any key is configured."""
        return bool(self._digests)

    def problem(self, authorization: str | None, api_key: str | None) -> str | None:
        """None when the headers carry a configured key; else what is wrong, for the 401."""
        presented = presented_key(authorization, api_key)
        if presented is None:
            return f"missing key: send Authorization: Bearer <key> or {API_KEY_HEADER}: <key>"
        candidate = _digest(presented)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(candidate, digest)
        return None if matched else "key not accepted"


def presented_key(authorization: str | None, api_key: str | None) -> bytes | None:
    """The key from `Authorization: Bearer` or else `X-API-Key`, as raw bytes.

    WSGI header strings are latin-1 decoded bytes, so encoding back gives what the client sent.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == BEARER and token.strip():
        return token.strip().encode("latin-1")
    key = (api_key or "").strip()
    return key.encode("latin-1") if key else None


def _digest(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()

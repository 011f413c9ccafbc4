"""Signed recipient tokens for the open pixel, the click redirect and the unsubscribe link.

A token names one recipient (campaign id and customer id, 32 bytes) and carries an HMAC-SHA256 over them,
truncated to 128 bits, under a key derived from the server secret for this purpose only
(:attr:`fixdesk.config.Settings.signing_key`, HKDF label ``fixdesk/marketing/campaign-recipient``)::

    base64url(campaign id ‖ customer id) "." base64url(mac)      (65 characters, URL-safe, unpadded)

Nothing is stored: the token is checked by recomputing its MAC (constant-time comparison), so a guessed or
altered token names no one. Tokens do not expire: an unsubscribe link must keep working for as long as the
email sits in an inbox (RFC 8058 asks the link to work without further interaction). The previous server
secrets (``FIXDESK_PREVIOUS_SECRET_KEYS``) still verify, so rotating the key leaves old emails working.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fixdesk.config import Settings

_LABEL = b"fixdesk/marketing/campaign-recipient"
MAC_BYTES = 16


@lru_cache(maxsize=16)
def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(secret.encode())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs and verifies recipient tokens with the settings' current key (and its previous ones)."""

    def __init__(self, settings: Settings) -> None:
        self._key = _key(settings.signing_key)
        self._verify_keys = [self._key] + [
            _key(secret.get_secret_value()) for secret in settings.previous_secret_keys
        ]

    def sign(self, campaign_id: uuid.UUID, customer_id: uuid.UUID) -> str:
        data = campaign_id.bytes + customer_id.bytes
        mac = hmac.new(self._key, data, hashlib.sha256).digest()[:MAC_BYTES]
        return f"{_encode(data)}.{_encode(mac)}"

    def verify(self, token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        """``(campaign id, customer id)`` of a genuine token, else ``None``."""
        data_text, _, mac_text = token.partition(".")
        if len(data_text) != 43 or len(mac_text) != 22:
            return None
        try:
            data, mac = _decode(data_text), _decode(mac_text)
        except (binascii.Error, ValueError):
            return None
        if len(data) != 32:
            return None
        for key in self._verify_keys:
            if hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest()[:MAC_BYTES], mac):
                return uuid.UUID(bytes=data[:16]), uuid.UUID(bytes=data[16:])
        return None

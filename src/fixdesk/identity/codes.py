"""Emailed one-time secrets: 6-digit login codes and the sealing that carries a secret through the job queue.

* A code is 6 random digits (``secrets``), or ``FIXDESK_DEV_LOGIN_CODE`` outside production. Only
  ``HMAC-SHA256(key, code id ‖ code)`` is stored: keyed with a key derived from the app secret, so a copy
  of the database alone cannot be brute-forced through the million possible codes, and salted with the
  code's own id, so two equal codes never share a hash.
* The email goes out from a job, and job payloads live in the database. So the payload carries the code
  *sealed*: XORed with an HMAC-derived key stream unique to the code's id (a one-time pad only the app
  secret opens). The plain code exists in the request, in the worker's memory and in the email, never in
  a table. Invitation tokens travel the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from fixdesk.config import Settings

CODE_LENGTH = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5


def _derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, derived from the app secret (keys for different uses never coincide)."""
    return hmac.new(secret.encode(), f"fixdesk/identity/{purpose}".encode(), hashlib.sha256).digest()


def new_code(settings: Settings) -> str:
    """A fresh 6-digit code; the configured development code outside production."""
    if settings.dev_login_code and not settings.is_production:
        return settings.dev_login_code
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def hash_code(secret: str, code_id: uuid.UUID, code: str) -> str:
    """The stored form of ``code``: hex HMAC-SHA256 over the code id and the code."""
    key = _derived_key(secret, "login-code")
    return hmac.new(key, code_id.bytes + code.encode(), hashlib.sha256).hexdigest()


def code_matches(secret: str, code_id: uuid.UUID, code: str, stored_hash: str) -> bool:
    """Whether ``code`` is the code stored as ``stored_hash`` (constant-time comparison)."""
    return hmac.compare_digest(hash_code(secret, code_id, code), stored_hash)


def _key_stream(secret: str, purpose: str, nonce: uuid.UUID, length: int) -> bytes:
    key = _derived_key(secret, f"seal/{purpose}")
    stream = b""
    counter = 0
    while len(stream) < length:
        stream += hmac.new(key, nonce.bytes + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return stream[:length]


def seal(secret: str, purpose: str, nonce: uuid.UUID, plaintext: str) -> str:
    """``plaintext`` encrypted for a job payload (hex). ``nonce`` must be unique per sealed value (the id of
    the code or invitation row), so no key stream is ever used twice."""
    data = plaintext.encode()
    stream = _key_stream(secret, purpose, nonce, len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True)).hex()


def unseal(secret: str, purpose: str, nonce: uuid.UUID, sealed: str) -> str:
    """The plaintext of :func:`seal`'s output."""
    data = bytes.fromhex(sealed)
    stream = _key_stream(secret, purpose, nonce, len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True)).decode()

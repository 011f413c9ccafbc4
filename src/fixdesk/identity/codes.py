"""Emailed one-time secrets: 6-digit login codes, and how they (and invitation tokens) cross the job queue.

* A code is 6 random digits (``secrets``), or ``FIXDESK_DEV_LOGIN_CODE`` outside production. Only
  ``HMAC-SHA256(key, code id ‖ code)`` is stored: keyed with a key derived from the app secret, so a copy
  of the database alone cannot be brute-forced through the million possible codes, and salted with the
  code's own id, so two equal codes never share a hash.
* The email goes out from a job, and job payloads live in the database. So the payload carries the code
  *sealed*: encrypted with :mod:`fixdesk.platform.crypto` (AES-GCM under a key derived from the app
  secret, with the purpose and the code's id as associated data, :func:`seal`). The plain code exists in
  the request, in the worker's memory and in the email, never in a table. Invitation tokens travel the
  same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from fixdesk.config import Settings
from fixdesk.platform.crypto import Keyring

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


def seal(settings: Settings, purpose: str, record_id: uuid.UUID, plaintext: str) -> str:
    """``plaintext`` encrypted for a job payload, bound to ``purpose`` and ``record_id`` (the id of the code
    or invitation row): a sealed value copied into another job does not open."""
    return Keyring.from_settings(settings).encrypt(plaintext, purpose=purpose, record_id=record_id)


def unseal(settings: Settings, purpose: str, record_id: uuid.UUID, sealed: str) -> str:
    """The plaintext of :func:`seal`'s output; :class:`fixdesk.platform.crypto.DecryptionFailed` when it
    was sealed for another purpose or record, under a key no longer configured, or in another format."""
    return Keyring.from_settings(settings).decrypt(sealed, purpose=purpose, record_id=record_id)

"""Encryption of secrets Fixdesk must keep readable (webhook signing secrets, codes in job payloads).

AES-256-GCM (``cryptography``'s AEAD) with a random 96-bit nonce per value. The key of each *purpose*
(e.g. ``webhooks.signing-secret``) is derived from the server secret (``FIXDESK_SECRET_KEY`` or the
generated key, :attr:`fixdesk.config.Settings.signing_key`) with HKDF-SHA256 and the purpose as label, so
no two uses share a key. The associated data binds each ciphertext to its purpose and to the id of its
row (or job): a value copied into another row, column or payload does not decrypt.

Stored form, version 1 (ASCII, at most ``len(plaintext) * 4 / 3 + 60`` characters)::

    v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag), unpadded>

``key id`` names the server secret that encrypted it (12 hex digits derived with HKDF from that secret,
which reveal nothing about it), so after a key rotation the right key is found without trying them all.

Key rotation: the new secret goes in ``FIXDESK_SECRET_KEY`` and the old one in
``FIXDESK_PREVIOUS_SECRET_KEYS`` (a JSON list), whose keys still decrypt; ``fixdesk secrets reencrypt``
then rewrites every stored value under the current key (:func:`reencrypt_all`), after which the previous
key can be dropped. Columns holding such values register themselves with :func:`encrypted_column`.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

VERSION = "v1"
NONCE_BYTES = 12  # 96 bits, GCM's native nonce size; random nonces are safe far beyond our volumes
KEY_ID_BYTES = 6
_LABEL = b"fixdesk/aead/v1/"


class DecryptionFailed(Exception):
    """The value is not in a known format, was encrypted under a key no longer configured, belongs to
    another purpose or row, or was altered."""


def _hkdf(secret: str, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret.encode())


@lru_cache(maxsize=64)
def key_id(secret: str) -> str:
    """The public name of a server secret: 12 hex digits derived from it (never the secret itself)."""
    return _hkdf(secret, b"fixdesk/key-id", KEY_ID_BYTES).hex()


@lru_cache(maxsize=256)
def _cipher(secret: str, purpose: str) -> AESGCM:
    return AESGCM(_hkdf(secret, _LABEL + purpose.encode(), 32))


def _associated_data(purpose: str, record_id: uuid.UUID | str, kid: str) -> bytes:
    return f"fixdesk|{VERSION}|{kid}|{purpose}|{record_id}".encode()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    """The current server secret, which encrypts, and the previous ones, which still decrypt."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self.current_key_id = key_id(current)
        self._secrets: dict[str, str] = {}
        for secret in (current, *previous):
            self._secrets.setdefault(key_id(secret), secret)

    @classmethod
    def from_settings(cls, settings: Any) -> Keyring:
        """The keyring of ``settings``: ``signing_key`` and ``previous_secret_keys``."""
        return keyring(
            settings.signing_key, tuple(key.get_secret_value() for key in settings.previous_secret_keys)
        )

    @property
    def key_ids(self) -> list[str]:
        """The names of every key that decrypts, the current one first."""
        return list(self._secrets)

    def encrypt(self, plaintext: str, *, purpose: str, record_id: uuid.UUID | str) -> str:
        """``plaintext`` encrypted under the current key for ``purpose`` and ``record_id``, in the stored
        form described in the module docstring."""
        nonce = os.urandom(NONCE_BYTES)
        kid = self.current_key_id
        sealed = _cipher(self._secrets[kid], purpose).encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(purpose, record_id, kid)
        )
        return f"{VERSION}.{kid}.{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, *, purpose: str, record_id: uuid.UUID | str) -> str:
        """The plaintext of :meth:`encrypt`'s ``token``, given the same ``purpose`` and ``record_id``.

        Raises :class:`DecryptionFailed` for any other format, an unknown key, another purpose or row, or
        an altered value.
        """
        version, kid, data = _split(token)
        if version != VERSION:
            raise DecryptionFailed(f"Unknown encryption format {version!r}.")
        secret = self._secrets.get(kid)
        if secret is None:
            raise DecryptionFailed(
                f"Encrypted under key {kid}, which is neither FIXDESK_SECRET_KEY nor one of "
                "FIXDESK_PREVIOUS_SECRET_KEYS."
            )
        try:
            raw = _b64decode(data)
            plaintext = _cipher(secret, purpose).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(purpose, record_id, kid)
            )
            return plaintext.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            raise DecryptionFailed("The value does not decrypt for this purpose and record.") from None

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is encrypted under the current key (nothing to re-encrypt)."""
        try:
            version, kid, _ = _split(token)
        except DecryptionFailed:
            return False
        return version == VERSION and kid == self.current_key_id

    def reencrypt(self, token: str, *, purpose: str, record_id: uuid.UUID | str) -> str:
        """``token`` decrypted with whichever key encrypted it and encrypted again under the current key."""
        return self.encrypt(
            self.decrypt(token, purpose=purpose, record_id=record_id), purpose=purpose, record_id=record_id
        )


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise DecryptionFailed("Not an encrypted value.")
    return parts[0], parts[1], parts[2]


@lru_cache(maxsize=16)
def keyring(current: str, previous: tuple[str, ...] = ()) -> Keyring:
    """The (cached) :class:`Keyring` of these secrets."""
    return Keyring(current, previous)


# -- encrypted columns and their re-encryption ------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    """A column of ``model`` (which has an ``id``) holding values encrypted for ``purpose`` with the row's
    id as associated data."""

    model: Any
    attribute: str
    purpose: str

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.attribute}"


ENCRYPTED_COLUMNS: list[EncryptedColumn] = []


def encrypted_column(model: Any, attribute: str, purpose: str) -> EncryptedColumn:
    """Register ``model.attribute`` for :func:`reencrypt_all`; returns the registration."""
    column = EncryptedColumn(model, attribute, purpose)
    if column not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append(column)
    return column


async def reencrypt_all(session: AsyncSession, ring: Keyring) -> dict[str, int]:
    """Re-encrypt under the current key every registered column's values that are under another key;
    returns how many values of each column (``table.attribute``) were rewritten. Flushes, never commits.

    Raises :class:`DecryptionFailed` (naming the row) for a value no configured key decrypts: nothing is
    then written, as the caller rolls back.
    """
    counts: dict[str, int] = {}
    for column in ENCRYPTED_COLUMNS:
        attribute = getattr(column.model, column.attribute)
        rows = (await session.execute(select(column.model.id, attribute))).all()
        rewritten = 0
        for row_id, token in rows:
            if token is None or ring.is_current(token):
                continue
            try:
                fresh = ring.reencrypt(token, purpose=column.purpose, record_id=row_id)
            except DecryptionFailed as exc:
                raise DecryptionFailed(f"{column.name} of row {row_id}: {exc}") from None
            await session.execute(
                update(column.model)
                .where(column.model.id == row_id, attribute == token)
                .values({column.attribute: fresh})
                .execution_options(synchronize_session=False)
            )
            rewritten += 1
        counts[column.name] = rewritten
    await session.flush()
    return counts

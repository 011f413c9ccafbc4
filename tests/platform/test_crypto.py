"""Encryption at rest (fixdesk.platform.crypto): AES-GCM values bound to their purpose and row, named by
the key that made them, readable with previous keys after a rotation, and nothing else."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from fixdesk.config import Settings
from fixdesk.platform.crypto import DecryptionFailed, Keyring, key_id

OLD_KEY = "old-secret-key-" + "o" * 32
NEW_KEY = "new-secret-key-" + "n" * 32
ROW = uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")
PURPOSE = "webhooks.signing-secret"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_a_value_round_trips_in_the_versioned_format_naming_its_key():
    ring = Keyring(NEW_KEY)

    token = ring.encrypt(SECRET, purpose=PURPOSE, record_id=ROW)

    version, kid, data = token.split(".")
    assert (version, kid) == ("v1", key_id(NEW_KEY))
    assert re.fullmatch(r"[0-9a-f]{12}", kid)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", data)
    # nonce (12) + plaintext + tag (16)
    assert len(base64.urlsafe_b64decode(data + "==")) == 12 + len(SECRET) + 16
    assert SECRET not in token
    assert SECRET.removeprefix("whsec_") not in token
    assert ring.decrypt(token, purpose=PURPOSE, record_id=ROW) == SECRET
    # A fresh random nonce every time: equal secrets never look equal.
    assert ring.encrypt(SECRET, purpose=PURPOSE, record_id=ROW) != token


def test_a_value_opens_only_for_its_purpose_and_row():
    ring = Keyring(NEW_KEY)
    token = ring.encrypt(SECRET, purpose=PURPOSE, record_id=ROW)

    with pytest.raises(DecryptionFailed):
        ring.decrypt(token, purpose=PURPOSE, record_id=uuid.uuid4())
    with pytest.raises(DecryptionFailed):
        ring.decrypt(token, purpose="identity.login-code", record_id=ROW)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # ciphertext or tag changed
        lambda t: "v2" + t[2:],  # another version
        lambda t: t.replace(".", ":"),  # not the format
        lambda t: "3b4c" + t,  # a hand-made hex value of the old sealing
        lambda t: t.split(".")[0] + "." + key_id(OLD_KEY) + "." + t.split(".")[2],  # another key's name
    ],
)
def test_an_altered_or_foreign_value_does_not_open(tamper):
    ring = Keyring(NEW_KEY, [OLD_KEY])
    token = ring.encrypt(SECRET, purpose=PURPOSE, record_id=ROW)

    with pytest.raises(DecryptionFailed):
        ring.decrypt(tamper(token), purpose=PURPOSE, record_id=ROW)


def test_previous_keys_still_decrypt_and_re_encryption_moves_values_to_the_current_key():
    before = Keyring(OLD_KEY).encrypt(SECRET, purpose=PURPOSE, record_id=ROW)
    rotated = Keyring(NEW_KEY, [OLD_KEY])

    assert rotated.key_ids == [key_id(NEW_KEY), key_id(OLD_KEY)]
    assert not rotated.is_current(before)
    assert rotated.decrypt(before, purpose=PURPOSE, record_id=ROW) == SECRET
    after = rotated.reencrypt(before, purpose=PURPOSE, record_id=ROW)
    assert rotated.is_current(after)
    assert Keyring(NEW_KEY).decrypt(after, purpose=PURPOSE, record_id=ROW) == SECRET
    # Without the previous key, old values say which key they need.
    with pytest.raises(DecryptionFailed, match=key_id(OLD_KEY)):
        Keyring(NEW_KEY).decrypt(before, purpose=PURPOSE, record_id=ROW)


def test_the_keyring_of_the_settings_uses_the_secret_key_and_the_previous_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("FIXDESK_PREVIOUS_SECRET_KEYS", f'["{OLD_KEY}"]')
    settings = Settings(data_dir=tmp_path, secret_key=NEW_KEY)

    ring = Keyring.from_settings(settings)

    assert ring.current_key_id == key_id(NEW_KEY)
    assert ring.key_ids == [key_id(NEW_KEY), key_id(OLD_KEY)]
    assert key_id(NEW_KEY) not in NEW_KEY
    assert NEW_KEY not in repr(settings)


def test_a_short_previous_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("FIXDESK_PREVIOUS_SECRET_KEYS", '["too-short"]')
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(data_dir=tmp_path)

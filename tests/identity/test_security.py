"""Password hashing and access tokens, without a database."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest

from fixdesk.db import utcnow
from fixdesk.platform.errors import TokenExpired, Unauthorized
from fixdesk.platform.security import (
    REQUIRED_CLAIMS,
    TokenService,
    hash_password,
    hash_secret,
    new_secret,
    verify_password,
)

PASSWORD = "s3cret-Passphrase"
KEY = "unit-test-signing-key-long-enough-for-every-hmac-algorithm-0123456789"
ISSUER = "fixdesk-test"
AUDIENCE = "fixdesk-test-api"
PHC_ARGON2ID = re.compile(
    r"^\$argon2id\$v=(?P<version>\d+)\$m=(?P<memory>\d+),t=(?P<time>\d+),p=(?P<parallelism>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)


@pytest.fixture(scope="module")
def password_hash() -> str:
    # One Argon2 hash for the whole module: each one costs tens of milliseconds on purpose.
    return hash_password(PASSWORD)


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(KEY, ISSUER, AUDIENCE, timedelta(minutes=15))


def claims(subject: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(subject),
        "typ": "access",
        "role": "admin",
        "pt": "user",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    values.update(overrides)
    return values


# --- passwords ---------------------------------------------------------------------------------------


def test_password_hash_is_argon2id_with_owasp_parameters(password_hash):
    match = PHC_ARGON2ID.match(password_hash)

    assert match, password_hash
    assert int(match["version"]) == 19
    assert int(match["memory"]) >= 19456  # KiB, OWASP minimum (19 MiB)
    assert int(match["time"]) >= 2
    assert int(match["parallelism"]) >= 1
    assert PASSWORD not in password_hash


def test_verify_password_accepts_the_right_password_only(password_hash):
    assert verify_password(PASSWORD, password_hash) is True
    assert verify_password(PASSWORD.upper(), password_hash) is False
    assert verify_password("", password_hash) is False


@pytest.mark.parametrize(
    "stored",
    [
        "not-a-hash",
        "$argon2id$v=19$m=23552,t=2,p=1$truncated",
        "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0",
        "",
        None,
    ],
)
def test_verify_password_is_false_for_a_missing_or_malformed_hash(stored):
    assert verify_password(PASSWORD, stored) is False


def test_the_same_password_hashes_differently_each_time(password_hash):
    # A fresh salt per hash; the second hash is the only extra Argon2 work in this module.
    again = hash_password(PASSWORD)

    assert again != password_hash
    assert verify_password(PASSWORD, again) is True


def test_secrets_are_random_and_stored_as_sha256():
    first, second = new_secret("rt_"), new_secret("rt_")

    assert first.startswith("rt_")
    assert first != second
    assert len(first) > 40
    assert hash_secret(first) == hashlib.sha256(first.encode()).hexdigest()
    assert hash_secret(first) != hash_secret(second)


# --- access tokens -----------------------------------------------------------------------------------


def test_token_round_trip(tokens):
    subject = uuid.uuid4()

    token = tokens.issue_access_token(subject, "technician", "user")
    verified = tokens.verify_access_token(token)

    assert verified.subject == subject
    assert verified.role == "technician"
    assert verified.principal_type == "user"
    raw = jwt.decode(token, KEY, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert set(REQUIRED_CLAIMS) <= set(raw)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert raw["exp"] - raw["iat"] == 15 * 60
    assert verified.expires_at.timestamp() == raw["exp"]
    assert verified.token_id == raw["jti"]


def test_every_token_gets_its_own_id(tokens):
    subject = uuid.uuid4()

    first = tokens.verify_access_token(tokens.issue_access_token(subject, "admin", "user"))
    second = tokens.verify_access_token(tokens.issue_access_token(subject, "admin", "user"))

    assert first.token_id != second.token_id


def test_customer_tokens_carry_their_principal_type(tokens):
    subject = uuid.uuid4()

    verified = tokens.verify_access_token(tokens.issue_access_token(subject, "customer", "customer"))

    assert verified.principal_type == "customer"
    assert verified.role == "customer"


def test_crafted_token_with_every_claim_is_accepted(tokens):
    # The control for the rejections below: the crafting itself produces a valid token.
    subject = uuid.uuid4()

    verified = tokens.verify_access_token(jwt.encode(claims(subject), KEY, algorithm="HS256"))

    assert verified.subject == subject


@pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
def test_token_missing_a_required_claim_is_rejected(tokens, missing):
    crafted = {k: v for k, v in claims(uuid.uuid4()).items() if k != missing}
    token = jwt.encode(crafted, KEY, algorithm="HS256")

    with pytest.raises(Unauthorized) as raised:
        tokens.verify_access_token(token)

    # A token without ``exp`` never expires: it must be refused outright, not reported as expired.
    assert type(raised.value) is Unauthorized
    assert raised.value.code == "UNAUTHORIZED"


def test_expired_token_raises_token_expired(tokens):
    past = utcnow() - timedelta(hours=2)
    crafted = claims(
        uuid.uuid4(), iat=int(past.timestamp()), exp=int((past + timedelta(minutes=15)).timestamp())
    )

    with pytest.raises(TokenExpired) as raised:
        tokens.verify_access_token(jwt.encode(crafted, KEY, algorithm="HS256"))

    assert raised.value.code == "TOKEN_EXPIRED"
    assert raised.value.status == 401


def test_a_remembered_token_is_still_refused_once_it_expires():
    now = [utcnow().timestamp()]
    tokens = TokenService(KEY, ISSUER, AUDIENCE, timedelta(minutes=15), clock=lambda: now[0])
    token = tokens.issue_access_token(uuid.uuid4(), "admin", "user")
    first = tokens.verify_access_token(token)

    # Verified again from memory while it is valid...
    assert tokens.verify_access_token(token) == first
    # ...and refused from the second it expires, as the signature check would.
    now[0] = first.expires_at.timestamp()
    with pytest.raises(TokenExpired):
        tokens.verify_access_token(token)


def test_only_the_exact_token_verified_is_remembered(tokens):
    token = tokens.issue_access_token(uuid.uuid4(), "admin", "user")
    tokens.verify_access_token(token)
    header, payload, signature = token.split(".")
    tampered_signature = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")

    for tampered in (f"{header}.{payload}.{tampered_signature}", token + "x", " " + token):
        with pytest.raises(Unauthorized):
            tokens.verify_access_token(tampered)


@pytest.mark.parametrize(
    ("overrides", "key", "algorithm"),
    [
        pytest.param({"aud": "other-api"}, KEY, "HS256", id="wrong-audience"),
        pytest.param({"iss": "other-issuer"}, KEY, "HS256", id="wrong-issuer"),
        pytest.param(
            {}, "some-other-signing-key-long-enough-for-every-hmac-algorithm-012345", "HS256", id="wrong-key"
        ),
        pytest.param({}, None, "none", id="alg-none"),
        pytest.param({}, KEY, "HS384", id="algorithm-swap"),
        pytest.param({"typ": "refresh"}, KEY, "HS256", id="refresh-type"),
        pytest.param({"pt": "robot"}, KEY, "HS256", id="unknown-principal-type"),
        pytest.param({"pt": None}, KEY, "HS256", id="no-principal-type"),
        pytest.param({"sub": "not-a-uuid"}, KEY, "HS256", id="subject-not-a-uuid"),
    ],
)
def test_invalid_tokens_are_rejected(tokens, overrides, key, algorithm):
    token = jwt.encode(claims(uuid.uuid4(), **overrides), key, algorithm=algorithm)

    with pytest.raises(Unauthorized) as raised:
        tokens.verify_access_token(token)

    assert type(raised.value) is Unauthorized


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "rt_" + "x" * 43])
def test_malformed_tokens_are_rejected(tokens, token):
    with pytest.raises(Unauthorized):
        tokens.verify_access_token(token)


def test_a_token_of_another_service_instance_is_rejected(tokens):
    other = TokenService("a-completely-different-signing-key-1234", ISSUER, AUDIENCE, timedelta(minutes=15))

    with pytest.raises(Unauthorized):
        tokens.verify_access_token(other.issue_access_token(uuid.uuid4(), "admin", "user"))

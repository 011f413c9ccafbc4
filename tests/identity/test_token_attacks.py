"""Forged access tokens over HTTP (issue 4, item 8 c): every one is 401.

Already covered elsewhere and not repeated here: ``alg: none`` as PyJWT writes it, another HMAC algorithm,
a wrong ``aud`` or ``iss``, an expired token, a token without ``exp`` and a refresh token used as a bearer
(tests/identity/test_router.py over HTTP, tests/identity/test_security.py on the token service).

Here: RS256 tokens (the attacker's own RSA key, alone, embedded as a ``jwk`` header or announced with a
``jku`` URL), HS256 signed with an RSA public key in PEM form (the classic RS256→HS256 confusion), symmetric
keys embedded or announced in the header, other spellings of ``none``, and a genuine token whose payload or
header was edited while its signature was kept. Fixdesk verifies with its own HS256 secret and nothing
else, so none of these may pass. ``cryptography`` is not a dependency of Fixdesk, so the RSA key and its
RS256 signatures are made here with the standard library (PKCS #1 v1.5, RFC 8017).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import TEST_SECRET
from tests.factories import make_user
from tests.identity.conftest import assert_problem, bearer_header

ME = "/api/v1/users/me"
AUDIT = "/api/v1/audit"
ATTACKER_SITE = "https://attacker.example/.well-known/jwks.json"


# --- a minimal RSA, enough to sign like an attacker would ------------------------------------------------


SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]
SMALL_PRIMES_PRODUCT = math.prod(SMALL_PRIMES)


def _is_probable_prime(candidate: int, rounds: int = 8) -> bool:
    """Miller-Rabin after a cheap sieve; for random 1024-bit odd numbers a few rounds leave an error
    probability far below anything that matters to a test key."""
    if math.gcd(candidate, SMALL_PRIMES_PRODUCT) != 1:
        return candidate in SMALL_PRIMES
    exponent, twos = candidate - 1, 0
    while exponent % 2 == 0:
        exponent, twos = exponent // 2, twos + 1
    for _ in range(rounds):
        witness = pow(2 + secrets.randbelow(candidate - 3), exponent, candidate)
        if witness in (1, candidate - 1):
            continue
        for _ in range(twos - 1):
            witness = pow(witness, 2, candidate)
            if witness == candidate - 1:
                break
        else:
            return False
    return True


def _random_prime(bits: int) -> int:
    while True:
        # Top two bits set, so the product of two such primes has exactly twice the bits; odd.
        candidate = secrets.randbits(bits) | (0b11 << (bits - 2)) | 1
        if _is_probable_prime(candidate):
            return candidate


@dataclass(frozen=True)
class RsaKey:
    """An RSA key pair: modulus, public and private exponent."""

    modulus: int
    public_exponent: int
    private_exponent: int

    @property
    def size(self) -> int:
        return (self.modulus.bit_length() + 7) // 8


def generate_rsa_key(bits: int = 2048) -> RsaKey:
    """A fresh RSA key with public exponent 65537."""
    public_exponent = 65537
    while True:
        first, second = _random_prime(bits // 2), _random_prime(bits // 2)
        totient = (first - 1) * (second - 1)
        if first != second and totient % public_exponent:
            return RsaKey(first * second, public_exponent, pow(public_exponent, -1, totient))


# DER of DigestInfo(SHA-256) without the digest (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _pkcs1_encoded_sha256(key: RsaKey, message: bytes) -> int:
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    padding = b"\xff" * (key.size - len(digest_info) - 3)
    return int.from_bytes(b"\x00\x01" + padding + b"\x00" + digest_info, "big")


def rs256_sign(key: RsaKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256, what JWS calls RS256."""
    return pow(_pkcs1_encoded_sha256(key, message), key.private_exponent, key.modulus).to_bytes(
        key.size, "big"
    )


def rs256_verify(key: RsaKey, message: bytes, signature: bytes) -> bool:
    recovered = pow(int.from_bytes(signature, "big"), key.public_exponent, key.modulus)
    return recovered == _pkcs1_encoded_sha256(key, message)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _der_integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def public_key_pem(key: RsaKey) -> bytes:
    """The public key as a PEM ``SubjectPublicKeyInfo``, the form servers publish and load."""
    rsa_encryption = _der(0x30, bytes.fromhex("06092a864886f70d0101010500"))
    rsa_public_key = _der(0x30, _der_integer(key.modulus) + _der_integer(key.public_exponent))
    info = _der(0x30, rsa_encryption + _der(0x03, b"\x00" + rsa_public_key))
    lines = base64.encodebytes(info).decode().replace("\n", "")
    body = "\n".join(lines[i : i + 64] for i in range(0, len(lines), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n".encode()


# --- building tokens by hand --------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_of(key: RsaKey) -> dict[str, str]:
    """The public key as a JSON Web Key (RFC 7518, section 6.3)."""
    return {
        "kty": "RSA",
        "kid": "attacker",
        "use": "sig",
        "n": b64url(key.modulus.to_bytes(key.size, "big")),
        "e": b64url(key.public_exponent.to_bytes(3, "big")),
    }


def signing_input(header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    segments = (json.dumps(header).encode(), json.dumps(claims).encode())
    return ".".join(b64url(segment) for segment in segments).encode()


def hs256_token(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """A JWS signed with HMAC-SHA256 under any key, PEM text included (PyJWT refuses to do that)."""
    message = signing_input({**header, "alg": "HS256"}, claims)
    return f"{message.decode()}.{b64url(hmac.new(key, message, hashlib.sha256).digest())}"


def rs256_token(header: dict[str, Any], claims: dict[str, Any], key: RsaKey) -> str:
    message = signing_input({**header, "alg": "RS256"}, claims)
    signature = rs256_sign(key, message)
    assert rs256_verify(key, message, signature)
    return f"{message.decode()}.{b64url(signature)}"


def unsigned_token(algorithm: str, claims: dict[str, Any], signature: str = "") -> str:
    return f"{signing_input({'alg': algorithm, 'typ': 'JWT'}, claims).decode()}.{signature}"


def issued_claims(token: str) -> dict[str, Any]:
    """The claims of a token the app issued (read, not verified: the test already trusts it)."""
    return json.loads(b64url_decode(token.split(".")[1]))


@pytest.fixture(scope="module")
def attacker_key() -> RsaKey:
    # One key per module: generating an RSA key in pure Python takes a moment.
    return generate_rsa_key()


# --- the tests ----------------------------------------------------------------------------------------


async def test_the_hand_made_tokens_pass_when_signed_with_the_real_key(client, app, sessionmaker):
    # The control: the same hand-made encoding with the server's own secret and algorithm is accepted,
    # so every 401 below is the forgery's doing, not the encoding's.
    admin = await make_user(app, sessionmaker, "admin")
    claims = issued_claims(app.state.tokens.issue_access_token(admin.id, "admin", "user"))

    response = await client.get(
        ME, headers=bearer_header(hs256_token({"typ": "JWT"}, claims, TEST_SECRET.encode()))
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(admin.id)


def test_the_attackers_rsa_key_signs_and_publishes_like_a_real_one(attacker_key):
    # The control of the hand-made RSA: a signature verifies only for its own message, and the PEM is a
    # well-formed public key (base64 of a DER SEQUENCE holding the modulus).
    message = b"header.payload"
    signature = rs256_sign(attacker_key, message)

    assert attacker_key.modulus.bit_length() == 2048
    assert rs256_verify(attacker_key, message, signature)
    assert not rs256_verify(attacker_key, b"header.payloaD", signature)
    pem = public_key_pem(attacker_key).decode()
    der = base64.b64decode("".join(pem.splitlines()[1:-1]))
    assert der[0] == 0x30
    assert attacker_key.modulus.to_bytes(attacker_key.size, "big") in der


FORGERIES = {
    "rs256-attacker-key": lambda claims, key: rs256_token({"typ": "JWT"}, claims, key),
    "rs256-embedded-jwk": lambda claims, key: rs256_token({"typ": "JWT", "jwk": jwk_of(key)}, claims, key),
    "rs256-jku-elsewhere": lambda claims, key: rs256_token(
        {"typ": "JWT", "jku": ATTACKER_SITE, "kid": "attacker"}, claims, key
    ),
    "hs256-keyed-with-rsa-public-pem": lambda claims, key: hs256_token(
        {"typ": "JWT"}, claims, public_key_pem(key)
    ),
    "hs256-embedded-symmetric-jwk": lambda claims, key: hs256_token(
        {"typ": "JWT", "jwk": {"kty": "oct", "k": b64url(b"attacker-chosen-secret")}},
        claims,
        b"attacker-chosen-secret",
    ),
    "hs256-jku-elsewhere": lambda claims, key: hs256_token(
        {"typ": "JWT", "jku": ATTACKER_SITE, "kid": "attacker"}, claims, b"attacker-chosen-secret"
    ),
    "alg-None": lambda claims, key: unsigned_token("None", claims),
    "alg-NONE": lambda claims, key: unsigned_token("NONE", claims),
    "alg-nOnE": lambda claims, key: unsigned_token("nOnE", claims),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_tokens_are_unauthorized(client, app, sessionmaker, attacker_key, forgery):
    admin = await make_user(app, sessionmaker, "admin")
    # Real claims of a real, active admin: only the signature and header are the attacker's.
    claims = issued_claims(app.state.tokens.issue_access_token(admin.id, "admin", "user"))
    token = FORGERIES[forgery](claims, attacker_key)

    response = await client.get(ME, headers=bearer_header(token))

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_alg_none_keeping_a_genuine_signature_is_unauthorized(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    genuine = app.state.tokens.issue_access_token(admin.id, "admin", "user")
    _, payload, signature = genuine.split(".")
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())

    response = await client.get(ME, headers=bearer_header(f"{header}.{payload}.{signature}"))

    assert_problem(response, 401, "UNAUTHORIZED")


def edit_segment(token: str, index: int, old: bytes, new: bytes) -> str:
    """``token`` with ``old`` replaced by ``new`` in the decoded segment ``index``; the rest byte for byte."""
    segments = token.split(".")
    decoded = b64url_decode(segments[index])
    assert old in decoded, decoded
    assert b64url(decoded) == segments[index]  # re-encoding alone changes nothing
    segments[index] = b64url(decoded.replace(old, new))
    return ".".join(segments)


# PyJWT writes compact JSON (no spaces), so these are the exact bytes of a token the app issued.
@pytest.mark.parametrize(
    ("segment", "old", "new"),
    [
        pytest.param(1, b'"role":"technician"', b'"role":"admin"', id="role-flipped-to-admin"),
        pytest.param(1, b'"pt":"user"', b'"pt":"customer"', id="principal-type-changed"),
        pytest.param(
            0, b'"alg":"HS256"', b'"alg":"HS256","jku":"https://attacker.example/"', id="header-jku"
        ),
    ],
)
async def test_a_genuine_token_edited_after_signing_is_unauthorized(
    client, app, sessionmaker, segment, old, new
):
    technician = await make_user(app, sessionmaker, "technician")
    genuine = app.state.tokens.issue_access_token(technician.id, "technician", "user")
    tampered = edit_segment(genuine, segment, old, new)
    assert (await client.get(ME, headers=bearer_header(genuine))).status_code == 200

    # On a route the technician may not use: a believed role flip would answer 200, a believed token 403.
    response = await client.get(AUDIT, headers=bearer_header(tampered))

    assert_problem(response, 401, "UNAUTHORIZED")

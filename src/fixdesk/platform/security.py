"""Password hashing, access tokens (JWT) and opaque secrets.

* Passwords: Argon2id through pwdlib, with parameters above OWASP's minimum (m = 19 MiB, t = 2, p = 1).
  One hash or verification costs tens of milliseconds of CPU, so code serving requests uses the async
  functions (:func:`hash_password_async`, :func:`verify_password_async`), which run the work in a bounded
  pool of threads and leave the event loop free for every other request. A stored hash made with older
  parameters is replaced on the next successful sign-in (:attr:`PasswordCheck.new_hash`).
* Access tokens: HS256 JWTs with ``iss``, ``aud``, ``sub``, ``typ``, ``role``, ``iat``, ``exp`` and ``jti``,
  verified against an explicit algorithm list and with every one of those claims required, so ``alg: none``,
  algorithm swaps, missing expiry and foreign issuers are all rejected.
* Refresh tokens and other bearer secrets: random strings; only their SHA-256 is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from fixdesk.db import utcnow
from fixdesk.platform.errors import TokenExpired, Unauthorized

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "typ", "role", "iat", "exp", "jti"]

# OWASP Password Storage Cheat Sheet: Argon2id with m=19 MiB, t=2, p=1 is the minimum; we go a bit above.
# Raising these parameters later is safe: each stored hash is replaced at its owner's next sign-in.
PASSWORD_HASHER = Argon2Hasher(memory_cost=19 * 1024 + 4096, time_cost=2, parallelism=1)
_password_hash = PasswordHash((PASSWORD_HASHER,))
# Verifying against this keeps login time the same whether or not the account exists.
_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))

# Argon2 is CPU-bound and argon2-cffi releases the GIL while it works, so one thread per core runs hashes
# in parallel without starving the event loop; more threads than cores would only make every hash slower
# and multiply the memory (about 23 MiB per hash in progress). Further requests queue for a thread.
# The cores this process may run on (a container's CPU set, not the host's count where the OS tells).
PASSWORD_HASH_THREADS = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _password_pool() -> ThreadPoolExecutor:
    """The process's pool for password hashing, created on first use (and again in a forked child)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=PASSWORD_HASH_THREADS, thread_name_prefix="argon2")
        return _pool


def _reset_pool_after_fork() -> None:
    # A forked worker process inherits the pool object but not its threads.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_pool_after_fork)


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of checking a password: ``valid``, and ``new_hash`` when the stored hash was made with
    other parameters than today's and should be replaced by this one (only ever set when ``valid``)."""

    valid: bool
    new_hash: str | None = None


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string) of ``password``. Blocks for the whole hash: on the event loop use
    :func:`hash_password_async`."""
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; with no hash it still spends the same time and answers False.
    Blocks for the whole verification: on the event loop use :func:`verify_password_async`."""
    return check_password(password, password_hash).valid


def check_password(password: str, password_hash: str | None) -> PasswordCheck:
    """Verify ``password`` against ``password_hash`` (pwdlib's ``verify_and_update``), blocking.

    With no hash it spends the same time on a dummy hash and answers invalid, so an unknown account costs
    what a known one does. A malformed stored hash is invalid, not an error (it must not become a 500 on
    the login form).
    """
    if not password_hash:
        _password_hash.verify(password, _DUMMY_HASH)
        return PasswordCheck(valid=False)
    try:
        valid, new_hash = _password_hash.verify_and_update(password, password_hash)
    except Exception:
        return PasswordCheck(valid=False)
    return PasswordCheck(valid=valid, new_hash=new_hash if valid else None)


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` in the bounded password pool: the event loop stays free meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_password_pool(), hash_password, password)


async def verify_password_async(password: str, password_hash: str | None) -> PasswordCheck:
    """:func:`check_password` in the bounded password pool: the event loop stays free meanwhile.

    Pass ``None`` for an account that does not exist or has no password: the same work is done (the
    dummy hash) and the answer is invalid. Store :attr:`PasswordCheck.new_hash` when it is set.
    """
    return await asyncio.get_running_loop().run_in_executor(
        _password_pool(), check_password, password, password_hash
    )


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random secret, e.g. ``rt_…`` for refresh tokens."""
    return prefix + secrets.token_urlsafe(nbytes)


def hash_secret(value: str) -> str:
    """SHA-256 hex of a high-entropy secret (enough for random tokens; passwords use Argon2id)."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    """The verified content of an access token."""

    subject: uuid.UUID
    role: str
    principal_type: str
    token_id: str
    expires_at: datetime
    session_id: uuid.UUID | None = None
    # An API client's granted scopes (claim ``scope``, space-separated); ``None`` for users and customers.
    scopes: frozenset[str] | None = None


VERIFIED_TOKENS_KEPT = 4096
"""How many verified access tokens a :class:`TokenService` remembers (see its ``verify_access_token``)."""


class TokenService:
    """Issues and verifies access tokens for one signing key, issuer and audience."""

    def __init__(
        self,
        key: str,
        issuer: str,
        audience: str,
        lifetime: timedelta,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self._clock = clock
        # Tokens this service verified, with their expiry (Unix seconds): see verify_access_token.
        self._verified: dict[str, tuple[int, AccessClaims]] = {}

    def issue_access_token(
        self,
        subject: uuid.UUID,
        role: str,
        principal_type: str,
        *,
        session_id: uuid.UUID | None = None,
        scopes: list[str] | None = None,
    ) -> str:
        """A signed access token for ``subject``; ``principal_type`` is ``user``, ``customer`` or ``client``.

        ``session_id`` (claim ``sid``) names the login session (refresh-token family) the token belongs to,
        so the session can be revoked with the token alone and the token dies with its session.
        ``scopes`` (claim ``scope``, RFC 8693 style space-separated) is what an API client was granted.
        """
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(subject),
            "typ": ACCESS_TOKEN_TYPE,
            "role": role,
            "pt": principal_type,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        if scopes is not None:
            claims["scope"] = " ".join(scopes)
        return jwt.encode(claims, self._key, algorithm=JWT_ALGORITHM)

    def verify_access_token(self, token: str) -> AccessClaims:
        """Verify signature, algorithm, issuer, audience, expiry and token type.

        Raises :class:`TokenExpired` for an expired token and :class:`Unauthorized` for anything else wrong.

        A token that passed is remembered (the last :data:`VERIFIED_TOKENS_KEPT`, keyed by the whole token)
        until it expires: the same bytes under the same key, issuer and audience verify the same way, so a
        client's next requests skip the signature and claims work (a few tens of microseconds each) but
        never the expiry, which is checked again every time. Whether its session or account is still live
        is the authenticator's query, on every request.
        """
        remembered = self._verified.get(token)
        if remembered is not None:
            expires, verified = remembered
            if expires > self._clock():
                return verified
            self._verified.pop(token, None)
            raise TokenExpired("The access token has expired; refresh it.")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[JWT_ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("The access token has expired; refresh it.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is invalid.") from exc
        if claims.get("typ") != ACCESS_TOKEN_TYPE or claims.get("pt") not in {"user", "customer", "client"}:
            raise Unauthorized("The token is not an access token.")
        try:
            subject = uuid.UUID(str(claims["sub"]))
            session_id = uuid.UUID(str(claims["sid"])) if "sid" in claims else None
        except ValueError as exc:
            raise Unauthorized("The access token is invalid.") from exc
        scope = claims.get("scope")
        if scope is not None and not isinstance(scope, str):
            raise Unauthorized("The access token is invalid.")
        verified = AccessClaims(
            scopes=frozenset(scope.split()) if scope is not None else None,
            subject=subject,
            role=str(claims["role"]),
            principal_type=str(claims["pt"]),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
            session_id=session_id,
        )
        self._remember(token, int(claims["exp"]), verified)
        return verified

    def _remember(self, token: str, expires: int, verified: AccessClaims) -> None:
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            # The oldest first (a dict keeps insertion order); another thread may have taken it already.
            with contextlib.suppress(StopIteration, RuntimeError):
                self._verified.pop(next(iter(self._verified)), None)
        self._verified[token] = (expires, verified)


_ACCESS_CLAIMS = "fixdesk.access_claims"


def request_access_claims(state: dict[str, Any], tokens: TokenService, token: str) -> AccessClaims:
    """The verified claims of ``token``, verified once per request: the outcome (claims, or the
    :class:`Unauthorized`/:class:`TokenExpired` raised) is kept in the request's ``state`` (the ASGI
    scope's ``"state"``, which is ``request.state``), so the rate limiter and the authentication share
    one verification."""
    cached = state.get(_ACCESS_CLAIMS)
    if cached is None or cached[0] != token:
        try:
            outcome: AccessClaims | Exception = tokens.verify_access_token(token)
        except (Unauthorized, TokenExpired) as exc:
            outcome = exc
        cached = (token, outcome)
        state[_ACCESS_CLAIMS] = cached
    if isinstance(cached[1], Exception):
        raise cached[1]
    return cached[1]

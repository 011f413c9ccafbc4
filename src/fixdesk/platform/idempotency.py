"""Idempotency keys: a POST sent again with the same ``Idempotency-Key`` is answered, not repeated.

A client that is not sure its POST arrived (a timeout, a dropped connection) sends it again with the same
``Idempotency-Key`` header and gets the first answer back instead of a second repair or customer.

Rules (:class:`IdempotencyMiddleware`):

* Any POST may carry ``Idempotency-Key``: 1 to 255 printable ASCII characters, else
  ``400 VALIDATION_ERROR``. Keys belong to the principal of the request's access token, so two callers
  can never see each other's answers. The token is authenticated in full before the key is looked at
  (its session still live, its account still active: ``app.state.authenticator``), so after a logout a
  retry is ``401``, never the stored answer of the session that ended. Anonymous requests and the login/token endpoints (``/auth/*``,
  ``/oauth/token``) do not take part: the key is ignored there. An IP address is not an identity (two
  customers behind one router would share keys), and those answers carry fresh credentials that must
  never be written down.
* The first request claims the key in its own committed transaction (``INSERT … ON CONFLICT DO
  NOTHING``) before the endpoint runs, with a fingerprint: SHA-256 of the method, the path with its query
  and the body. The response is then stored (status, the headers that describe the content, body) before
  it is sent, so once a client has seen an answer every retry replays it, with
  ``Idempotent-Replayed: true``, for 24 hours.
* The same key with a different request → ``409 IDEMPOTENCY_CONFLICT``. A retry while the first request
  is still running → ``409 IDEMPOTENCY_CONFLICT`` saying so, with ``Retry-After``.
* Every answer below 500 is stored, client errors included: the same request would get the same 4xx
  again (a fixed request is a different request, and needs a new key). A 5xx, an exception or a cancelled
  request releases the key (the claim is deleted), so the client can retry; so does a 429 (a bulk
  endpoint's own limit), which says "later", not "no". Any other answer marked ``Cache-Control: no-store``
  is never stored either: the key is released.
* An endpoint whose success shows a secret once (a new API-client or webhook secret) is marked with
  ``openapi_extra=SECRET_SHOWN_ONCE``. Its 2xx answer is never stored: the record keeps only that the
  request succeeded (its status), and a retry with the same key and request is ``409
  IDEMPOTENCY_CONFLICT`` saying the secret was shown once (rotate it if it was lost). The request is not
  run twice, and no secret sits in ``idempotency_keys``. Its error answers are stored as any other.
* A claim whose request died with its process (no answer stored) blocks the key for
  :data:`IN_PROGRESS_LEASE`; after that a retry takes it over. Records older than 24 hours are ignored
  and deleted hourly by the ``idempotency.purge`` periodic job.

POST endpoints answer with small JSON bodies, so the answer is held in memory until it is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, delete, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixdesk.db import Base, transaction, utcnow
from fixdesk.platform.errors import FixdeskError, problem_response
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts
from fixdesk.platform.jobs.registry import JobContext, handler
from fixdesk.platform.ratelimit import bearer_subject, is_auth_path

log = structlog.get_logger(__name__)

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
IN_PROGRESS_LEASE = timedelta(minutes=5)
PURGE_JOB = "idempotency.purge"
SECRET_SHOWN_ONCE_FLAG = "x-fixdesk-secret-shown-once"
SECRET_SHOWN_ONCE: dict[str, Any] = {SECRET_SHOWN_ONCE_FLAG: True}
"""``openapi_extra`` of a POST whose success shows a secret once: its answer is never stored for replay
(also announced in the OpenAPI document under this extension)."""
# Replayed as stored; everything else (length, date, request id, rate-limit, CORS, cookies) is either
# recomputed for the replay or must not be repeated.
STORED_HEADERS = frozenset(
    {
        b"content-type",
        b"content-language",
        b"location",
        b"etag",
        b"last-modified",
        b"link",
        b"www-authenticate",
    }
)


class IdempotencyKey(Base):
    """One principal's use of one idempotency key: the claim while it runs, then the stored answer."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The answer showed a secret: only that it was given is kept (status_code), never its headers or body.
    response_withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column()
    # The request holding the key and until when; both NULL once the answer is stored.
    locked_by: Mapped[uuid.UUID | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


# --- the key's life in the database --------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """This request holds the key; ``lock`` identifies its claim."""

    lock: uuid.UUID


@dataclass(frozen=True)
class Replay:
    """The key's answer is stored: send it again."""

    status_code: int
    headers: list[list[str]]
    body: bytes


@dataclass(frozen=True)
class Withheld:
    """The key's request succeeded with an answer that showed a secret; that answer was not kept."""

    status_code: int


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request."""


@dataclass(frozen=True)
class InProgress:
    """The key's first request is still running."""


ClaimOutcome = Claimed | Replay | Withheld | Mismatch | InProgress


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """SHA-256 (hex) of the method, the path with its query and the body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query_string, body):
        # Length-prefixed, so no two different requests concatenate to the same bytes.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def claim_key(
    sessionmaker: async_sessionmaker[AsyncSession], principal: str, key: str, fingerprint: str
) -> ClaimOutcome:
    """Claim ``key`` for ``principal`` in a committed transaction of its own, or say why not."""
    for _ in range(3):
        now = utcnow()
        lock = uuid.uuid4()
        async with transaction(sessionmaker) as session:
            same_key = (IdempotencyKey.principal == principal) & (IdempotencyKey.key == key)
            # Past its retention a record no longer counts, even if the hourly purge has not run yet.
            await session.execute(
                delete(IdempotencyKey).where(same_key, IdempotencyKey.created_at < now - RETENTION)
            )
            inserted = await session.execute(
                insert_ignoring_conflicts(session, IdempotencyKey).values(
                    principal=principal,
                    key=key,
                    request_fingerprint=fingerprint,
                    created_at=now,
                    locked_by=lock,
                    locked_until=now + IN_PROGRESS_LEASE,
                )
            )
            if inserted.rowcount == 1:
                return Claimed(lock)
            record = (await session.execute(select(IdempotencyKey).where(same_key))).scalar_one_or_none()
            if record is None:
                continue  # released by its request between our two statements: try to claim again
            if record.request_fingerprint != fingerprint:
                return Mismatch()
            if record.completed_at is not None and record.response_withheld:
                return Withheld(record.status_code or 200)
            if record.completed_at is not None and record.status_code is not None:
                return Replay(record.status_code, record.response_headers or [], record.response_body or b"")
            if record.locked_until is not None and record.locked_until < now:
                taken = await session.execute(
                    update(IdempotencyKey)
                    .where(
                        same_key,
                        IdempotencyKey.completed_at.is_(None),
                        IdempotencyKey.locked_until == record.locked_until,
                    )
                    .values(locked_by=lock, locked_until=now + IN_PROGRESS_LEASE)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    log.warning("idempotency_claim_taken_over", key=key)
                    return Claimed(lock)
            return InProgress()
    return InProgress()


async def complete_key(
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    lock: uuid.UUID,
    status_code: int,
    headers: list[list[str]],
    body: bytes,
    *,
    withheld: bool = False,
) -> None:
    """Store the answer of the request holding ``lock`` (only its status when ``withheld``)."""
    async with transaction(sessionmaker) as session:
        result = await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.locked_by == lock,
            )
            .values(
                status_code=status_code,
                response_headers=None if withheld else headers,
                response_body=None if withheld else body,
                response_withheld=withheld,
                completed_at=utcnow(),
                locked_by=None,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        log.warning("idempotency_claim_lost", key=key)


async def release_key(
    sessionmaker: async_sessionmaker[AsyncSession], principal: str, key: str, lock: uuid.UUID
) -> None:
    """Delete the claim held by ``lock``, so the client may retry with the same key."""
    async with transaction(sessionmaker) as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.locked_by == lock,
            )
        )


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete the records older than the retention period; returns how many."""
    cutoff = (now or utcnow()) - RETENTION
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return result.rowcount or 0


@handler(PURGE_JOB, max_attempts=3)
async def purge_expired_keys(ctx: JobContext) -> None:
    """Periodic job: forget idempotency records past their 24 hours."""
    deleted = await purge_expired(ctx.session)
    log.info("idempotency_keys_purged", deleted=deleted)


# --- the middleware ------------------------------------------------------------------------------------


def _problem(status: int, code: str, title: str, detail: str, path: str, **kwargs: Any) -> Any:
    return problem_response(status, code, title, detail, instance=path, **kwargs)


def _key_problem(message: str, path: str) -> Any:
    return _problem(
        400,
        "VALIDATION_ERROR",
        "Validation failed",
        f"Idempotency-Key: {message}",
        path,
        errors=[{"field": "Idempotency-Key", "message": message}],
    )


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


async def _authentication_problem(scope: Scope) -> FixdeskError | None:
    """Why the request's access token no longer authenticates (its session was revoked, its account
    deactivated), or ``None``: the same check every endpoint makes, here made before an answer is
    replayed, which runs no endpoint."""
    token = _bearer_token(scope)
    if token is None:
        return None
    state = scope["app"].state
    async with state.read_sessionmaker() as session:
        try:
            await state.authenticator(session, token)
        except FixdeskError as error:
            return error
    return None


def _key_error(values: list[bytes]) -> str | None:
    if len(values) > 1:
        return "send the header once"
    value = values[0].strip()
    if not value:
        return "must not be empty"
    if len(value) > MAX_KEY_LENGTH:
        return f"must be at most {MAX_KEY_LENGTH} characters"
    if any(byte < 0x20 or byte > 0x7E for byte in value):
        return "must be printable ASCII"
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_replay(send: Send, replay: Replay) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in replay.headers]
    headers.append((b"content-length", str(len(replay.body)).encode()))
    headers.append((REPLAYED_HEADER, b"true"))
    await send({"type": "http.response.start", "status": replay.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body, "more_body": False})


def _stored_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [
        [name.lower().decode("latin-1"), value.decode("latin-1")]
        for name, value in headers
        if name.lower() in STORED_HEADERS
    ]


def _shows_secret_once(scope: Scope) -> bool:
    # The router put the matched route in the scope; its openapi_extra carries the mark.
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    return bool(extra.get(SECRET_SHOWN_ONCE_FLAG))


def _is_no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"cache-control" and b"no-store" in value.lower() for name, value in headers)


class IdempotencyMiddleware:
    """Pure ASGI middleware implementing ``Idempotency-Key`` on POST (see the module docstring).

    Sits inside the body-size limit (it reads the body to fingerprint it) and the rate limiter (a
    refused request claims nothing).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        values = [value for name, value in scope.get("headers", []) if name == HEADER]
        if not values:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        problem = _key_error(values)
        if problem is not None:
            await _key_problem(problem, path)(scope, receive, send)
            return
        principal = bearer_subject(scope)
        if principal is None or is_auth_path(path):
            await self.app(scope, receive, send)
            return
        key = values[0].strip().decode("ascii")
        refused = await _authentication_problem(scope)
        if refused is not None:
            await _problem(
                refused.status,
                refused.code,
                refused.title,
                refused.detail,
                path,
                headers=refused.headers,
                extra=refused.extra,
            )(scope, receive, send)
            return

        body = await _read_body(receive)
        fingerprint = request_fingerprint(scope["method"], path, scope.get("query_string", b""), body)
        sessionmaker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        outcome = await claim_key(sessionmaker, principal, key, fingerprint)
        if isinstance(outcome, Replay):
            await _send_replay(send, outcome)
            return
        if isinstance(outcome, Withheld):
            await _problem(
                409,
                "IDEMPOTENCY_CONFLICT",
                "Secret shown once",
                f"The request with this Idempotency-Key already succeeded (HTTP {outcome.status_code}), and "
                "its answer showed a secret only once: it is not kept for replay. If that answer was lost, "
                "rotate the secret.",
                path,
            )(scope, receive, send)
            return
        if isinstance(outcome, Mismatch):
            await _problem(
                409,
                "IDEMPOTENCY_CONFLICT",
                "Idempotency key reused",
                "This Idempotency-Key was already used for a different request; use a new key.",
                path,
            )(scope, receive, send)
            return
        if isinstance(outcome, InProgress):
            await _problem(
                409,
                "IDEMPOTENCY_CONFLICT",
                "Request in progress",
                "A request with this Idempotency-Key is still in progress; retry once it has finished.",
                path,
                headers={"Retry-After": "1"},
            )(scope, receive, send)
            return
        await self._run(scope, receive, send, body, principal, key, outcome.lock, sessionmaker)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        principal: str,
        key: str,
        lock: uuid.UUID,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        body_sent = False

        async def replay_receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []
        settled = False  # the key is stored or released and the response passed on

        async def release_quietly() -> None:
            try:
                # Shielded: a cancelled request must still give its key back.
                await asyncio.shield(release_key(sessionmaker, principal, key, lock))
            except Exception:
                # The claim then expires with its lease.
                log.exception("idempotency_release_failed", key=key)

        async def settle() -> None:
            nonlocal settled
            settled = True
            assert start is not None
            status = int(start["status"])
            headers = list(start.get("headers", []))
            try:
                if 200 <= status < 300 and _shows_secret_once(scope):
                    await complete_key(sessionmaker, principal, key, lock, status, [], b"", withheld=True)
                elif status >= 500 or status == 429 or _is_no_store(headers):
                    await release_key(sessionmaker, principal, key, lock)
                else:
                    await complete_key(
                        sessionmaker, principal, key, lock, status, _stored_headers(headers), b"".join(chunks)
                    )
            except Exception:
                # The answer is still sent; the claim expires with its lease and a retry runs again.
                log.exception("idempotency_store_failed", key=key)

        async def capturing_send(message: Message) -> None:
            nonlocal start, settled
            if settled:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                # Stored before it is sent: a client that has seen the answer always gets it replayed.
                await settle()
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})
                return
            # Anything else (a file send, trailers) is not kept: release the key and pass it on.
            if start is not None:
                settled = True
                await release_quietly()
                await send(start)
            await send(message)

        try:
            await self.app(scope, replay_receive, capturing_send)
        except BaseException:
            if not settled:
                await release_quietly()
            raise
        if not settled:
            await release_quietly()

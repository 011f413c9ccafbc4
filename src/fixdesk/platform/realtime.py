"""Live events for dashboards and the portal over ``GET /api/v1/ws``.

The ``realtime.broadcast`` subscriber hands every dispatched domain event to the process's broker. The
broker fans it out to the WebSocket connections of this process (:class:`InProcessBroker`, the default)
or, with ``FIXDESK_REDIS_URL`` set, publishes it on a Redis pub/sub channel that every API process
subscribes to (:class:`RedisBroker`), so a change made through one process reaches clients of all.

What travels through the broker is the event envelope ``{id, event, timestamp, data}`` plus two routing
fields, ``customerId`` and ``permission``: staff and API clients receive an event when they hold its
catalogue permission, a portal customer only their own repairs' events. Clients receive the envelope
without the routing fields, tagged ``"type": "event"``.

Live events are a best-effort hint, not a record: a client that was disconnected (or a process whose
Redis subscription was down) misses what happened meanwhile and refetches. Delivery is at least once
while connected (a retried dispatch job publishes again), so clients deduplicate on the event ``id``.

Protocol (JSON text frames):

* authenticate with ``?token=<access token>`` or, within 10 s, ``{"type": "auth", "token": "…"}``;
  a missing or invalid token closes with code 4401, a principal without any permission with 4403.
  The server answers ``{"type": "ready", "principal": {...}}``. The token is checked again every minute
  (a logout or a deactivated account closes the connection with 4401) and when it expires, unless the
  client sent a fresh one for the same account (``auth`` again, answered with ``ready``).
* a browser page authenticates with its session cookie instead (:func:`_browser_token`): the staff app's
  (``?area=app``, the default) or the portal's (``?area=portal``), only when the request's ``Origin`` is
  this server's own (the host the browser connected to), so another site cannot open a socket with the
  visitor's cookie (WebSockets are not bound by CORS); a cookie from another origin closes with 4403, an
  ended session with 4401. The connection then runs on a short-lived access token of that session, checked
  every minute like any other and renewed from the cookie when it expires.
* ``{"type": "subscribe", "events": ["repair.*"]}`` narrows what is sent (default ``*``); answered with
  ``{"type": "subscribed", "events": [...]}``.
* ``{"type": "ping"}`` is answered with ``{"type": "pong"}``.
* Each connection buffers at most :data:`QUEUE_SIZE` events; a client that falls behind loses the
  oldest ones and is told so with ``{"type": "dropped", "count": n}`` before the next event.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.platform import domains
from fixdesk.platform.errors import Unauthorized
from fixdesk.platform.events import CATALOG, PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.platform.permissions import BROWSER_SESSION_COOKIES, Principal

log = structlog.get_logger("fixdesk.realtime")

router = APIRouter(tags=["live events"])

Listener = Callable[[dict[str, Any]], None]

CHANNEL = "fixdesk:events"
ENVELOPE_FIELDS = ("id", "event", "timestamp", "data")
# Payload fields staff write for each other that a customer's copy of an event leaves out: a status
# change's internal note (the customer's own note is ``customerNote``).
STAFF_ONLY_FIELDS = frozenset({"notes"})
AUTH_TIMEOUT_SECONDS = 10.0
REVALIDATE_SECONDS = 60.0
QUEUE_SIZE = 256
MAX_SUBSCRIBE_PATTERNS = 50
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_INTERNAL_ERROR = 1011


# --- What is published and who may see it ---------------------------------------------------------


def live_message(event: PublishedEvent) -> dict[str, Any] | None:
    """The broker message for ``event``: its envelope plus the routing fields (``None`` when the event
    is missing from the catalogue, so nobody's visibility is guessed)."""
    entry = CATALOG.get(event.name)
    if entry is None:
        return None
    return {
        **event.envelope(),
        "customerId": str(event.customer_id) if event.customer_id is not None else None,
        "permission": entry.permission,
    }


def may_receive(principal: Principal, message: dict[str, Any]) -> bool:
    """Whether ``principal`` may see the live event ``message``.

    A customer sees the events that concern them of the kinds the installed domains allow customers
    (:attr:`~fixdesk.platform.domains.DomainManifest.customer_live_events`, an allow-list: a new event
    whose payload carries staff-only fields never reaches the portal by default); staff and API clients
    see the events whose catalogue permission they hold (an event without one: any of them).
    """
    name = str(message.get("event", ""))
    if principal.is_customer:
        return message.get("customerId") == str(principal.id) and matches_any(
            name, domains.customer_event_patterns()
        )
    permission = message.get("permission")
    return permission is None or principal.has(permission)


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Whether event ``name`` matches one of the shell-style ``patterns`` (``*``, ``repair.*``)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def client_envelope(message: dict[str, Any], *, for_customer: bool = False) -> dict[str, Any]:
    """What a WebSocket client receives: the envelope without the routing fields; for a customer, its
    ``data`` also without :data:`STAFF_ONLY_FIELDS`."""
    envelope = {"type": "event", **{field: message.get(field) for field in ENVELOPE_FIELDS}}
    data = envelope.get("data")
    if for_customer and isinstance(data, dict):
        envelope["data"] = {key: value for key, value in data.items() if key not in STAFF_ONLY_FIELDS}
    return envelope


@subscriber("realtime.broadcast", "*")
async def broadcast(context: JobContext, event: PublishedEvent) -> None:
    """Publish a dispatched event to the live-event broker of this process."""
    broker = getattr(context.services, "realtime", None)
    message = live_message(event)
    if broker is None or message is None:
        return
    try:
        await broker.publish(message)
    except Exception:
        # Live events are a hint clients refetch after; failing here would roll back the dispatch job
        # and hold back notifications and webhooks until Redis is back.
        log.warning("live_event_not_published", event_id=message["id"], event=event.name, exc_info=True)


# --- Brokers ---------------------------------------------------------------------------------------


class Broker(Protocol):
    """Publishes live-event messages and delivers them to this process's listeners.

    Listeners are plain functions called on the event loop for every message; they must not block.
    """

    async def start(self) -> None: ...

    async def publish(self, envelope: dict[str, Any]) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...

    def remove_listener(self, listener: Listener) -> None: ...

    async def aclose(self) -> None: ...


def _fan_out(listeners: Iterable[Listener], message: dict[str, Any]) -> None:
    for listener in list(listeners):
        try:
            listener(message)
        except Exception:
            # One broken connection must not cost the others their events.
            log.exception("live_event_listener_failed", event_id=message.get("id"))


class InProcessBroker:
    """Fan-out inside one process (embedded mode: the worker runs inside the server)."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    async def start(self) -> None:
        """Nothing to start; present so every broker starts the same way."""

    async def publish(self, envelope: dict[str, Any]) -> None:
        """Hand ``envelope`` to every listener of this process."""
        _fan_out(self._listeners, envelope)
        await asyncio.sleep(0)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def aclose(self) -> None:
        self._listeners.clear()


def channel_for_redis_url(url: str) -> str:
    """The pub/sub channel of the installation using Redis at ``url``.

    Redis pub/sub ignores the database index, so two installations sharing a Redis server on different
    databases (``redis://host/0`` and ``redis://host/1``) would see each other's events on one fixed
    channel; the index therefore becomes part of the channel name (``fixdesk:events`` on database 0,
    ``fixdesk:events:<n>`` on database n).
    """
    from redis.asyncio.connection import parse_url

    database = int(parse_url(url).get("db", 0) or 0)
    return CHANNEL if database == 0 else f"{CHANNEL}:{database}"


class RedisBroker:
    """Fan-out to every process over Redis pub/sub.

    :meth:`publish` sends the message to the channel; one background task per process subscribes and
    hands what arrives (this process's own messages included) to the local listeners. When Redis goes
    away the task logs, backs off (exponentially, with jitter, up to ``retry_max_seconds``) and
    subscribes again; messages published meanwhile are lost for this process's clients.
    """

    def __init__(
        self,
        url: str,
        *,
        channel: str | None = None,
        retry_initial_seconds: float = 0.5,
        retry_max_seconds: float = 30.0,
        startup_timeout_seconds: float = 5.0,
    ) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff, NoBackoff

        self.channel = channel or channel_for_redis_url(url)
        self.client_name = f"fixdesk-realtime-{uuid.uuid4().hex[:12]}"
        self.retry_initial_seconds = retry_initial_seconds
        self.retry_max_seconds = retry_max_seconds
        self.startup_timeout_seconds = startup_timeout_seconds
        # Publishing runs inside the dispatch job: fail fast rather than stall it during an outage.
        self._publisher = Redis.from_url(
            url,
            socket_connect_timeout=2,
            socket_timeout=2,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
        )
        # The subscription leaves reconnecting to our own loop (which logs and backs off); the health
        # check PINGs an idle connection so a silently dead link is noticed.
        self._subscriber = Redis.from_url(
            url,
            socket_connect_timeout=5,
            health_check_interval=15,
            client_name=self.client_name,
            retry=Retry(NoBackoff(), retries=0),
        )
        self._listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._closed = False

    @property
    def subscribed(self) -> bool:
        """Whether the subscription is live right now."""
        return self._subscribed.is_set()

    async def start(self) -> None:
        """Start the subscription task and wait (up to ``startup_timeout_seconds``) until it is live.

        A Redis that is down is logged, not raised: the server starts and the task keeps retrying.
        """
        self._ensure_task()
        try:
            await asyncio.wait_for(self._subscribed.wait(), self.startup_timeout_seconds)
        except TimeoutError:
            log.warning("live_events_redis_not_subscribed_yet", channel=self.channel)

    async def publish(self, envelope: dict[str, Any]) -> None:
        """Send ``envelope`` to every process subscribed to the channel (raises when Redis is down)."""
        await self._publisher.publish(self.channel, json.dumps(envelope, separators=(",", ":")))

    def add_listener(self, listener: Listener) -> None:
        """Register ``listener``; starts the subscription when an event loop runs and it is not yet
        started (apps run without their lifespan, in tests)."""
        self._listeners.add(listener)
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            self._ensure_task()

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def aclose(self) -> None:
        """Stop the subscription task and close both connections."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()
        await self._subscriber.aclose()
        await self._publisher.aclose()

    def _ensure_task(self) -> None:
        if self._closed or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.create_task(self._run(), name="fixdesk-live-events-redis")

    async def _run(self) -> None:
        delay = self.retry_initial_seconds
        outage = False
        while True:
            pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                delay = self.retry_initial_seconds
                if outage:
                    log.info("live_events_redis_resubscribed", channel=self.channel)
                    outage = False
                while True:
                    # A bounded wait, so the health check runs on an idle connection.
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed.clear()
                outage = True
                log.warning(
                    "live_events_redis_unavailable",
                    channel=self.channel,
                    error=f"{type(exc).__name__}: {exc}",
                    retry_in_seconds=round(delay, 2),
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.retry_max_seconds)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _deliver(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("live_event_undecodable", channel=self.channel)
            return
        if isinstance(message, dict):
            _fan_out(self._listeners, message)


def build_broker(settings: Settings) -> Broker:
    """The broker for ``settings``: over Redis when ``FIXDESK_REDIS_URL`` is set, else in-process."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url)
    return InProcessBroker()


def broker_for(app: FastAPI) -> Broker:
    """The app's broker: the one its lifespan built (``app.state.services.realtime``), or, for an app
    run without its lifespan, one built on first use and kept on ``app.state.realtime_broker``."""
    services = getattr(app.state, "services", None)
    if services is not None and services.realtime is not None:
        return services.realtime
    broker = getattr(app.state, "realtime_broker", None)
    if broker is None:
        broker = build_broker(app.state.settings)
        app.state.realtime_broker = broker
    return broker


# --- WebSocket connections -------------------------------------------------------------------------


class OutboundQueue:
    """A connection's bounded buffer: when the client falls behind, the oldest events give way to new
    ones and are counted, so one slow client never holds up the broker or the other clients."""

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.dropped_total = 0
        self._dropped_unreported = 0

    def offer(self, item: dict[str, Any]) -> None:
        """Add ``item`` without waiting, dropping the oldest one when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped_total += 1
            self._dropped_unreported += 1
        self._queue.put_nowait(item)

    async def get(self) -> dict[str, Any]:
        """The oldest buffered item, waiting for one."""
        return await self._queue.get()

    def take_dropped(self) -> int:
        """How many items were dropped since the last call."""
        dropped, self._dropped_unreported = self._dropped_unreported, 0
        return dropped

    def qsize(self) -> int:
        return self._queue.qsize()


class _Rejected(Exception):
    """Authentication failed: close the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def _authenticate(websocket: WebSocket, token: str) -> tuple[Principal, datetime]:
    """The principal behind ``token`` and when the token expires (raises :class:`_Rejected`)."""
    state = websocket.app.state
    try:
        async with state.read_sessionmaker() as session:
            principal: Principal = await state.authenticator(session, token)
        expires_at: datetime = state.tokens.verify_access_token(token).expires_at
    except Unauthorized as exc:
        raise _Rejected(CLOSE_UNAUTHORIZED, exc.args[0] if exc.args else "Invalid token.") from exc
    if not principal.permissions:
        raise _Rejected(CLOSE_FORBIDDEN, "This account may not receive live events.")
    return principal, expires_at


def _principal_json(principal: Principal) -> dict[str, Any]:
    return {
        "id": str(principal.id),
        "type": principal.type,
        "role": principal.role,
        "email": principal.email,
        "permissions": sorted(principal.permissions),
    }


async def _receive_json(websocket: WebSocket) -> Any:
    """The next message parsed as JSON (``None`` when it is not JSON); raises on disconnect."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return None


class LiveConnection:
    """One authenticated WebSocket: receives the broker's messages it may see, sends them in order.

    The token is checked again every :data:`REVALIDATE_SECONDS` and when it expires, so a logout, an
    ended session, a deactivated account or a changed role reaches open connections too.
    """

    def __init__(
        self,
        websocket: WebSocket,
        token: str,
        principal: Principal,
        expires_at: datetime,
        renew: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self.websocket = websocket
        self.token = token
        # A browser's connection gets a fresh token of its session from the cookie (None: the client's own).
        self.renew = renew
        self.principal = principal
        self.expires_at = expires_at
        self.patterns: tuple[str, ...] = ("*",)
        self.queue = OutboundQueue()
        self._send_lock = asyncio.Lock()

    def offer(self, message: dict[str, Any]) -> None:
        """The broker listener: buffer ``message`` if this client may see it and asked for it."""
        if may_receive(self.principal, message) and matches_any(str(message.get("event")), self.patterns):
            self.queue.offer(client_envelope(message, for_customer=self.principal.is_customer))

    async def send(self, payload: dict[str, Any]) -> None:
        # Replies and events come from two tasks; frames must not interleave.
        async with self._send_lock:
            await self.websocket.send_json(payload)

    async def close(self, code: int, reason: str) -> None:
        async with self._send_lock:
            await _close_quietly(self.websocket, code, reason)

    async def pump(self) -> None:
        """Send buffered events until the connection ends."""
        while True:
            item = await self.queue.get()
            dropped = self.queue.take_dropped()
            if dropped:
                log.warning("live_events_dropped", principal_id=str(self.principal.id), count=dropped)
                await self.send({"type": "dropped", "count": dropped})
            await self.send(item)

    async def serve_client(self) -> None:
        """Answer the client's messages until it leaves or its access ends."""
        while True:
            until_expiry = (self.expires_at - utcnow()).total_seconds()
            try:
                message = await asyncio.wait_for(
                    _receive_json(self.websocket), max(0.0, min(until_expiry, REVALIDATE_SECONDS))
                )
            except TimeoutError:
                if not await self._adopt(await self._renewed_token()):
                    return
                continue
            if not isinstance(message, dict):
                await self.send({"type": "error", "message": "Send JSON objects with a 'type'."})
                continue
            kind = message.get("type")
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "subscribe":
                await self._subscribe(message.get("events"))
            elif kind == "auth":
                # A fresh access token for the same principal keeps the connection open past expiry.
                token = message.get("token")
                if not await self._adopt(token if isinstance(token, str) else "", announce=True):
                    return
            else:
                await self.send({"type": "error", "message": f"Unknown message type {kind!r}."})

    async def _renewed_token(self) -> str:
        """The token to check again: a fresh one from the browser's cookie when the token is about to
        expire (its session is what the check then decides on), else the current one."""
        if self.renew is None or (self.expires_at - utcnow()).total_seconds() > REVALIDATE_SECONDS:
            return self.token
        try:
            return await self.renew()
        except _Rejected:
            return ""
        except Exception:
            log.warning("live_connection_renewal_failed", principal_id=str(self.principal.id), exc_info=True)
            return self.token

    async def _subscribe(self, events: Any) -> None:
        valid = (
            isinstance(events, list)
            and 0 < len(events) <= MAX_SUBSCRIBE_PATTERNS
            and all(isinstance(e, str) and 0 < len(e) <= 100 for e in events)
        )
        if not valid:
            await self.send(
                {
                    "type": "error",
                    "message": f"'events' must list 1 to {MAX_SUBSCRIBE_PATTERNS} event names or patterns.",
                }
            )
            return
        self.patterns = tuple(dict.fromkeys(events))
        await self.send({"type": "subscribed", "events": list(self.patterns)})

    async def _adopt(self, token: str, *, announce: bool = False) -> bool:
        """Authenticate ``token`` again and take on its principal; closes the connection (and answers
        ``False``) when it is refused or belongs to someone else."""
        try:
            if not token:
                raise _Rejected(CLOSE_UNAUTHORIZED, "Send {'type': 'auth', 'token': '<access token>'}.")
            principal, expires_at = await _authenticate(self.websocket, token)
            if (principal.id, principal.type) != (self.principal.id, self.principal.type):
                raise _Rejected(CLOSE_UNAUTHORIZED, "The new token belongs to someone else.")
        except _Rejected as rejected:
            await self.close(rejected.code, rejected.reason)
            return False
        except Exception:
            # The database may be restarting: keep serving with what we know and check again later.
            log.warning(
                "live_connection_revalidation_failed", principal_id=str(self.principal.id), exc_info=True
            )
            return True
        self.token, self.principal, self.expires_at = token, principal, expires_at
        if announce:
            await self.send({"type": "ready", "principal": _principal_json(principal)})
        return True


async def _close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    # The protocol caps a close reason at 123 bytes.
    reason = reason.encode()[:123].decode(errors="ignore")
    # The client may already be gone; there is nobody left to tell.
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason)


def _same_origin(websocket: WebSocket) -> bool:
    """Whether the handshake's ``Origin`` names the host the browser connected to (``Host``)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _browser_cookie(websocket: WebSocket) -> tuple[str, str, Any] | None:
    """The session cookie of the page's area (``?area=app|portal``): ``(name, secret, expected kind)``."""
    area = "/portal" if websocket.query_params.get("area") == "portal" else "/app"
    name, expected = BROWSER_SESSION_COOKIES[area]
    secret = websocket.cookies.get(name)
    return (name, secret, expected) if secret else None


async def _browser_token(websocket: WebSocket) -> str:
    """An access token of the browser session in the handshake's cookie (raises :class:`_Rejected`: 4403
    from another origin, 4401 for an ended session). Tied to the session (``sid``), so it dies with it."""
    cookie = _browser_cookie(websocket)
    if cookie is None:
        raise _Rejected(CLOSE_UNAUTHORIZED, "No session cookie.")
    if not _same_origin(websocket):
        raise _Rejected(CLOSE_FORBIDDEN, "The session cookie is accepted from this site's own pages only.")
    _, secret, expected = cookie
    state = websocket.app.state
    async with state.read_sessionmaker() as session:
        principal: Principal | None = await state.browser_authenticator(session, secret, expected)
    if principal is None:
        raise _Rejected(CLOSE_UNAUTHORIZED, "The browser session has ended; sign in again.")
    token: str = state.tokens.issue_access_token(
        principal.id, principal.role, principal.type, session_id=principal.session_id
    )
    return token


async def _first_token(websocket: WebSocket) -> str:
    """The token from ``?token=``, from the browser's session cookie, or from the first message (raises
    :class:`_Rejected`)."""
    token = websocket.query_params.get("token")
    if token:
        return token
    if _browser_cookie(websocket) is not None:
        return await _browser_token(websocket)
    try:
        message = await asyncio.wait_for(_receive_json(websocket), AUTH_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise _Rejected(CLOSE_UNAUTHORIZED, "Authenticate within 10 seconds.") from exc
    if not isinstance(message, dict) or message.get("type") != "auth" or not message.get("token"):
        raise _Rejected(CLOSE_UNAUTHORIZED, "Send {'type': 'auth', 'token': '<access token>'} first.")
    return str(message["token"])


@router.websocket("/ws", name="live_events")
async def live_events(websocket: WebSocket) -> None:
    """Live events (see the module docstring for the protocol)."""
    await websocket.accept()
    try:
        token = await _first_token(websocket)
        principal, expires_at = await _authenticate(websocket, token)
    except _Rejected as rejected:
        await _close_quietly(websocket, rejected.code, rejected.reason)
        return
    except WebSocketDisconnect:
        return
    except Exception:
        log.exception("live_events_authentication_failed")
        await _close_quietly(websocket, CLOSE_INTERNAL_ERROR, "Authentication is unavailable.")
        return

    renew = None
    if not websocket.query_params.get("token") and _browser_cookie(websocket) is not None:

        async def renew() -> str:
            return await _browser_token(websocket)

    connection = LiveConnection(websocket, token, principal, expires_at, renew)
    broker = broker_for(websocket.app)
    broker.add_listener(connection.offer)
    tasks: list[asyncio.Task[None]] = []
    try:
        await connection.send({"type": "ready", "principal": _principal_json(principal)})
        tasks = [
            asyncio.create_task(connection.pump(), name="fixdesk-live-send"),
            asyncio.create_task(connection.serve_client(), name="fixdesk-live-receive"),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError | OSError):
                log.error("live_connection_failed", error=f"{type(error).__name__}: {error}")
    except WebSocketDisconnect:
        pass
    finally:
        broker.remove_listener(connection.offer)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

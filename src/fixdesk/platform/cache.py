"""A small read cache with namespaced invalidation, stored with the ``cashews`` library.

Entries live in process memory, or in Redis (``FIXDESK_REDIS_URL``) shared by every API process. Values
are JSON-able data (stored as JSON, so a reader always gets its own copy) kept for ``ttl_seconds``
(``FIXDESK_CATALOG_CACHE_SECONDS``; 0 turns the cache off: every read loads).

Invalidation is by generation: each namespace has a counter, and every key is stored under the
namespace's current generation (``<prefix>:<namespace>:<generation>:<key>``). :meth:`Cache.invalidate`
increments the counter (one ``INCR``, seen at once by every process sharing the store), so every key of
the namespace is orphaned without being listed, and the orphans expire with their TTL. A missing counter
(a new store, or one evicted under memory pressure) starts at the current time in microseconds rather than
at 0, so it never returns to a generation whose old entries might still be stored.

Transactions: a write must never let a reader cache data from before the write under the generation
that follows it. :func:`invalidate_on_commit` bumps the namespace just before the writer's transaction
commits and again once it has committed (through ``fixdesk.db.on_commit``), and :meth:`Cache.get_or_load`
reads the generation *before* calling its loader, which must read in a transaction that begins after
that (a fresh session): data loaded before the commit can then only be stored under a generation that
the post-commit bump retires. Should the process die between its commit and the second bump, entries
cached in that moment stay until their TTL, which bounds every staleness. When Redis is unreachable,
reads load from the database and an invalidation that could not be stored is logged; the TTL bounds it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings, get_settings
from fixdesk.db import has_commit_hook, on_commit
from fixdesk.platform.deps import APP_STATE_INFO_KEY

if TYPE_CHECKING:
    import cashews

log = structlog.get_logger(__name__)

T = TypeVar("T")

MEMORY_ENTRIES = 10_000
"""The in-process store keeps at most this many entries (least recently used ones leave first)."""
REDIS_TIMEOUT_SECONDS = 1.0
_MISSING = object()
_LIVE: weakref.WeakSet[Cache] = weakref.WeakSet()


def key_digest(*parts: Any) -> str:
    """A short stable key for arbitrary JSON-able parts (query parameters, say): 20 hex digits of SHA-256."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Cache:
    """A cache of JSON-able values by namespace and key, in memory (``redis_url`` ``None``) or in Redis.

    ``prefix`` starts every stored key, so installations sharing one Redis keep apart.
    """

    def __init__(self, *, redis_url: str | None, ttl_seconds: int, prefix: str = "fixdesk") -> None:
        self.redis_url = redis_url
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._store: cashews.Cache | None = None
        self._lock: asyncio.Lock | None = None
        _LIVE.add(self)

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    @property
    def backend_name(self) -> str:
        return "redis" if self.redis_url else "memory"

    async def _backend(self) -> cashews.Cache:
        if self._store is not None:
            return self._store
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._store is None:
                # Imported on first use: cashews imports redis-py, a fifth of a second of CPU for every
                # process that builds the app (tests/test_startup_imports.py).
                import cashews

                store = cashews.Cache()
                if self.redis_url:
                    # The scheme only picks cashews' Redis backend; redis-py reads the whole URL itself
                    # (redis://, rediss:// and unix:// alike, with their query options).
                    store.setup(
                        "redis://",
                        address=self.redis_url,
                        pickle_type="json",
                        socket_timeout=REDIS_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                        client_name="fixdesk-cache",
                    )
                else:
                    # No background sweeper task (check_interval=0): expired entries go when read or when
                    # the store is full, and no task outlives an app that was never shut down.
                    store.setup(f"mem://?size={MEMORY_ENTRIES}&check_interval=0", pickle_type="json")
                await store.init()
                self._store = store
        return self._store

    def _generation_key(self, namespace: str) -> str:
        return f"{self.prefix}:{namespace}:generation"

    async def generation(self, namespace: str) -> int | None:
        """The namespace's current generation, created on first use; ``None`` when the store is
        unreachable."""
        store = await self._backend()
        key = self._generation_key(namespace)
        value = await store.get(key)
        if value is None:
            await store.set(key, time.time_ns() // 1000, exist=False)
            value = await store.get(key)
        return int(value) if value is not None else None

    async def get_or_load(self, namespace: str, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The value cached under ``key`` in ``namespace``, or ``await load()`` stored for ``ttl_seconds``.

        ``load`` must read in a transaction that begins after this call (a fresh session), see the module
        docstring. With the cache off, or its store unreachable, it just loads.
        """
        if not self.enabled:
            return await load()
        generation = await self.generation(namespace)
        if generation is None:
            return await load()
        store = await self._backend()
        full_key = f"{self.prefix}:{namespace}:{generation}:{key}"
        # Values are wrapped, so a cached None is told apart from a miss.
        cached = await store.get(full_key, default=_MISSING)
        if isinstance(cached, dict) and "v" in cached:
            return cached["v"]
        value = await load()
        await store.set(full_key, {"v": value}, expire=self.ttl_seconds)
        return value

    async def invalidate(self, namespace: str) -> None:
        """Retire every key of ``namespace`` (in every process sharing the store)."""
        if not self.enabled:
            return
        store = await self._backend()
        if (
            await self.generation(namespace) is None
            or await store.incr(self._generation_key(namespace)) is None
        ):
            log.warning("cache_invalidation_failed", namespace=namespace, backend=self.backend_name)

    async def aclose(self) -> None:
        """Close the store (Redis connections)."""
        store, self._store = self._store, None
        if store is not None:
            with warnings.catch_warnings():
                # cashews closes its redis-py client with the deprecated close(); the effect is the same.
                warnings.simplefilter("ignore", DeprecationWarning)
                await store.close()


def build_cache(settings: Settings) -> Cache:
    """The cache for ``settings``: Redis when ``FIXDESK_REDIS_URL`` is set, else process memory; TTL
    ``FIXDESK_CATALOG_CACHE_SECONDS``; keys prefixed with ``FIXDESK_RATE_LIMIT_NAMESPACE`` (the installation's
    namespace in a shared Redis)."""
    return Cache(
        redis_url=settings.redis_url,
        ttl_seconds=settings.catalog_cache_seconds,
        prefix=f"{settings.rate_limit_namespace}:cache",
    )


def cache_for(app: Any) -> Cache:
    """The app's cache, built on first use and kept on ``app.state.cache``. When the app runs with its
    lifespan, the cache is closed with the app's other adapters at shutdown."""
    return cache_for_state(app.state)


def cache_for_state(state: Any) -> Cache:
    """:func:`cache_for` given the app's ``state``."""
    cache = getattr(state, "cache", None)
    if cache is None:
        cache = build_cache(state.settings)
        state.cache = cache
        services = getattr(state, "services", None)
        if services is not None:
            services.extras["cache"] = cache
    return cache


async def _invalidate_outside_requests(namespace: str) -> None:
    # A CLI command or a job has no app: retire the namespace in every cache this process holds, and in
    # the Redis its environment names (the one the API processes share), through a short-lived client.
    caches = list(_LIVE)
    for cache in caches:
        await cache.invalidate(namespace)
    try:
        settings = get_settings()
    except Exception:
        return
    if settings.redis_url and not any(c.redis_url == settings.redis_url for c in caches):
        temporary = build_cache(settings)
        try:
            await temporary.invalidate(namespace)
        finally:
            await temporary.aclose()


def invalidate_on_commit(session: AsyncSession, namespace: str) -> None:
    """Invalidate ``namespace`` for the change being made in ``session``: just before its transaction
    commits and again after (nothing on rollback). In a request's session it is the app's cache; elsewhere
    (CLI, jobs) every cache of the process and the environment's Redis."""
    state = session.info.get(APP_STATE_INFO_KEY)

    async def bump() -> None:
        try:
            if state is not None:
                await cache_for_state(state).invalidate(namespace)
            else:
                await _invalidate_outside_requests(namespace)
        except Exception:
            log.exception("cache_invalidation_failed", namespace=namespace)

    on_commit(session, _hook_key(namespace), before=bump, after=bump)


def invalidation_pending(session: AsyncSession, namespace: str) -> bool:
    """Whether ``session``'s transaction changed ``namespace`` (:func:`invalidate_on_commit`) and has not
    committed yet: its reads of the namespace must bypass the cache."""
    return has_commit_hook(session, _hook_key(namespace))


def _hook_key(namespace: str) -> str:
    return f"cache:{namespace}"

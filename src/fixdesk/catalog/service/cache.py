"""The catalog read cache: :class:`CatalogCache` over the app's :class:`~fixdesk.platform.cache.Cache`,
its invalidation by every catalog write (:func:`invalidate_catalog_cache`), and the helpers the service
modules use to build cache keys and store JSON-able pages and records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.platform.cache import Cache, cache_for, invalidate_on_commit, invalidation_pending, key_digest
from fixdesk.platform.pagination import Page, PageParams, paginate

T = TypeVar("T")

CACHE_NAMESPACE = "catalog"
"""The cache namespace of every catalog read (one invalidation retires them all)."""


def invalidate_catalog_cache(session: AsyncSession) -> None:
    """Invalidate the catalog cache for the change being made in ``session``: just before its transaction
    commits and again once it has committed, never on rollback (``fixdesk.platform.cache``). Until then,
    cached catalog reads through this session bypass the cache, so they see the session's own changes and
    never store them. Every catalog write calls this; so does the CSV import."""
    invalidate_on_commit(session, CACHE_NAMESPACE)


@dataclass
class CatalogCache:
    """Catalog reads through the app's :class:`~fixdesk.platform.cache.Cache`.

    A miss loads with a fresh session from ``sessionmaker`` (a read-only one), whose transaction begins
    after the cache's generation was read: that is what keeps data from before a concurrent write out of
    the generation after it. A session that changed the catalog reads through itself, uncached.
    """

    cache: Cache
    sessionmaker: async_sessionmaker[AsyncSession]

    async def read(self, session: AsyncSession, key: str, load: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """The cached value of ``key``, or ``await load(session)`` on a miss (stored as it is: JSON-able)."""
        if not self.cache.enabled or invalidation_pending(session, CACHE_NAMESPACE):
            return await load(session)

        async def load_fresh() -> T:
            async with self.sessionmaker() as reader:
                return await load(reader)

        return await self.cache.get_or_load(CACHE_NAMESPACE, key, load_fresh)

    async def read_page(
        self,
        session: AsyncSession,
        key: str,
        statement: Callable[[], Select[Any]],
        params: PageParams,
        read: type[BaseModel],
    ) -> dict[str, Any]:
        """The page ``params`` of the rows of ``statement()`` as a JSON-able ``Page[read]``, cached as ``key``
        (the statement is built only on a miss)."""

        async def load(reader: AsyncSession) -> dict[str, Any]:
            rows, total = await paginate(reader, statement(), params)
            return page_json(rows, total, params, read)

        return await self.read(session, key, load)

    async def read_record(
        self,
        session: AsyncSession,
        key: str,
        get: Callable[[AsyncSession], Awaitable[Any]],
        read: type[BaseModel],
    ) -> dict[str, Any]:
        """The row ``await get(session)`` as a JSON-able ``read``, cached as ``key``; whatever ``get`` raises
        (:class:`~fixdesk.platform.errors.NotFound`) is raised, and nothing is cached."""

        async def load(reader: AsyncSession) -> dict[str, Any]:
            return to_json(read.model_validate(await get(reader)))

        return await self.read(session, key, load)


def catalog_cache_for(app: Any) -> CatalogCache:
    """The catalog cache of a running app (built on first use)."""
    return CatalogCache(cache_for(app), app.state.read_sessionmaker)


def to_json(model: BaseModel) -> Any:
    """``model`` as the JSON-able dict the cache stores and the API answers (camelCase keys)."""
    return model.model_dump(mode="json", by_alias=True)


def page_json(rows: Any, total: int, params: PageParams, read: type[BaseModel]) -> dict[str, Any]:
    """A JSON-able ``Page[read]`` of ``rows`` (ORM rows validated into ``read``)."""
    return to_json(Page[read].build([read.model_validate(row) for row in rows], total, params))  # type: ignore[valid-type]


def cache_key(kind: str, *parts: Any) -> str:
    """The cache key of a read of ``kind`` with these arguments (filters, page), as a short digest."""
    return f"{kind}:{key_digest(*parts)}"

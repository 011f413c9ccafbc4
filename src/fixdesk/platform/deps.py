"""Request-scoped dependencies shared by every router."""

# Annotations here are objects, not strings (no ``from __future__ import annotations``): FastAPI reads
# these dependencies' signatures again for every route that uses them, and each string annotation would be
# compiled by ``eval`` each time, about 4,600 times per process start-up.

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.db import begin_autocommit, commit, discard_commit_hooks, refuse_writes

APP_STATE_INFO_KEY = "fixdesk.app_state"
"""Key of ``session.info`` holding the app's state for a request's session."""


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD"})
WRITES_ON_READ = "fixdesk_writes_on_read"
"""Attribute of an endpoint function (set by :func:`writes_on_read`) whose GET writes."""


def writes_on_read(endpoint: Endpoint) -> Endpoint:
    """Declare a ``GET`` endpoint that writes (a tracking link recording a click): its request session is
    a normal transaction, committed when it returns, like a ``POST``'s. Every other ``GET`` and ``HEAD``
    gets a read-only session (:func:`get_session`), in which a write fails. Put it under the route's
    decorator or above it (it marks the function itself)."""
    setattr(endpoint, WRITES_ON_READ, True)
    return endpoint


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back when it raises.

    Declared with ``scope="function"`` at the use site so the commit happens *before* the response is
    sent: a client never sees 201 for a change that failed to commit. An error marked
    ``commit_transaction`` (e.g. a revoked token family) still commits what the service recorded.

    GET and HEAD requests get a read-only session (unless their endpoint is marked
    :func:`writes_on_read`): see :func:`request_session`.
    """
    read_only = request.method in SAFE_METHODS and not getattr(
        request.scope.get("endpoint"), WRITES_ON_READ, False
    )
    async with request_session(request.app.state, read_only=read_only) as session:
        yield session


@asynccontextmanager
async def request_session(state: Any, *, read_only: bool) -> AsyncIterator[AsyncSession]:
    """A request's session from the app's ``state`` (:func:`get_session`; a route answering directly,
    :mod:`fixdesk.platform.direct_routes`): committed when the block ends, rolled back when it raises (an
    error marked ``commit_transaction`` commits).

    ``read_only``: on PostgreSQL in autocommit (:func:`fixdesk.db.begin_autocommit`, no ``BEGIN`` and
    ``COMMIT`` round trips), on SQLite a deferred transaction that takes no write lock; on both, any
    write in it fails loudly (:func:`fixdesk.db.refuse_writes`)."""
    factory = state.read_sessionmaker if read_only else state.sessionmaker
    async with factory() as session:
        # Lets commit hooks reach the app's shared objects (its cache: fixdesk.platform.cache).
        session.info[APP_STATE_INFO_KEY] = state
        if read_only:
            refuse_writes(session)
            if state.reads_in_autocommit:
                await begin_autocommit(session)
        try:
            yield session
        except Exception as exc:
            if getattr(exc, "commit_transaction", False):
                await commit(session)
            else:
                discard_commit_hooks(session)
                await session.rollback()
            raise
        else:
            await commit(session)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_settings(request: Request) -> Settings:
    """The settings of the running app."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def app_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """A factory of write sessions that reach the app's shared objects (its cache) like the request's own
    session does, for work that commits several transactions of its own (the catalog import's batches)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return async_sessionmaker(
        class_=factory.class_, **{**factory.kw, "info": {APP_STATE_INFO_KEY: request.app.state}}
    )

"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.db import commit, discard_commit_hooks

APP_STATE_INFO_KEY = "fixdesk.app_state"
"""Key of ``session.info`` holding the app's state for a request's session."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back when it raises.

    Declared with ``scope="function"`` at the use site so the commit happens *before* the response is
    sent: a client never sees 201 for a change that failed to commit. GET and HEAD requests use the
    read-only session (on SQLite it does not take the write lock). An error marked
    ``commit_transaction`` (e.g. a revoked token family) still commits what the service recorded.
    """
    state = request.app.state
    factory = state.read_sessionmaker if request.method in ("GET", "HEAD") else state.sessionmaker
    async with factory() as session:
        # Lets commit hooks reach the app's shared objects (its cache: fixdesk.platform.cache).
        session.info[APP_STATE_INFO_KEY] = state
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

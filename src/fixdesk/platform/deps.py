"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings


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
        try:
            yield session
        except Exception as exc:
            if getattr(exc, "commit_transaction", False):
                await session.commit()
            else:
                await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    """The settings of the running app."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]

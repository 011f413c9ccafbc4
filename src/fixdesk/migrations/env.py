"""Alembic environment: runs migrations over an async engine on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from fixdesk.db import create_engine
from fixdesk.migrations import is_postgresql_only_index
from fixdesk.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Trigram and jsonb GIN indexes exist only on PostgreSQL; SQLite has no such index types.
    if type_ == "index" and is_postgresql_only_index(name):
        return context.get_bind().dialect.name == "postgresql"
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Our column types (UTCDateTime, Money, …) are Python-side conversions over plain SQL types; render
    # the SQL type so migrations never import application code that may change later.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `fixdesk migrate`.")

connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())

"""Alembic migrations: the only way Fixdesk's schema is made, on SQLite and PostgreSQL alike.

One linear history in ``versions/``. Run them with ``fixdesk migrate`` (``fixdesk serve`` migrates on
start). New revision after a model change: ``fixdesk makemigration -m "what changed"``, then read and
fix the generated file (PostgreSQL-only pieces such as trigram indexes are guarded by dialect).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from fixdesk.config import Settings

MIGRATIONS_DIR = Path(__file__).parent
TRIGRAM_INDEX_SUFFIX = "_trgm"
# Indexes declared on the models that exist only on PostgreSQL: trigram (GIN) search indexes and GIN
# indexes over jsonb columns. SQLite has neither index type.
POSTGRESQL_ONLY_INDEX_SUFFIXES = (TRIGRAM_INDEX_SUFFIX, "_gin")


def is_postgresql_only_index(name: str | None) -> bool:
    """True for an index name that marks a PostgreSQL-only index (see POSTGRESQL_ONLY_INDEX_SUFFIXES)."""
    return bool(name) and name.endswith(POSTGRESQL_ONLY_INDEX_SUFFIXES)


def alembic_config(database_url: str, settings: Settings | None = None) -> Config:
    """An Alembic configuration for ``database_url`` (no alembic.ini needed). ``settings`` reach the
    revisions that need the app's secret key (encrypting existing secrets); without them such a revision
    reads the environment's settings, as ``fixdesk migrate`` does."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    if settings is not None:
        config.attributes["settings"] = settings
    return config


def _in_fresh_thread(function, *args) -> None:
    # env.py runs its own event loop; from inside a running loop (tests, the server) that needs a thread.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            function(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        function(*args)
        return
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade(database_url: str, revision: str = "head", *, settings: Settings | None = None) -> None:
    """Upgrade the database at ``database_url`` to ``revision`` (``settings``: see :func:`alembic_config`)."""
    _in_fresh_thread(command.upgrade, alembic_config(database_url, settings), revision)


def downgrade(database_url: str, revision: str, *, settings: Settings | None = None) -> None:
    _in_fresh_thread(command.downgrade, alembic_config(database_url, settings), revision)


def make_revision(database_url: str, message: str) -> None:
    """Autogenerate a new revision by comparing the models with the database at ``database_url``."""
    _in_fresh_thread(
        lambda: command.revision(alembic_config(database_url), message=message, autogenerate=True)
    )

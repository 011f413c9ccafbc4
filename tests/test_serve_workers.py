"""``fixdesk serve --workers N`` (issue 9, item 11): several server processes on PostgreSQL; SQLite serves
from one process (its in-process job worker must stay single), so more is refused before anything starts."""

from __future__ import annotations

from typer.testing import CliRunner

from fixdesk.cli import app as cli
from tests.conftest import TEST_SECRET


def _environment(tmp_path, database_url: str) -> dict[str, str]:
    return {
        "FIXDESK_ENV": "test",
        "FIXDESK_DATABASE_URL": database_url,
        "FIXDESK_DATA_DIR": str(tmp_path / "data"),
        "FIXDESK_SECRET_KEY": TEST_SECRET,
        "FIXDESK_REDIS_URL": "",
        "COLUMNS": "200",
    }


def test_sqlite_refuses_more_than_one_server_process(tmp_path):
    database = tmp_path / "shop.db"
    result = CliRunner().invoke(
        cli,
        ["serve", "--workers", "2", "--port", "1"],
        env=_environment(tmp_path, f"sqlite+aiosqlite:///{database}"),
    )

    assert result.exit_code == 2, result.output
    assert "--workers above 1 needs PostgreSQL" in result.output
    # Refused before migrating: nothing was created.
    assert not database.exists()


def test_the_number_of_workers_is_at_least_one(tmp_path):
    result = CliRunner().invoke(
        cli, ["serve", "--workers", "0"], env=_environment(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/x.db")
    )

    assert result.exit_code == 2
    assert "--workers" in result.output

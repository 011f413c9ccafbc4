"""``fixdesk catalog import FILE.csv`` and ``fixdesk catalog export [FILE]`` (issue 5, item 2), run in process
with Typer's CliRunner against the test database of each backend."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fixdesk.catalog.models import Brand, DeviceModel, PriceHistory, Pricing
from fixdesk.catalog.transfer import COLUMNS
from fixdesk.cli import app as cli
from tests.catalog.helpers import csv_bytes
from tests.conftest import TEST_SECRET
from tests.factories import count_rows, make_user

# The CLI opens its own engine on the test database and commits.
pytestmark = pytest.mark.commits


async def run_cli(database_url: str, tmp_path, *arguments: str):
    """Run the command in a worker thread (it starts its own event loop, as from a shell)."""
    environment = {
        "FIXDESK_ENV": "test",
        "FIXDESK_DATABASE_URL": database_url,
        "FIXDESK_DATA_DIR": str(tmp_path / "cli-data"),
        "FIXDESK_SECRET_KEY": TEST_SECRET,
        "FIXDESK_REDIS_URL": "",
        "COLUMNS": "160",
    }
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli, list(arguments), env=environment, catch_exceptions=False
    )


ROWS = (
    {
        "brand": "Apple",
        "model": "iPhone 13",
        "releaseYear": "2021",
        "deviceType": "phone",
        "tierLevel": "1",
        "repairType": "Screen replacement",
        "partType": "OLED display",
        "partQuality": "original",
        "price": "279.00",
        "cost": "150.00",
    },
    {
        "brand": "Apple",
        "model": "iPhone 13",
        "repairType": "Battery replacement",
        "partType": "Battery",
        "price": "8,9",
    },
    {"brand": "Google", "model": "Pixel 7", "deviceType": "phone"},
)


async def test_import_prints_its_summary_and_the_rejected_rows(app, sessionmaker, database_url, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(csv_bytes(*ROWS))

    result = await run_cli(database_url, tmp_path, "catalog", "import", str(path))

    assert result.exit_code == 0, result.output
    output = result.stdout
    assert "3 rows, 2 imported" in output
    lines = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:5]]
        for line in output.splitlines()
        if line.count("│") >= 5
    }
    assert lines["brands"] == ["2", "0", "0"]
    assert lines["device models"] == ["2", "0", "0"]
    assert lines["prices"] == ["1", "0", "0"]
    assert "1 price-history rows written." in output
    assert "1 row(s) rejected:" in output
    assert "line 3 [price]: price '8,9' is not an amount" in output
    assert await count_rows(sessionmaker, Brand) == 2
    assert await count_rows(sessionmaker, DeviceModel) == 2
    async with sessionmaker() as session:
        price = (await session.execute(select(Pricing))).scalar_one()
        history = (await session.execute(select(PriceHistory))).scalar_one()
    assert price.price == 279
    assert (history.source, history.changed_by_id, history.reason) == (
        "import",
        None,
        "CSV import of catalog.csv, line 2",
    )


async def test_import_with_json_prints_the_apis_answer(app, sessionmaker, database_url, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(csv_bytes(*ROWS))
    await run_cli(database_url, tmp_path, "catalog", "import", str(path))

    result = await run_cli(database_url, tmp_path, "catalog", "import", "--json", str(path))

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["prices"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert body["deviceModels"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert body["rejected"] == [{"line": 3, "column": "price", "reason": body["rejected"][0]["reason"]}]
    assert body["rejectedCount"] == 1


async def test_import_of_a_file_that_is_not_csv_exits_1_and_changes_nothing(
    app, sessionmaker, database_url, tmp_path
):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")

    result = await run_cli(database_url, tmp_path, "catalog", "import", str(path))

    assert result.exit_code == 1
    assert "Cannot import" in result.output
    assert "not UTF-8 text" in result.output
    assert await count_rows(sessionmaker, Brand) == 0
    missing = await run_cli(database_url, tmp_path, "catalog", "import", str(tmp_path / "missing.csv"))
    assert missing.exit_code == 2


async def test_export_writes_the_same_csv_as_the_api(app, client, sessionmaker, database_url, tmp_path):
    admin = await make_user(app, sessionmaker, "admin")
    source = tmp_path / "catalog.csv"
    source.write_bytes(csv_bytes(*ROWS))
    await run_cli(database_url, tmp_path, "catalog", "import", str(source))
    api = await client.get("/api/v1/catalog/pricing/export", headers=admin.headers)

    target = tmp_path / "export.csv"
    to_file = await run_cli(database_url, tmp_path, "catalog", "export", str(target))
    to_stdout = await run_cli(database_url, tmp_path, "catalog", "export", "--include-devices-without-prices")
    phones = await run_cli(database_url, tmp_path, "catalog", "export", "--device-type", "laptop")
    wrong = await run_cli(database_url, tmp_path, "catalog", "export", "--device-type", "fridge")

    assert to_file.exit_code == 0, to_file.output
    assert target.read_text(encoding="utf-8") == api.text
    assert len(api.text.splitlines()) == 2  # the header and the one price
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.splitlines()[1:] == [
        *api.text.splitlines()[1:],
        "Google,Pixel 7,,,phone,,2,,,,,,,,",
    ]
    assert phones.stdout.splitlines() == [",".join(COLUMNS)]
    assert wrong.exit_code == 2


async def test_the_demo_shop_refuses_a_database_with_an_imported_catalog(
    app, sessionmaker, database_url, tmp_path
):
    from fixdesk.identity.models import User

    path = tmp_path / "catalog.csv"
    path.write_bytes(csv_bytes(*ROWS))
    await run_cli(database_url, tmp_path, "catalog", "import", str(path))

    result = await run_cli(database_url, tmp_path, "demo")

    assert result.exit_code == 1
    assert "already holds brands" in result.output
    assert await count_rows(sessionmaker, User) == 0
    assert await count_rows(sessionmaker, Brand) == 2


def test_the_import_progress_shows_each_stage_as_a_bar_that_fills_up():
    import io

    from rich.console import Console
    from rich.progress import Progress

    from fixdesk.cli import RichImportProgress

    bars = Progress(console=Console(file=io.StringIO()), auto_refresh=False)
    progress = RichImportProgress(bars)
    progress.stage("reading", 5)
    progress.advance(4)  # the last line counted short: the bar still fills when the next stage starts
    progress.stage("checking", 3)
    progress.advance(3)
    progress.stage("writing", 11)
    progress.advance(11)

    assert [(task.description, task.completed, task.total) for task in bars.tasks] == [
        ("Reading rows", 5, 5),
        ("Checking rows", 3, 3),
        ("Writing", 11, 11),
    ]

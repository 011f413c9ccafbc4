"""The README keeps up with the code it documents."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fixdesk.bootstrap import load_domains
from fixdesk.catalog.transfer import import_catalog
from fixdesk.catalog.transfer.csv_format import COLUMNS
from fixdesk.config import Settings
from fixdesk.demo.catalog import build_demo_catalog
from fixdesk.demo.devices import DEVICE_MODELS
from fixdesk.demo.loader import load_demo
from fixdesk.identity.models import Role
from fixdesk.identity.permissions import permission_table
from fixdesk.platform.events import CATALOG
from fixdesk.repairs.permissions import REPAIRS_ASSIGN
from fixdesk.repairs.service import ASSIGNABLE_ROLES

DEMO_SEED = inspect.signature(load_demo).parameters["seed"].default

REPOSITORY = Path(__file__).resolve().parent.parent
README = (REPOSITORY / "README.md").read_text()


def test_every_event_of_the_catalogue_is_listed() -> None:
    load_domains()
    missing = [name for name in CATALOG if f"`{name}`" not in README]
    assert not missing, f"README's event catalogue lacks {missing}"


def test_every_setting_is_documented() -> None:
    undocumented = [
        f"FIXDESK_{name.upper()}"
        for name in Settings.model_fields
        if f"`FIXDESK_{name.upper()}`" not in README
    ]
    assert not undocumented, f"README does not document {undocumented}"


# --- the Makefile: what `make run PORT=8401` and the other targets really run -------------------------


def make_dry_run(*arguments: str) -> list[str]:
    """The commands ``make`` would run for ``arguments`` (``-n``: printed, not run; ``-B``: as on a fresh
    clone, every target out of date)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [" ".join(line.split()) for line in result.stdout.splitlines()]


def test_make_run_passes_port_and_host_to_fixdesk_serve() -> None:
    assert make_dry_run("run", "PORT=8401")[-1] == ".venv/bin/fixdesk serve --demo --port 8401"
    assert make_dry_run("run", "PORT=8401", "HOST=0.0.0.0")[-1] == (
        ".venv/bin/fixdesk serve --demo --host 0.0.0.0 --port 8401"
    )
    # Without them, fixdesk serve's own defaults apply (FIXDESK_HOST, FIXDESK_PORT).
    assert make_dry_run("run")[-1] == ".venv/bin/fixdesk serve --demo"


def test_make_run_and_make_test_install_from_the_lock_files_with_hashes() -> None:
    run = make_dry_run("run")
    test = make_dry_run("test")

    uv = ".venv/bin/uv pip install --quiet --python .venv/bin/python"
    assert f"{uv} --require-hashes -r requirements.lock" in run
    assert f"{uv} --require-hashes -r requirements-dev.lock" in test
    for commands in (run, test):
        # The installer itself is pinned with its hashes, and installed before it installs anything.
        installs_uv = (
            ".venv/bin/python -m pip install --quiet --no-compile --require-hashes -r requirements-uv.lock"
        )
        assert commands.index(installs_uv) < commands.index(f"{uv} --no-deps -e .")
        # Fixdesk itself comes after, without dependencies of its own choosing.
        assert commands.index(f"{uv} --no-deps -e .") > 1
        assert not [c for c in commands if "pip install" in c and "-e ." in c and "--no-deps" not in c]
        # Nothing is installed unpinned: every install names a lock file with hashes, or is Fixdesk's own.
        assert not [
            c for c in commands if "pip install" in c and "--require-hashes" not in c and "-e ." not in c
        ]


def test_make_lock_regenerates_both_lock_files_from_pyproject_with_hashes() -> None:
    compiles = [command for command in make_dry_run("lock") if "pip-compile" in command]

    assert len(compiles) == 3
    assert all("--generate-hashes" in command for command in compiles)
    assert all(command.endswith(" pyproject.toml") for command in compiles[:2])
    assert "--extra dev --output-file requirements-dev.lock" in compiles[0]
    assert "--constraint requirements-dev.lock --output-file requirements.lock" in compiles[1]
    # The installer's own pin, from the Makefile's UV_VERSION, which the committed file must match.
    version = re.search(r'echo "uv==([0-9.]+)" \| ', compiles[2]).group(1)
    assert compiles[2].endswith("--output-file requirements-uv.lock -")
    assert re.search(
        rf"^uv=={re.escape(version)} \\$", (REPOSITORY / "requirements-uv.lock").read_text(), re.M
    )
    assert all(
        "--upgrade" in command for command in make_dry_run("lock", "UPGRADE=1") if "pip-compile" in command
    )


# --- a newcomer's path: what the README promises is what the code does --------------------------------


def test_the_docs_send_nobody_outside_the_repository() -> None:
    for name in ("README.md", "DEVELOPERS.md"):
        text = (REPOSITORY / name).read_text()
        assert "../" not in text, f"{name} points outside the repository"


def test_the_outbox_is_in_the_data_directory_as_the_readme_says(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "srv")

    assert settings.outbox_dir == tmp_path / "srv" / "outbox"
    assert "`<data dir>/outbox/`" in README
    assert "`<data dir>/outbox/sms/`" in README
    assert "`FIXDESK_DATA_DIR=/srv/fixdesk`" in README


def test_the_sign_in_limit_the_readme_states_is_the_default() -> None:
    assert Settings.model_fields["rate_limit_auth"].default == "5/minute"
    assert "Sign-in is limited to 5 attempts a minute" in README


def test_who_may_assign_technicians_is_who_the_readme_names() -> None:
    load_domains()
    assigners = {
        role for role, permissions in permission_table().roles.items() if REPAIRS_ASSIGN in permissions
    }

    assert assigners == {Role.admin, Role.manager}
    assert "`repairs:assign` permission: managers and admins have it" in README
    assert set(ASSIGNABLE_ROLES) == {"technician", "manager", "admin"}
    assert "assigned to an active technician, manager or admin" in README


def readme_catalog_sample() -> str:
    """The CSV in the README's "Import and export" section."""
    section = README[README.index("### Import and export") :]
    start = section.index("```\n") + len("```\n")
    return section[start : section.index("```", start)]


def test_the_readme_catalog_sample_is_a_row_of_the_demo_shop() -> None:
    header, row = (next(csv.reader([line])) for line in readme_catalog_sample().splitlines())
    cells = dict(zip(header, row, strict=True))

    assert tuple(header) == COLUMNS
    [device] = [d for d in DEVICE_MODELS if (d.brand, d.name) == (cells["brand"], cells["model"])]
    assert (cells["modelNumber"], cells["releaseYear"], cells["deviceType"]) == (
        device.model_number or "",
        str(device.release_year),
        device.device_type,
    )
    assert (cells["screenSize"], cells["tierLevel"]) == (str(device.screen_size), str(device.tier_level))
    # The demo's price list is the same for every load of the default seed (only ids and dates differ).
    catalog = build_demo_catalog(seed=DEMO_SEED, now=datetime(2026, 6, 1, tzinfo=UTC))
    part_type_names = {
        row["id"]: row["name"] for table, rows in catalog.batch if table.name == "part_types" for row in rows
    }
    [price] = [
        p
        for p in catalog.prices
        if p.device_model_id == catalog.device_ids[(device.brand, device.name)]
        and p.repair_type_id == catalog.repair_type_ids[cells["repairType"]]
        and p.part_quality == cells["partQuality"]
    ]
    assert part_type_names[price.part_type_id] == cells["partType"]
    assert (cells["price"], cells["cost"]) == (f"{price.price:.2f}", f"{price.cost:.2f}")


async def test_the_readme_catalog_sample_imports_through_the_real_importer(app, sessionmaker) -> None:
    report = await import_catalog(sessionmaker, readme_catalog_sample(), timezone="UTC")

    assert report.rejected == []
    assert (report.rows, report.accepted) == (1, 1)
    assert (report.device_models.created, report.prices.created) == (1, 1)

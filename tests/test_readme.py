"""The README keeps up with the code it documents."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fixdesk.bootstrap import load_domains
from fixdesk.config import Settings
from fixdesk.platform.events import CATALOG

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

    assert ".venv/bin/pip install --quiet --require-hashes -r requirements.lock" in run
    assert ".venv/bin/pip install --quiet --require-hashes -r requirements-dev.lock" in test
    for commands in (run, test):
        # Fixdesk itself comes after, without dependencies of its own choosing.
        assert commands.index(".venv/bin/pip install --quiet --no-deps -e .") > 1
        assert not [c for c in commands if "pip install" in c and "-e ." in c and "--no-deps" not in c]


def test_make_lock_regenerates_both_lock_files_from_pyproject_with_hashes() -> None:
    compiles = [command for command in make_dry_run("lock") if "pip-compile" in command]

    assert len(compiles) == 2
    assert all("--generate-hashes" in command and command.endswith(" pyproject.toml") for command in compiles)
    assert "--extra dev --output-file requirements-dev.lock" in compiles[0]
    assert "--constraint requirements-dev.lock --output-file requirements.lock" in compiles[1]
    assert all(
        "--upgrade" in command for command in make_dry_run("lock", "UPGRADE=1") if "pip-compile" in command
    )

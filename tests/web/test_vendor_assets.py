"""``scripts/vendor-assets --check``: the committed front-end files are exactly the pinned releases of the
manifest, each with its licence, and any drift (an edited file, a stray old version, a version bumped in
the manifest but not fetched) fails with a message naming it. No network is used."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent.parent
SCRIPT = REPOSITORY / "scripts" / "vendor-assets"
MANIFEST = REPOSITORY / "scripts" / "vendor-assets.toml"
LOCK = REPOSITORY / "src" / "fixdesk" / "web" / "vendor.json"


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        # A check that tried to download would fail here rather than pass by fetching.
        env={
            "PATH": "/usr/bin:/bin",
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
        },
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the parts of the repository the check reads."""
    lock = json.loads(LOCK.read_text())
    for relative in ("scripts/vendor-assets.toml", "src/fixdesk/web/vendor.json"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPOSITORY / relative, tmp_path / relative)
    for entry in lock["assets"].values():
        shutil.copytree(REPOSITORY / entry["path"], tmp_path / entry["path"])
    return tmp_path


def test_the_committed_files_match_the_manifest():
    result = run_check(REPOSITORY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "the committed files match" in result.stdout


def test_every_asset_is_pinned_with_its_licence_and_recorded():
    manifest = tomllib.loads(MANIFEST.read_text())
    lock = json.loads(LOCK.read_text())["assets"]

    names = {asset["name"] for asset in manifest["asset"]}
    assert names >= {
        "tabler",
        "tabler-icons",
        "htmx",
        "alpinejs-csp",
        "chart.js",
        "swagger-ui",
        "redoc",
        "axe-core",
    }
    assert set(lock) == names
    for asset in manifest["asset"]:
        assert len(asset["sha256"]) == 64, asset["name"]
        assert asset["source"].startswith("https://registry.npmjs.org/"), asset["name"]
        recorded = lock[asset["name"]]
        assert recorded["version"] == asset["version"]
        assert "LICENSE" in recorded["files"], asset["name"]
        assert recorded["path"].endswith(f"/{asset['name']}/{asset['version']}")
    # htmx 2, as the design asks, and the CSP build of Alpine.js.
    assert lock["htmx"]["version"].startswith("2.")


def test_an_edited_file_fails_the_check(copy):
    htmx = next(copy.glob("src/fixdesk/web/static/vendor/htmx/*/htmx.min.js"))
    htmx.write_text(htmx.read_text() + "\nwindow.stolen = document.cookie;\n")

    result = run_check(copy)

    assert result.returncode == 1
    assert "htmx.min.js differs from the recorded SHA-256" in result.stdout


def test_a_missing_licence_fails_the_check(copy):
    next(copy.glob("src/fixdesk/web/static/vendor/chart.js/*/LICENSE")).unlink()

    result = run_check(copy)

    assert result.returncode == 1
    assert "chart.js" in result.stdout
    assert "LICENSE is missing" in result.stdout


def test_a_stray_old_version_fails_the_check(copy):
    stray = copy / "src/fixdesk/web/static/vendor/htmx/1.9.0"
    stray.mkdir()
    (stray / "htmx.min.js").write_text("old")

    result = run_check(copy)

    assert result.returncode == 1
    assert "vendor/htmx/1.9.0 belongs to no asset of the manifest" in result.stdout


def test_a_version_bumped_in_the_manifest_but_not_fetched_fails_the_check(copy):
    manifest = copy / "scripts/vendor-assets.toml"
    manifest.write_text(manifest.read_text().replace('version = "2.0.11"', 'version = "2.0.12"'))

    result = run_check(copy)

    assert result.returncode == 1
    assert (
        "htmx: version is '2.0.12' in the manifest, '2.0.11' in src/fixdesk/web/vendor.json" in result.stdout
    )

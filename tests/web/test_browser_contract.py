"""The browser tests' set-up contract: without ``CI=true`` a missing Chromium skips them with the reason
printed; with ``CI=true`` it fails the run (DEVELOPERS.md, "Browser tests")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent.parent


def run_browser_tests(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID")
    }
    env["FIXDESK_TEST_CHROMIUM"] = "/nonexistent/chromium"
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-rs",
            "tests/web/test_browser.py",
            "-k",
            "test_sign_in_pages_follow_the_browser_language",
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_ci_a_missing_browser_skips_with_the_reason():
    result = run_browser_tests(ci=False)

    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 skipped" in result.stdout
    assert "no Chromium at /nonexistent/chromium" in result.stdout


def test_with_ci_a_missing_browser_fails_the_run():
    result = run_browser_tests(ci=True)

    assert result.returncode != 0
    assert "CI=true requires Chromium" in result.stdout

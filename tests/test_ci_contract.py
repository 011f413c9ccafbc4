"""The set-up contract of the test suite itself: with ``CI=true`` an unreachable PostgreSQL fails the run;
without ``CI`` the PostgreSQL half is skipped and pytest prints why (README, DEVELOPERS.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


def run_pytest(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID")
    }
    env["FIXDESK_TEST_POSTGRES_URL"] = UNREACHABLE
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
            "tests/repairs/test_lifecycle.py",
            "-k",
            "postgresql",
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_ci_the_postgresql_half_is_skipped_with_the_reason_printed() -> None:
    result = run_pytest(ci=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in result.stdout
    assert "PostgreSQL unreachable at 127.0.0.1:1" in result.stdout


def test_with_ci_an_unreachable_postgresql_fails_the_run() -> None:
    result = run_pytest(ci=True)
    assert result.returncode != 0
    assert "CI=true requires PostgreSQL" in result.stdout

"""Python in a child process with a clean environment: the CLI as a user runs it, and scripts for checks
that change what a process keeps for its lifetime (OpenTelemetry's global providers, the garbage
collector's frozen objects)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]


def run_python(*arguments: str, cwd: Path = REPOSITORY, **environment: str) -> subprocess.CompletedProcess:
    """Run this interpreter with ``arguments`` in ``cwd``, with none of the caller's ``FIXDESK_*`` and
    ``OTEL_*`` variables (``environment`` adds its own); its output is captured as text."""
    env = {
        key: value for key, value in os.environ.items() if not key.upper().startswith(("FIXDESK_", "OTEL_"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_script(script: str, **environment: str) -> Any:
    """Run ``script`` (:func:`run_python` in the repository) and return the JSON its last line prints. A
    child that exits with an error fails the test with what it wrote to stderr."""
    result = run_python("-c", script, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])

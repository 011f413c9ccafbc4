"""The lock files (issue 9, item 13): every dependency pinned with hashes, for the runtime set
(``requirements.lock``, what ``make run`` installs) and the dev set (``requirements-dev.lock``, what
``make test`` installs), in step with ``pyproject.toml``. A failure here after changing a dependency means:
run ``make lock`` and commit both files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPOSITORY = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
S3_ONLY = {"boto3", "botocore", "s3transfer"}


def read_lock(name: str) -> dict[str, tuple[str, int]]:
    """``{package: (version, number of hashes)}`` of a pip-compile lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in (REPOSITORY / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif current is not None and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line.strip() and not line.startswith((" ", "#")):
            pytest.fail(f"{name}: a line that is neither a pin nor a hash: {line!r}")
    return pins


RUNTIME = read_lock("requirements.lock")
DEV = read_lock("requirements-dev.lock")
INSTALLER = read_lock("requirements-uv.lock")


def requirements(group: str | None) -> list[Requirement]:
    declared = (
        PYPROJECT["project"]["dependencies"]
        if group is None
        else PYPROJECT["project"]["optional-dependencies"][group]
    )
    return [Requirement(text) for text in declared]


@pytest.mark.parametrize(
    ("lock_name", "pins"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", DEV), ("requirements-uv.lock", INSTALLER)],
)
def test_every_pin_carries_a_hash(lock_name, pins) -> None:
    assert pins, lock_name
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == [], (
        f"{lock_name}: pins without hashes"
    )


@pytest.mark.parametrize(
    ("lock_name", "pins", "groups"),
    [("requirements.lock", RUNTIME, [None]), ("requirements-dev.lock", DEV, [None, "dev", "s3"])],
)
def test_every_declared_dependency_is_pinned_at_an_allowed_version(lock_name, pins, groups) -> None:
    stale = []
    for group in groups:
        for requirement in requirements(group):
            pinned = pins.get(canonicalize_name(requirement.name))
            if pinned is None or pinned[0] not in requirement.specifier:
                stale.append(f"{requirement} (locked: {pinned[0] if pinned else 'missing'})")
    assert stale == [], f"{lock_name} is out of date with pyproject.toml; run `make lock`: {stale}"


def test_the_runtime_lock_is_the_dev_lock_without_the_dev_tools() -> None:
    differing = {
        name: (version, DEV.get(name, ("missing",))[0])
        for name, (version, _) in RUNTIME.items()
        if DEV.get(name, ("",))[0] != version
    }
    assert differing == {}, "make run would run other versions than make test tested"
    assert len(DEV) > len(RUNTIME)


def test_s3_storage_is_an_optional_extra_that_the_dev_set_includes() -> None:
    assert S3_ONLY.isdisjoint(RUNTIME)
    assert set(DEV) >= S3_ONLY
    assert "schemathesis" in DEV
    assert not [r for r in requirements(None) if canonicalize_name(r.name) in S3_ONLY]

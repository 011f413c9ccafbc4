"""S3 storage is an optional extra (issue 9, item 13): without boto3 (``pip install 'fixdesk[s3]'``),
``FIXDESK_STORAGE_BACKEND=s3`` is refused with a message that says what to install, both when the storage
is built and when a command starts (exit code 2, before anything is migrated or served)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fixdesk.config import ConfigurationError, Settings
from fixdesk.platform.storage import LocalStorage, build_storage
from tests.support.server import REPOSITORY

# Runs the real CLI in a Python where importing boto3 fails, as it does when the extra is not installed.
WITHOUT_BOTO3 = "import sys; sys.modules['boto3'] = None; from fixdesk.cli import main; main()"


def test_s3_storage_without_boto3_names_the_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)
    settings = Settings(env="test", data_dir=tmp_path, storage_backend="s3", s3_bucket="shop")

    with pytest.raises(ConfigurationError, match=r"pip install 'fixdesk\[s3\]'"):
        build_storage(settings)
    # Local storage needs nothing more.
    assert isinstance(build_storage(Settings(env="test", data_dir=tmp_path)), LocalStorage)


def test_a_command_refuses_to_start_on_s3_without_boto3(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXDESK_")}
    env.update(
        FIXDESK_DATA_DIR=str(tmp_path / "data"), FIXDESK_STORAGE_BACKEND="s3", FIXDESK_S3_BUCKET="shop"
    )

    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTO3, "migrate"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert "fixdesk[s3]" in " ".join(result.stderr.split())
    assert not (tmp_path / "data" / "fixdesk.db").exists(), "nothing was migrated"

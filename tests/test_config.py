"""Configuration: ``FIXDESK_*`` variables, the data directory, the generated secret and the production
checks that refuse to start an unsafe server. No database needed."""

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from fixdesk.app import create_app
from fixdesk.config import MINIMUM_SECRET_LENGTH, SECRET_FILE_NAME, ConfigurationError, Settings
from tests.support.child import run_python

SOURCE_DIR = Path(__file__).resolve().parents[1] / "src" / "fixdesk"
GOOD_SECRET = "a-configured-secret-that-is-long-enough-0123456789"
POSTGRES_URL = "postgresql+asyncpg://fixdesk@db.example.com/fixdesk"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No ``FIXDESK_*`` variable from the developer's shell, and a scratch working directory, so the
    defaults under test are the real defaults and nothing is written into the repository."""
    for name in list(os.environ):
        if name.upper().startswith("FIXDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_environment_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("FIXDESK_ENV", "test")
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(tmp_path / "shop-data"))
    monkeypatch.setenv("FIXDESK_DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("FIXDESK_PORT", "9001")
    monkeypatch.setenv("FIXDESK_SHOP_NAME", "Corner Phone Fix")
    monkeypatch.setenv("FIXDESK_ALLOW_SQLITE_IN_PRODUCTION", "true")
    monkeypatch.setenv("FIXDESK_CORS_ORIGINS", '["https://shop.example.com"]')
    monkeypatch.setenv("FIXDESK_SECRET_KEY", GOOD_SECRET)
    settings = Settings()
    assert settings.env == "test"
    assert settings.data_dir == tmp_path / "shop-data"
    assert settings.resolved_database_url == POSTGRES_URL
    assert not settings.is_sqlite
    assert settings.port == 9001
    assert settings.shop_name == "Corner Phone Fix"
    assert settings.allow_sqlite_in_production is True
    assert settings.cors_origins == ["https://shop.example.com"]
    assert settings.signing_key == GOOD_SECRET


def test_secret_is_not_shown_in_the_settings_repr(monkeypatch):
    monkeypatch.setenv("FIXDESK_SECRET_KEY", GOOD_SECRET)
    settings = Settings()
    assert GOOD_SECRET not in repr(settings)
    assert GOOD_SECRET not in str(settings.model_dump())


def test_invalid_environment_value_is_refused(monkeypatch):
    monkeypatch.setenv("FIXDESK_ENV", "staging")
    with pytest.raises(ValidationError):
        Settings()


def test_defaults(tmp_path):
    settings = Settings()
    assert settings.env == "development"
    assert settings.data_dir == Path(".fixdesk")
    assert (
        settings.resolved_database_url
        == f"sqlite+aiosqlite:///{(tmp_path / '.fixdesk' / 'fixdesk.db').resolve()}"
    )
    assert settings.is_sqlite
    assert settings.secret_key is None
    # First use creates the data directory and the key inside it.
    key = settings.signing_key
    assert (tmp_path / ".fixdesk" / SECRET_FILE_NAME).read_text().strip() == key


def test_default_database_is_inside_the_configured_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(tmp_path / "elsewhere"))
    expected = (tmp_path / "elsewhere" / "fixdesk.db").resolve()
    assert Settings().resolved_database_url == f"sqlite+aiosqlite:///{expected}"


def test_ensure_data_dir_creates_it_with_a_files_folder(tmp_path):
    settings = Settings(data_dir=tmp_path / "new" / "data")
    assert settings.ensure_data_dir() == tmp_path / "new" / "data"
    assert (tmp_path / "new" / "data" / "files").is_dir()


def test_secret_is_generated_once_with_mode_0600_and_reused(monkeypatch, tmp_path):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(data_dir))
    secret_file = data_dir / SECRET_FILE_NAME
    assert not secret_file.exists()

    first = Settings().signing_key
    assert len(first) >= MINIMUM_SECRET_LENGTH
    assert secret_file.read_text().strip() == first
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600

    second = Settings().signing_key
    assert second == first


def test_each_data_dir_gets_its_own_random_secret(tmp_path):
    # Two fresh installations must not share a key: a constant fallback would make them equal.
    one = Settings(data_dir=tmp_path / "one").signing_key
    two = Settings(data_dir=tmp_path / "two").signing_key
    assert one != two


def test_damaged_secret_file_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / SECRET_FILE_NAME).write_text("short\n")
    with pytest.raises(ConfigurationError, match="damaged"):
        _ = Settings(data_dir=tmp_path / "data").signing_key


def test_configured_secret_wins_and_no_file_is_written(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", secret_key=GOOD_SECRET)
    assert settings.signing_key == GOOD_SECRET
    assert not (tmp_path / "data" / SECRET_FILE_NAME).exists()


def test_short_configured_secret_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FIXDESK_SECRET_KEY", "x" * (MINIMUM_SECRET_LENGTH - 1))
    settings = Settings()
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        _ = settings.signing_key
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_secret_of_exactly_minimum_length_is_accepted(tmp_path):
    value = "k" * MINIMUM_SECRET_LENGTH
    assert Settings(data_dir=tmp_path / "data", secret_key=value).signing_key == value


def test_production_without_secret_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("FIXDESK_ENV", "production")
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FIXDESK_DATABASE_URL", POSTGRES_URL)
    settings = Settings()
    with pytest.raises(ConfigurationError, match="FIXDESK_SECRET_KEY"):
        settings.check_production_safety()
    with pytest.raises(ConfigurationError, match="FIXDESK_SECRET_KEY"):
        _ = settings.signing_key
    with pytest.raises(ConfigurationError, match="FIXDESK_SECRET_KEY"):
        create_app(settings)
    # Generating a key would hide the mistake until the next host gets a different one.
    assert not (tmp_path / "data" / SECRET_FILE_NAME).exists()


def test_production_with_sqlite_needs_an_explicit_opt_in(monkeypatch, tmp_path):
    monkeypatch.setenv("FIXDESK_ENV", "production")
    monkeypatch.setenv("FIXDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FIXDESK_SECRET_KEY", GOOD_SECRET)
    with pytest.raises(ConfigurationError, match="FIXDESK_ALLOW_SQLITE_IN_PRODUCTION"):
        Settings().check_production_safety()
    with pytest.raises(ConfigurationError, match="SQLite"):
        create_app(Settings())

    monkeypatch.setenv("FIXDESK_ALLOW_SQLITE_IN_PRODUCTION", "true")
    settings = Settings()
    settings.check_production_safety()
    assert settings.signing_key == GOOD_SECRET


def test_production_with_postgresql_and_secret_is_accepted(monkeypatch):
    monkeypatch.setenv("FIXDESK_ENV", "production")
    monkeypatch.setenv("FIXDESK_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FIXDESK_DATABASE_URL", POSTGRES_URL)
    settings = Settings()
    settings.check_production_safety()
    assert settings.signing_key == GOOD_SECRET


def run_cli(tmp_path: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """Run ``python -m fixdesk`` in ``tmp_path`` with only the given ``FIXDESK_*`` variables set."""
    return run_python("-m", "fixdesk", *arguments, cwd=tmp_path, **environment)


def one_line(text: str) -> str:
    """The text with line wrapping (the terminal width) undone."""
    return " ".join(text.split())


def test_cli_refuses_production_without_secret(tmp_path):
    data_dir = tmp_path / "data"
    result = run_cli(tmp_path, "migrate", FIXDESK_ENV="production", FIXDESK_DATA_DIR=str(data_dir))
    assert result.returncode == 2, result.stderr
    message = one_line(result.stderr)
    assert "Configuration error" in message
    assert "FIXDESK_SECRET_KEY" in message
    assert "Refusing to start" in message
    assert "Traceback" not in result.stderr
    assert not (data_dir / SECRET_FILE_NAME).exists()
    assert not (data_dir / "fixdesk.db").exists()


def test_cli_refuses_production_on_sqlite_without_opt_in(tmp_path):
    data_dir = tmp_path / "data"
    result = run_cli(
        tmp_path,
        "migrate",
        FIXDESK_ENV="production",
        FIXDESK_DATA_DIR=str(data_dir),
        FIXDESK_SECRET_KEY=GOOD_SECRET,
    )
    assert result.returncode == 2, result.stderr
    message = one_line(result.stderr)
    assert "FIXDESK_ALLOW_SQLITE_IN_PRODUCTION" in message
    assert "Refusing to start" in message
    assert not (data_dir / "fixdesk.db").exists()


def test_cli_first_start_generates_the_secret(tmp_path):
    data_dir = tmp_path / "data"
    result = run_cli(tmp_path, "migrate", FIXDESK_DATA_DIR=str(data_dir))
    assert result.returncode == 0, result.stderr
    secret_file = data_dir / SECRET_FILE_NAME
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= MINIMUM_SECRET_LENGTH
    assert (data_dir / "fixdesk.db").exists()


# A literal assigned to something named like a secret: ``secret_key = "..."``, ``signing_key: str = "..."``,
# ``def f(jwt_secret="...")``.
SECRET_DEFAULT = re.compile(
    r"""(?ix)\b(secret|secret_key|signing_key|jwt_secret|jwt_key)\b\s*(:[^=\n]*)?=\s*[rbf]?["']"""
)
# An environment lookup of a secret with a literal fallback: ``os.environ.get("FIXDESK_SECRET_KEY", "...")``.
SECRET_ENV_FALLBACK = re.compile(r"""(?i)(getenv|\.get)\(\s*["'][^"']*secret[^"']*["']\s*,\s*[rbf]?["']""")
PLACEHOLDER_SECRETS = re.compile(
    r"(?i)change[-_ ]?(me|this|in[-_ ]production)|fallback[-_]secret|insecure[-_ ]?(key|secret)|"
    r"dev[-_]secret|default[-_]secret|super[-_]?secret"
)


def test_no_hard_coded_fallback_secret_in_the_source():
    assert Settings.model_fields["secret_key"].default is None
    offenders = []
    sources = sorted(SOURCE_DIR.rglob("*.py"))
    assert len(sources) > 10
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if (
                SECRET_DEFAULT.search(line)
                or SECRET_ENV_FALLBACK.search(line)
                or PLACEHOLDER_SECRETS.search(line)
            ):
                offenders.append(f"{path.relative_to(SOURCE_DIR)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    "line",
    [
        'secret_key: str = "dev-key-please-change"',
        "    signing_key = 'abc'",
        'key = os.environ.get("FIXDESK_SECRET_KEY", "fallback")',
        'SECRET = "change-in-production"',
    ],
)
def test_secret_scan_catches_typical_fallbacks(line):
    # Guards the scanner above: a pattern that matches nothing would make that test pass for ever.
    assert SECRET_DEFAULT.search(line) or SECRET_ENV_FALLBACK.search(line) or PLACEHOLDER_SECRETS.search(line)

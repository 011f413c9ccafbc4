"""The README keeps up with the code it documents."""

from __future__ import annotations

from pathlib import Path

from fixdesk.bootstrap import load_domains
from fixdesk.config import Settings
from fixdesk.platform.events import CATALOG

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


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

"""Repair numbers take the year of the shop's time zone, not UTC's (issue 9, item 9): a repair taken in at
20:00 on 31 December in New York is numbered in that year, one taken in at 00:30 on 1 January in Auckland
in the new one. Every instant is explicit, so the tests do not depend on the day they run."""

from __future__ import annotations

from datetime import datetime

import pytest

from fixdesk.db import transaction
from fixdesk.identity.permissions import role_permissions
from fixdesk.platform.numbering import local_year
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import service
from fixdesk.repairs.schemas import RepairCreate
from tests.conftest import make_settings
from tests.factories import make_customer, make_user, repair_body


def instant(text: str) -> datetime:
    """An aware instant from ISO 8601 with its offset, e.g. ``2026-01-01T01:00:00Z``."""
    return datetime.fromisoformat(text)


async def numbers_taken_at(app, sessionmaker, settings, *moments: str) -> list[str]:
    """Take in one repair at each instant (in order, each in its own transaction) and return their
    numbers."""
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    principal = Principal(id=agent.id, type="user", role="agent", permissions=role_permissions("agent"))
    taken = []
    for moment in moments:
        async with transaction(sessionmaker) as session:
            repair = await service.create_repair(
                session,
                principal,
                RepairCreate(**repair_body(customer.id)),
                settings=settings,
                now=instant(moment),
            )
            taken.append(repair.repair_number)
    return taken


@pytest.mark.parametrize(
    ("zone", "moments", "expected"),
    [
        (
            # EST is UTC−5: 01:00Z on 1 January is 20:00 on 31 December, 04:59:59Z its last second,
            # 05:00Z midnight of the new year.
            "America/New_York",
            ["2026-01-01T01:00:00Z", "2026-01-01T04:59:59Z", "2026-01-01T05:00:00Z", "2026-01-01T09:00:00Z"],
            ["R-2025-000001", "R-2025-000002", "R-2026-000001", "R-2026-000002"],
        ),
        (
            # NZDT is UTC+13: 11:00Z on 31 December is already 00:00 on 1 January in Auckland.
            "Pacific/Auckland",
            ["2025-12-31T10:59:59Z", "2025-12-31T11:00:00Z", "2025-12-31T11:30:00Z"],
            ["R-2025-000001", "R-2026-000001", "R-2026-000002"],
        ),
        (
            # Without a zone configured, the shop's calendar is UTC's.
            "UTC",
            ["2025-12-31T23:59:59Z", "2026-01-01T01:00:00Z"],
            ["R-2025-000001", "R-2026-000001"],
        ),
    ],
)
async def test_repair_numbers_take_the_year_of_the_shops_time_zone(
    app, sessionmaker, database_url, tmp_path, zone, moments, expected
):
    settings = make_settings(database_url, tmp_path, shop_timezone=zone)

    assert await numbers_taken_at(app, sessionmaker, settings, *moments) == expected


def test_local_year_reads_the_instant_in_the_zone():
    new_years_eve_evening = instant("2025-12-31T20:00:00-05:00")

    assert local_year(new_years_eve_evening, "America/New_York") == 2025
    assert local_year(new_years_eve_evening, "UTC") == 2026
    assert local_year(instant("2025-12-31T11:00:00Z"), "Pacific/Auckland") == 2026

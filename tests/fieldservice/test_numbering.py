"""Work order numbers carry the year of the shop's calendar (``FIXDESK_SHOP_TIMEZONE``), not UTC's."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_work_order
from tests.support.clock import clock_at

# 12:30 UTC on 31 December 2026 is already 01:30 on 1 January 2027 in Auckland.
NEW_YEAR_IN_AUCKLAND = datetime.fromisoformat("2026-12-31T12:30:00+00:00")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, shop_timezone="Pacific/Auckland")


async def test_the_number_takes_the_shops_year_and_counts_up(app, client, sessionmaker):
    with clock_at(NEW_YEAR_IN_AUCKLAND):
        agent = await make_user(app, sessionmaker, "agent")
        customer = await make_customer(app, sessionmaker)
        first = await make_work_order(client, agent, customer.id)
        second = await make_work_order(client, agent, customer.id)
    assert (first["workOrderNumber"], second["workOrderNumber"]) == ("WO-2027-000001", "WO-2027-000002")

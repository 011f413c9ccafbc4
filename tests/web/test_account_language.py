"""Signed-in pages speak the account's language (issue 10, item 5: "following the user's locale"): a staff
user's ``locale``, a customer's ``locale`` or else the ``language`` their messages are written in, before
the browser's ``Accept-Language``; the sign-in pages, before anyone is known, follow the browser."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fixdesk.customers.models import Customer
from fixdesk.identity.models import User
from tests.factories import make_customer, make_user
from tests.web.conftest import PASSWORD, Browser

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

ENGLISH_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}
PORTUGUESE_BROWSER = {"Accept-Language": "pt-PT,pt;q=0.9"}


async def test_staff_pages_follow_the_users_locale_then_the_browser(
    app, sessionmaker, browser_client: Browser
):
    member = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    await browser_client.sign_in_staff(member.email)

    before = await browser_client.http.get("/app", headers=PORTUGUESE_BROWSER)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.id == member.id).values(locale="pt-PT"))
    after = await browser_client.http.get("/app", headers=ENGLISH_BROWSER)

    assert before.headers["content-language"] == "pt"  # no preference: the browser's
    assert after.status_code == 200
    assert after.headers["content-language"] == "pt"
    assert "Quadro de reparações" in after.text


async def test_the_portal_speaks_the_language_the_customer_chose(app, sessionmaker, browser_client: Browser):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD, language="pt")
    signed_out = await browser_client.http.get("/portal/login", headers=ENGLISH_BROWSER)
    await browser_client.sign_in_customer(customer.email)

    start = await browser_client.http.get("/portal", headers=ENGLISH_BROWSER)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(Customer).where(Customer.id == customer.id).values(language="en"))
    changed = await browser_client.http.get("/portal", headers=PORTUGUESE_BROWSER)

    assert signed_out.headers["content-language"] == "en"
    assert start.headers["content-language"] == "pt"
    assert "As suas reparações" in start.text
    assert changed.headers["content-language"] == "en"

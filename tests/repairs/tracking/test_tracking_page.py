"""The public tracking page (issue 5, item 8): ``GET /track/{token}``, the link customers get, is a small
HTML page in their language, escaped, private to the link and free of personal data."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from fixdesk.repairs.models import new_tracking_token
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, stored_repair, walk
from tests.repairs.tracking.conftest import SHOP, SHOP_TIMEZONE, token_of


async def page(client, token: str, **headers: str):
    return await client.get(f"/track/{token}", headers=headers)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no tags or style sheet, entities decoded, whitespace collapsed."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    html = re.sub(r"</?(strong|a)\b[^>]*>", "", html)  # inline: no word break
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_the_page_shows_the_repair_in_english(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="Ana", last_name="Zwierzchowska")
    repair = await make_repair(client, staff, customer.id, estimatedCompletion="2026-11-30")
    await walk(client, staff, repair["id"], "diagnosing", "quoted", "approved", "repairing")

    response = await page(client, token_of(repair))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    text = visible_text(html)
    assert f"Repair {repair['repairNumber']}" in text
    assert "Hi Ana," in text
    assert "Apple iPhone 13" in text
    assert "In repair" in text
    assert "We expect it to be ready by November 30, 2026." in text
    assert re.search(r"Received .*Diagnosing .*Quote ready .*Quote approved .*In repair", text)
    assert SHOP["shop_name"] in text
    assert SHOP["shop_phone"] in text
    assert 'href="tel:+15125550177"' in html
    assert f'href="mailto:{SHOP["shop_email"]}"' in html
    # The page leads to the customer portal, where the customer signs in to approve quotes.
    assert (
        '<a href="/portal/login">Approve quotes and follow all your repairs in the customer portal</a>'
        in html
    )


async def test_the_page_is_private_to_its_link(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager", first_name="Tereza", last_name="Quintanilha")
    customer = await make_customer(
        app, sessionmaker, first_name="Ana", last_name="Zwierzchowska", phone="+1 415 555 0123"
    )
    repair = await make_repair(
        client, staff, customer.id, imei="490154203237518", serialNumber="F2LXK0SECRET9", totalCost="187.45"
    )
    response = await client.put(
        f"/api/v1/repairs/{repair['id']}/status",
        json={"status": "diagnosing", "notes": "Internal: liquid damage", "notifyCustomer": False},
        headers=staff.headers,
    )
    assert response.status_code == 200

    response = await page(client, token_of(repair))

    assert response.status_code == 200
    for secret in (
        "Zwierzchowska",
        customer.email,
        "4155550123",
        "555 0123",
        "490154203237518",
        "F2LXK0SECRET9",
        "Cracked screen",  # the issue description
        "liquid damage",
        "Tereza",
        "Quintanilha",
        "187.45",
    ):
        assert secret not in response.text, f"{secret!r} leaked into the tracking page"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # so no script may run, inline or not
    assert '<meta name="robots" content="noindex, nofollow">' in response.text
    assert '<meta name="referrer" content="no-referrer">' in response.text


async def test_text_from_the_shop_and_the_customer_is_escaped(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="<b>Ana</b>")
    repair = await make_repair(
        client, staff, customer.id, deviceBrand="Acme & Sons", deviceModel='<script>alert("x")</script>'
    )

    html = (await page(client, token_of(repair))).text

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Hi &lt;b&gt;Ana&lt;/b&gt;," in html
    assert "<b>" not in html
    assert "Acme &amp; Sons" in html
    assert "Reis &amp; Filhos Repairs" in html  # the shop's name too


async def test_a_portuguese_customer_gets_the_page_in_portuguese(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="João", language="pt")
    repair = await make_repair(client, staff, customer.id, deviceBrand="Samsung", deviceModel="Galaxy S22")
    await walk(client, staff, repair["id"], *TO_COMPLETED, "delivered")

    html = (await page(client, token_of(repair))).text

    assert '<html lang="pt">' in html
    text = visible_text(html)
    assert "Olá João," in text
    assert f"Reparação {repair['repairNumber']}" in text
    assert "Samsung Galaxy S22" in text
    assert "Entregue em" in text
    assert re.search(r"Recebido .*Em diagnóstico .*Pronto para levantamento .*Entregue", text)
    assert "Hi " not in text
    assert not re.search(r"\bProgress\b", text)


async def test_times_are_written_in_the_shops_time_zone(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], *TO_COMPLETED)
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None

    text = visible_text((await page(client, token_of(repair))).text)

    completed: datetime = stored.repair.actual_completion.astimezone(ZoneInfo(SHOP_TIMEZONE))
    local = f"{completed:%B} {completed.day}, {completed.year}, {completed:%H:%M}"
    assert f"Ready for pickup since {local}." in text
    received = stored.history[0].created_at.astimezone(ZoneInfo(SHOP_TIMEZONE))
    assert f"Received {received:%B} {received.day}, {received.year}, {received:%H:%M}" in text


async def test_an_unknown_link_gets_a_404_page_that_reveals_nothing(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, language="pt")
    repair = await make_repair(client, staff, customer.id)
    token = token_of(repair)

    unknown = await page(client, new_tracking_token())
    swapped = await page(client, token.swapcase())
    shortened = await page(client, token[:-1])

    for response in (unknown, swapped, shortened):
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        assert "Link not found" in response.text
        assert repair["repairNumber"] not in response.text
    assert unknown.text == swapped.text == shortened.text
    assert SHOP["shop_phone"] in unknown.text  # somewhere to turn to


async def test_the_404_page_follows_the_browsers_language(client):
    portuguese = await page(client, new_tracking_token(), **{"Accept-Language": "pt-PT,pt;q=0.9,en;q=0.8"})
    french = await page(client, new_tracking_token(), **{"Accept-Language": "fr-FR,fr;q=0.9"})

    assert portuguese.status_code == french.status_code == 404
    assert '<html lang="pt">' in portuguese.text
    assert "Ligação não encontrada" in portuguese.text
    assert '<html lang="en">' in french.text
    assert "Link not found" in french.text

"""Tests of the customer rules in ``fixdesk.customers.service``: phone and time zone checks (pure), and
create/update/archive/list against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.customers.schemas import CustomerCreate, CustomerProfileUpdate, CustomerUpdate
from fixdesk.customers.service import (
    archive_customer,
    create_customer,
    get_customer,
    list_customers,
    normalize_phone,
    update_customer,
    validate_timezone,
)
from fixdesk.db import new_id, transaction
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams

# --- pure rules (no database) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(512) 555-0147", "US", "+15125550147"),
        ("512-555-0147", "US", "+15125550147"),
        ("+1 512 555 0147", "PT", "+15125550147"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("912 345 678", "PT", "+351912345678"),
        ("  +351 912 345 678 ", "US", "+351912345678"),
    ],
)
def test_normalize_phone_returns_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_normalize_phone_keeps_blank_as_none(raw):
    assert normalize_phone(raw, "US") is None


@pytest.mark.parametrize(
    ("raw", "region"),
    [("12345", "US"), ("call me", "US"), ("+1 555 000 0000", "US"), ("020 7946 0958", "US"), ("+", "US")],
)
def test_normalize_phone_rejects_invalid_numbers_naming_the_field(raw, region):
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone(raw, region, field="mobile")
    assert caught.value.errors == [{"field": "mobile", "message": caught.value.errors[0]["message"]}]
    assert raw in caught.value.errors[0]["message"]


@pytest.mark.parametrize("name", ["Europe/Lisbon", "America/Chicago", "UTC", None])
def test_validate_timezone_accepts_iana_names(name):
    assert validate_timezone(name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "europe/lisbon", "", "../../etc/passwd", "/etc/localtime"])
def test_validate_timezone_rejects_unknown_names(name):
    with pytest.raises(ValidationFailed) as caught:
        validate_timezone(name)
    assert caught.value.errors is not None
    assert caught.value.errors[0]["field"] == "timezone"


def test_create_schema_cleans_tags_and_rejects_bad_ones():
    cleaned = CustomerCreate(first_name="Ana", last_name="Silva", tags=["VIP", " b2b ", "vip", "long term"])
    assert cleaned.tags == ["b2b", "long term", "vip"]
    # A tag must fit its column (50) and be a plain word, so PostgreSQL never sees an over-long value.
    for bad in (["x" * 51], ["semi;colon"], ["<script>"], ["  "]):
        with pytest.raises(ValidationError):
            CustomerCreate(first_name="Ana", last_name="Silva", tags=bad)


def test_profile_update_schema_has_no_staff_only_fields():
    for field in ("email", "status", "notes", "tags", "portal_password", "company_name"):
        with pytest.raises(ValidationError):
            CustomerProfileUpdate(**{field: "x"})


# --- database -----------------------------------------------------------------------------------------
# Every test below takes the ``app`` fixture only for its teardown, which empties the tables.


async def test_create_stores_normalised_values(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        customer = await create_customer(
            session,
            CustomerCreate(
                first_name="Ana",
                last_name="Silva",
                email="Ana.Silva@Example.com",
                phone="(512) 555-0147",
                company_name="Silva Lda",
                country="pt",
                tags=["VIP"],
            ),
            default_region="US",
        )
    async with sessionmaker() as session:
        stored = await get_customer(session, customer.id)
    assert stored.email == "ana.silva@example.com"
    assert stored.phone == "+15125550147"
    assert stored.country == "PT"
    assert stored.tag_names == ["vip"]
    assert stored.status == "active"
    assert stored.created_at.tzinfo is not None
    assert stored.portal_password_hash is None
    # The search column holds the phone without "+" so digit searches match it.
    assert stored.search_text == "ana silva ana.silva@example.com 15125550147 silva lda"


async def test_create_reads_national_numbers_in_the_given_region(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        customer = await create_customer(
            session,
            CustomerCreate(first_name="Rui", last_name="Sousa", phone="912 345 678"),
            default_region="PT",
        )
    assert customer.phone == "+351912345678"


async def test_create_rejects_a_taken_email_in_any_case(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        await create_customer(
            session,
            CustomerCreate(first_name="A", last_name="B", email="taken@example.com"),
            default_region="US",
        )
    with pytest.raises(Conflict):
        async with transaction(sessionmaker) as session:
            await create_customer(
                session,
                CustomerCreate(first_name="C", last_name="D", email="TAKEN@example.COM"),
                default_region="US",
            )
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Customer))).scalar_one() == 1


async def test_customers_without_email_do_not_conflict(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        for name in ("One", "Two"):
            await create_customer(
                session, CustomerCreate(first_name=name, last_name="Walk-in"), default_region="US"
            )
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Customer))).scalar_one() == 2


async def test_update_replaces_tags_keeping_shared_ones(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        customer = await create_customer(
            session,
            CustomerCreate(first_name="Ana", last_name="Silva", tags=["vip", "b2b"]),
            default_region="US",
        )
    async with transaction(sessionmaker) as session:
        updated = await update_customer(
            session, customer.id, CustomerUpdate(tags=["VIP", "warranty"]), default_region="US"
        )
        assert updated.tag_names == ["vip", "warranty"]
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(CustomerTag.tag)
                .where(CustomerTag.customer_id == customer.id)
                .order_by(CustomerTag.tag)
            )
        ).scalars()
        assert list(rows) == ["vip", "warranty"]


async def test_update_keeps_search_text_in_step(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        customer = await create_customer(
            session, CustomerCreate(first_name="Ana", last_name="Silva"), default_region="US"
        )
    async with transaction(sessionmaker) as session:
        await update_customer(
            session,
            customer.id,
            CustomerUpdate(last_name="Souza", email="ana@souza.example", phone="+44 20 7946 0958"),
            default_region="US",
        )
    async with sessionmaker() as session:
        page, total = await list_customers(session, PageParams(), search="SOUZA.EXAMPLE")
        assert [c.id for c in page] == [customer.id]
        assert total == 1
        page, _ = await list_customers(session, PageParams(), search="silva")
        assert page == []
        page, _ = await list_customers(session, PageParams(), search="7946")
        assert [c.id for c in page] == [customer.id]


async def test_update_of_unknown_customer_is_not_found(app, sessionmaker):
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await update_customer(session, new_id(), CustomerUpdate(city="Porto"), default_region="US")


async def test_update_with_null_required_name_is_rejected(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        customer = await create_customer(
            session, CustomerCreate(first_name="Ana", last_name="Silva"), default_region="US"
        )
    # The schema refuses the null itself (NotNull), so no service call can receive it.
    with pytest.raises(ValidationError, match="cannot be null"):
        CustomerUpdate(last_name=None)
    async with sessionmaker() as session:
        unchanged = await update_customer(session, customer.id, CustomerUpdate(), default_region="US")
    assert unchanged.last_name == "Silva"


async def test_archive_hides_from_default_list_and_is_idempotent(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        kept = await create_customer(
            session, CustomerCreate(first_name="Kept", last_name="A"), default_region="US"
        )
        gone = await create_customer(
            session, CustomerCreate(first_name="Gone", last_name="B"), default_region="US"
        )
    async with transaction(sessionmaker) as session:
        first = await archive_customer(session, gone.id)
        archived_at = first.archived_at
    assert archived_at is not None
    async with transaction(sessionmaker) as session:
        again = await archive_customer(session, gone.id)
        assert again.archived_at == archived_at
    async with sessionmaker() as session:
        default, total = await list_customers(session, PageParams())
        assert [c.id for c in default] == [kept.id]
        assert total == 1
        archived, _ = await list_customers(session, PageParams(), status="archived")
        assert [c.id for c in archived] == [gone.id]
        assert (await get_customer(session, gone.id)).status == "archived"
        with pytest.raises(NotFound):
            await get_customer(session, gone.id, include_archived=False)


async def test_list_counts_all_matches_and_pages_through_them(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        for index in range(7):
            await create_customer(
                session,
                CustomerCreate(
                    first_name=f"Name{index}", last_name="Same", tags=["even" if index % 2 == 0 else "odd"]
                ),
                default_region="US",
            )
    async with sessionmaker() as session:
        page, total = await list_customers(
            session, PageParams(page=2, page_size=3), sort_by="name", sort_order="asc"
        )
        assert total == 7
        assert [c.first_name for c in page] == ["Name3", "Name4", "Name5"]
        # Tags are loaded with the page (relationships raise on lazy loads).
        assert [c.tag_names for c in page] == [["odd"], ["even"], ["odd"]]
        evens, even_total = await list_customers(session, PageParams(), tag=" EVEN ")
        assert even_total == 4
        assert {c.first_name for c in evens} == {"Name0", "Name2", "Name4", "Name6"}

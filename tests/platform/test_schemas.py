"""JSON conventions: camelCase out, camelCase or snake_case in, unknown input fields refused, and money
that is exact (Decimal in Python, integer cents in the database, a number on the wire)."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from fixdesk.db import Money
from fixdesk.platform.schemas import CamelModel, InputModel, MoneyIn, MoneyOut, NotNull
from fixdesk.repairs.models import Repair
from tests.factories import make_customer, make_repair, make_user
from tests.platform.problems import assert_problem


class Invoice(CamelModel):
    """A response model with multi-word fields."""

    repair_number: str
    total_cost: MoneyOut


class InvoiceInput(InputModel):
    """A request model with multi-word fields."""

    repair_number: str
    total_cost: MoneyIn


def test_output_is_camel_case():
    invoice = Invoice(repair_number="R-2026-000001", total_cost=Decimal("20.00"))
    assert invoice.model_dump(mode="json") == {"repairNumber": "R-2026-000001", "totalCost": 20.0}
    assert json.loads(invoice.model_dump_json()) == {"repairNumber": "R-2026-000001", "totalCost": 20.0}


@pytest.mark.parametrize(
    "payload",
    [
        {"repairNumber": "R-2026-000001", "totalCost": "12.50"},
        {"repair_number": "R-2026-000001", "total_cost": "12.50"},
        {"repairNumber": "R-2026-000001", "total_cost": 12.5},
    ],
    ids=["camel", "snake", "mixed"],
)
def test_input_accepts_camel_and_snake_case(payload):
    invoice = InvoiceInput.model_validate(payload)
    assert invoice.repair_number == "R-2026-000001"
    assert invoice.total_cost == Decimal("12.50")


def test_input_rejects_unknown_fields():
    with pytest.raises(ValidationError) as caught:
        InvoiceInput.model_validate({"repairNumber": "R-1", "totalCost": "1.00", "role": "admin"})
    assert [error["loc"] for error in caught.value.errors()] == [("role",)]


def test_input_strips_whitespace():
    assert InvoiceInput.model_validate({"repairNumber": "  R-1 ", "totalCost": 1}).repair_number == "R-1"


@pytest.mark.parametrize("amount", ["10.005", "-1.00"], ids=["three-decimals", "negative"])
def test_money_input_rejects_fractions_of_cents_and_negatives(amount):
    with pytest.raises(ValidationError):
        InvoiceInput.model_validate({"repairNumber": "R-1", "totalCost": amount})


@pytest.mark.parametrize(
    ("amount", "number"),
    [("20.00", "20.0"), ("19.99", "19.99"), ("0.10", "0.1"), ("123456789.01", "123456789.01")],
)
def test_money_out_is_a_json_number(amount, number):
    encoded = Invoice(repair_number="R-1", total_cost=Decimal(amount)).model_dump_json()
    assert f'"totalCost":{number}' in encoded
    assert Decimal(str(json.loads(encoded)["totalCost"])) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "cents", "read_back"),
    [
        (Decimal("10.005"), 1001, Decimal("10.01")),
        (Decimal("10.004"), 1000, Decimal("10.00")),
        (Decimal("2.675"), 268, Decimal("2.68")),  # a float would give 2.67
        (Decimal("-0.005"), -1, Decimal("-0.01")),  # half-up rounds away from zero
        (Decimal("19.99"), 1999, Decimal("19.99")),
        (Decimal("0"), 0, Decimal("0.00")),
        (20, 2000, Decimal("20.00")),
    ],
)
@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_money_column_rounds_half_up_to_cents(amount, cents, read_back, dialect):
    money = Money()
    stored = money.process_bind_param(amount, dialect)
    assert stored == cents
    assert isinstance(stored, int)
    value = money.process_result_value(stored, dialect)
    assert isinstance(value, Decimal)
    assert value == read_back
    assert value.as_tuple().exponent == -2  # always two places, so "20.00" never becomes "2E+1"


def test_money_column_keeps_null():
    assert Money().process_bind_param(None, sqlite.dialect()) is None
    assert Money().process_result_value(None, sqlite.dialect()) is None


async def test_snake_case_body_gets_camel_case_response(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        "/api/v1/customers",
        json={"first_name": "Ana", "last_name": "Silva", "postal_code": "1000-001"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["firstName"], body["lastName"], body["postalCode"]) == ("Ana", "Silva", "1000-001")
    assert not [key for key in body if "_" in key], body


async def test_unknown_body_field_is_refused(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        "/api/v1/customers",
        json={"firstName": "Ana", "lastName": "Silva", "hasPortalAccess": True},
        headers=admin.headers,
    )
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == ["hasPortalAccess"]


async def test_money_round_trip_through_the_database(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, deposit="19.99")
    assert repair["deposit"] == 19.99
    assert isinstance(repair["deposit"], float)  # a JSON number, not a string

    async with sessionmaker() as session:
        deposit = await session.scalar(
            select(Repair.deposit).where(Repair.repair_number == repair["repairNumber"])
        )
        stored = await session.scalar(
            text("SELECT deposit FROM repairs WHERE repair_number = :number"),
            {"number": repair["repairNumber"]},
        )
    assert isinstance(deposit, Decimal)
    assert deposit == Decimal("19.99")
    assert stored == 1999  # integer cents in the column

    async with sessionmaker() as session:
        await session.execute(
            update(Repair)
            .where(Repair.repair_number == repair["repairNumber"])
            .values(deposit=Decimal("10.005"))
        )
        await session.commit()
    async with sessionmaker() as session:
        deposit = await session.scalar(
            select(Repair.deposit).where(Repair.repair_number == repair["repairNumber"])
        )
        stored = await session.scalar(
            text("SELECT deposit FROM repairs WHERE repair_number = :number"),
            {"number": repair["repairNumber"]},
        )
    assert (deposit, stored) == (Decimal("10.01"), 1001)

    response = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["deposit"] == 10.01


async def test_money_with_fraction_of_cents_is_refused_by_the_api(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    response = await client.post(
        "/api/v1/repairs",
        json={
            "customerId": str(customer.id),
            "deviceType": "phone",
            "deviceBrand": "Apple",
            "deviceModel": "iPhone 13",
            "issueDescription": "Cracked screen",
            "deposit": "19.995",
        },
        headers=admin.headers,
    )
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == ["deposit"]


# --- strict types and fields that refuse null ---------------------------------------------------------


class Visit(InputModel):
    """A request model with the kinds of fields lax Pydantic would coerce."""

    confirmed: bool = False
    day: date | None = None
    starts_at: datetime | None = None
    label: NotNull[str] = None
    note: str | None = None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("confirmed", 1, "must be true or false"),
        ("confirmed", 0, "must be true or false"),
        ("confirmed", "true", "must be true or false"),
        ("confirmed", "yes", "must be true or false"),
        ("day", 1_700_000_000, "must be a date (YYYY-MM-DD)"),
        ("day", "1700000000", "must be a date (YYYY-MM-DD)"),
        ("startsAt", 1.5, "must be a date-time (ISO 8601)"),
        ("startsAt", "0.5", "must be a date-time (ISO 8601)"),
        ("label", None, "cannot be null; leave the field out to keep its value"),
    ],
)
def test_input_refuses_what_lax_validation_would_coerce(field, value, message):
    with pytest.raises(ValidationError) as caught:
        Visit.model_validate({field: value})
    assert [(error["loc"], error["msg"]) for error in caught.value.errors()] == [
        ((field,), f"Value error, {message}")
    ]


def test_input_keeps_proper_values_and_nullable_nulls():
    visit = Visit.model_validate(
        {"confirmed": True, "day": "2026-03-01", "startsAt": "2026-03-01T09:30:00Z", "note": None}
    )
    assert (visit.confirmed, visit.day, visit.starts_at.hour, visit.note) == (True, date(2026, 3, 1), 9, None)
    # Left out, a NotNull field is not set, so a PATCH leaves the column alone.
    assert visit.model_dump(exclude_unset=True, by_alias=False) == {
        "confirmed": True,
        "day": date(2026, 3, 1),
        "starts_at": visit.starts_at,
        "note": None,
    }


def test_not_null_fields_are_published_without_null():
    properties = Visit.model_json_schema()["properties"]
    assert properties["label"] == {"title": "Label", "type": "string"}
    assert {"type": "null"} in properties["note"]["anyOf"]


def test_decimal_text_and_emails_are_published_as_accepted():
    properties = InvoiceInput.model_json_schema()["properties"]
    number, text = properties["totalCost"]["anyOf"]
    assert number == {"type": "number", "minimum": 0.0, "multipleOf": 0.01, "exclusiveMaximum": 10**12}
    assert text == {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$"}


async def test_booleans_dates_and_not_null_fields_over_http(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    brand = await client.post("/api/v1/catalog/brands", json={"name": "Fairphone"}, headers=admin.headers)
    assert brand.status_code == 201, brand.text
    brand_url = f"/api/v1/catalog/brands/{brand.json()['id']}"

    refused = [
        await client.patch(brand_url, json={"isActive": 0}, headers=admin.headers),
        await client.patch(brand_url, json={"name": None}, headers=admin.headers),
        await client.post(
            "/api/v1/repairs",
            json={
                "customerId": str(customer.id),
                "deviceType": "phone",
                "deviceBrand": "Apple",
                "deviceModel": "iPhone 13",
                "issueDescription": "Cracked screen",
                "estimatedCompletion": 1_700_000_000,
            },
            headers=admin.headers,
        ),
        await client.get("/api/v1/repairs", params={"dateTo": "0.5"}, headers=admin.headers),
    ]

    fields = [assert_problem(response, 400, "VALIDATION_ERROR")["errors"][0]["field"] for response in refused]
    assert fields == ["isActive", "name", "estimatedCompletion", "dateTo"]
    unchanged = await client.get(brand_url, headers=admin.headers)
    assert (unchanged.json()["name"], unchanged.json()["isActive"]) == ("Fairphone", True)

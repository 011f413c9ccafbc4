"""Page/pageSize pagination: ``{items, total, page, pageSize, totalPages}`` on every list."""

import pytest

from fixdesk.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ListTotal, Page, PageParams
from tests.factories import make_customer, make_user
from tests.platform.problems import assert_problem


@pytest.mark.parametrize(
    ("total", "page_size", "total_pages"),
    [(0, 20, 0), (1, 20, 1), (20, 20, 1), (21, 20, 2), (40, 20, 2), (41, 20, 3), (100, 100, 1), (7, 3, 3)],
)
def test_total_pages(total, page_size, total_pages):
    page = Page[int].build([], total, PageParams(page=1, page_size=page_size))
    assert page.total_pages == total_pages


def test_page_serialises_with_camel_case_keys():
    page = Page[int].build([1, 2], 41, PageParams(page=3, page_size=20))
    assert page.model_dump(mode="json") == {
        "items": [1, 2],
        "total": 41,
        "totalIsEstimate": False,
        "page": 3,
        "pageSize": 20,
        "totalPages": 3,
    }


def test_offset_follows_page_and_size():
    assert PageParams(page=1, page_size=20).offset == 0
    assert PageParams(page=3, page_size=20).offset == 40


@pytest.fixture
async def seven_customers(app, sessionmaker):
    """An admin and seven customers; returns the admin."""
    admin = await make_user(app, sessionmaker, "admin")
    for number in range(7):
        await make_customer(app, sessionmaker, first_name=f"Page{number}")
    return admin


async def test_pages_split_the_list_without_overlap(client, seven_customers):
    admin = seven_customers
    seen: list[str] = []
    for page_number, expected_count in [(1, 3), (2, 3), (3, 1)]:
        response = await client.get(
            "/api/v1/customers", params={"page": page_number, "pageSize": 3}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "total", "totalIsEstimate", "page", "pageSize", "totalPages"}
        assert body["totalIsEstimate"] is False
        assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (7, page_number, 3, 3)
        assert len(body["items"]) == expected_count
        seen.extend(item["id"] for item in body["items"])
    assert len(set(seen)) == 7


async def test_page_beyond_the_end_is_empty_with_the_right_total(client, seven_customers):
    response = await client.get(
        "/api/v1/customers", params={"page": 4, "pageSize": 3}, headers=seven_customers.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == []
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (7, 4, 3, 3)


async def test_default_page_size(client, seven_customers):
    response = await client.get("/api/v1/customers", headers=seven_customers.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["totalPages"]) == (1, DEFAULT_PAGE_SIZE, 1)
    assert len(body["items"]) == 7


async def test_snake_case_page_size_is_accepted(client, seven_customers):
    response = await client.get(
        "/api/v1/customers", params={"page": 2, "page_size": 5}, headers=seven_customers.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["page"], body["pageSize"], body["totalPages"]) == (2, 5, 2)
    assert len(body["items"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": MAX_PAGE_SIZE + 1}, "pageSize"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": MAX_PAGE_SIZE + 1}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
    ],
)
async def test_out_of_range_parameters_are_validation_errors(client, app, sessionmaker, params, field):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.get("/api/v1/customers", params=params, headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == [field]


async def test_largest_page_size_is_accepted(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.get(
        "/api/v1/customers", params={"pageSize": MAX_PAGE_SIZE}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["pageSize"] == MAX_PAGE_SIZE


def test_an_estimated_total_is_flagged_in_the_envelope():
    page = Page[int].build([1], ListTotal(12_345, is_estimate=True), PageParams(page=1, page_size=20))
    assert page.model_dump(mode="json", by_alias=True) == {
        "items": [1],
        "total": 12_345,
        "totalIsEstimate": True,
        "page": 1,
        "pageSize": 20,
        "totalPages": 618,
    }

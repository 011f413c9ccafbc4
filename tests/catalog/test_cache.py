"""Catalog reads are cached and every write invalidates the cache (issue 5, item 1): a second read runs no
catalog SQL, a write is seen by the next read, a reader never stores data from before a committed write
under the generation after it, and with Redis a write through one API process is seen at once by another
that had cached the old data."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from fixdesk.catalog import service
from fixdesk.catalog.models import Brand, Pricing
from fixdesk.catalog.schemas import BrandCreate
from fixdesk.db import make_sessionmaker, read_only, transaction
from fixdesk.platform.cache import cache_for
from fixdesk.platform.pagination import PageParams
from tests.catalog.helpers import API, brand, device, part_type, price, repair_type
from tests.conftest import make_settings
from tests.factories import make_user

CATALOG_TABLES = re.compile(r"\b(brands|device_models|repair_types|part_types|pricing|price_history)\b")


def catalog_statements(counter) -> list[str]:
    return [statement for statement in counter.statements if CATALOG_TABLES.search(statement)]


def client_of(application: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def names(client: httpx.AsyncClient, actor, path: str = "brands") -> list[str]:
    response = await client.get(f"{API}/{path}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_a_second_read_is_served_from_the_cache_without_catalog_sql(
    client, app, sessionmaker, statement_counter
):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin)
    oem = await part_type(client, admin)
    listed = await price(client, admin, iphone["id"], screen["id"], oem["id"], "120")

    for path in (
        "brands",
        f"brands/{apple['id']}",
        "device-models?search=iphone",
        f"device-models/{iphone['id']}",
        "repair-types",
        f"repair-types/{screen['id']}",
        "part-types?quality=original",
        f"part-types/{oem['id']}",
        "pricing?currentOnly=true",
        f"pricing/{listed['id']}",
        f"pricing/estimate?deviceModelId={iphone['id']}&repairTypeId={screen['id']}&partQuality=original",
    ):
        statement_counter.reset()
        first = await client.get(f"{API}/{path}", headers=admin.headers)
        assert first.status_code == 200, (path, first.text)
        assert catalog_statements(statement_counter), path
        statement_counter.reset()
        second = await client.get(f"{API}/{path}", headers=admin.headers)
        assert second.json() == first.json(), path
        assert catalog_statements(statement_counter) == [], (path, statement_counter.statements)


async def test_cached_reads_through_the_service_run_no_sql_at_all(app, sessionmaker, statement_counter):
    cache = service.catalog_cache_for(app)
    async with transaction(sessionmaker) as session:
        await service.create_brand(session, BrandCreate(name="Apple"))
    params = PageParams(page=1, page_size=20)
    async with app.state.read_sessionmaker() as session:
        first = await service.read_brands(session, cache, service.BrandFilters(), params)
        statement_counter.reset()
        second = await service.read_brands(session, cache, service.BrandFilters(), params)
    assert statement_counter.count == 0
    assert second == first
    assert [item["name"] for item in second["items"]] == ["Apple"]


async def test_every_write_is_seen_by_the_next_read(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    assert await names(client, admin) == ["Apple"]
    await brand(client, admin, "Google")
    assert await names(client, admin) == ["Apple", "Google"]

    assert (await client.get(f"{API}/brands/{apple['id']}", headers=admin.headers)).json()["name"] == "Apple"
    await client.patch(f"{API}/brands/{apple['id']}", json={"name": "Apple Inc"}, headers=admin.headers)
    assert (await client.get(f"{API}/brands/{apple['id']}", headers=admin.headers)).json()[
        "name"
    ] == "Apple Inc"
    await client.delete(f"{API}/brands/{apple['id']}", headers=admin.headers)
    assert (await client.get(f"{API}/brands/{apple['id']}", headers=admin.headers)).json()[
        "isActive"
    ] is False

    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin)
    oem = await part_type(client, admin)
    row = await price(client, admin, iphone["id"], screen["id"], oem["id"], "120")
    estimate_path = f"{API}/pricing/estimate?deviceModelId={iphone['id']}&repairTypeId={screen['id']}&partQuality=original"
    assert (await client.get(estimate_path, headers=admin.headers)).json()["price"] == 120.0
    # The device model embedded in prices follows a rename of its brand.
    assert (await client.get(f"{API}/pricing/{row['id']}", headers=admin.headers)).json()["deviceModel"][
        "brand"
    ]["name"] == "Apple Inc"
    await client.patch(f"{API}/pricing/{row['id']}", json={"price": "135"}, headers=admin.headers)
    assert (await client.get(f"{API}/pricing/{row['id']}", headers=admin.headers)).json()["price"] == 135.0
    assert (await client.get(estimate_path, headers=admin.headers)).json()["price"] == 135.0
    await client.patch(
        f"{API}/device-models/{iphone['id']}", json={"name": "iPhone 13 mini"}, headers=admin.headers
    )
    assert await names(client, admin, "device-models") == ["iPhone 13 mini"]
    await client.patch(f"{API}/repair-types/{screen['id']}", json={"name": "Display"}, headers=admin.headers)
    assert await names(client, admin, "repair-types") == ["Display"]
    await client.patch(
        f"{API}/part-types/{oem['id']}", json={"name": "Genuine display"}, headers=admin.headers
    )
    assert await names(client, admin, "part-types") == ["Genuine display"]


async def test_a_write_made_outside_a_request_invalidates_the_apps_cache(client, app, sessionmaker):
    # The CLI import, say: no request, so no app; every cache of the process is invalidated.
    admin = await make_user(app, sessionmaker, "admin")
    await brand(client, admin, "Apple")
    assert await names(client, admin) == ["Apple"]
    async with transaction(sessionmaker) as session:
        await service.create_brand(session, BrandCreate(name="Nokia"))
    assert await names(client, admin) == ["Apple", "Nokia"]


async def test_a_write_bypassing_the_service_is_not_seen_until_invalidated(client, app, sessionmaker):
    # Proves the reads really come from the cache, and that invalidate_catalog_cache (the import's hook)
    # is what makes a change visible.
    admin = await make_user(app, sessionmaker, "admin")
    created = await brand(client, admin, "Apple")
    assert await names(client, admin) == ["Apple"]
    async with transaction(sessionmaker) as session:
        await session.execute(update(Brand).where(Brand.id == uuid.UUID(created["id"])).values(name="Banana"))
    assert await names(client, admin) == ["Apple"]
    async with transaction(sessionmaker) as session:
        await session.execute(update(Brand).where(Brand.id == uuid.UUID(created["id"])).values(name="Cherry"))
        service.invalidate_catalog_cache(session)
    assert await names(client, admin) == ["Cherry"]


async def test_a_rolled_back_write_neither_invalidates_nor_leaves_its_data_cached(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await brand(client, admin, "Apple")
    cache = service.catalog_cache_for(app)
    generation = await cache.cache.generation(service.CACHE_NAMESPACE)
    params = PageParams(page=1, page_size=20)
    seen_inside: list[str] = []

    async def write_then_fail() -> None:
        async with transaction(sessionmaker) as session:
            await service.create_brand(session, BrandCreate(name="Ghost"))
            # The writing transaction reads its own change, uncached.
            own = await service.read_brands(session, cache, service.BrandFilters(), params)
            seen_inside.extend(item["name"] for item in own["items"])
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert seen_inside == ["Apple", "Ghost"]
    assert await cache.cache.generation(service.CACHE_NAMESPACE) == generation
    assert await names(client, admin) == ["Apple"]


async def test_the_generation_is_bumped_before_and_after_the_commit(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await brand(client, admin, "Apple")
    cache = cache_for(app)
    before = await cache.generation(service.CACHE_NAMESPACE)
    await brand(client, admin, "Google")
    assert await cache.generation(service.CACHE_NAMESPACE) == before + 2
    # A refused write (409) commits nothing and invalidates nothing.
    assert (
        await client.post(f"{API}/brands", json={"name": "apple"}, headers=admin.headers)
    ).status_code == 409
    assert await cache.generation(service.CACHE_NAMESPACE) == before + 2


@pytest.mark.commits  # two connections: the early reader's snapshot and the writing request's
async def test_a_reader_whose_snapshot_predates_a_commit_never_caches_the_old_data(client, app, sessionmaker):
    # A request's read transaction can begin (authentication) before another request commits a write;
    # on SQLite its snapshot then predates the write. Misses load in a fresh session that begins after
    # the generation is read, so what is stored under the new generation is the new data.
    admin = await make_user(app, sessionmaker, "admin")
    created = await brand(client, admin, "Apple")
    cache = service.catalog_cache_for(app)
    async with make_sessionmaker(read_only(app.state.engine))() as early_reader:
        assert (await early_reader.execute(select(Brand.name))).scalars().all() == ["Apple"]
        renamed = await client.patch(
            f"{API}/brands/{created['id']}", json={"name": "Apple Inc"}, headers=admin.headers
        )
        assert renamed.status_code == 200
        value = await service.read_brand(early_reader, cache, uuid.UUID(created["id"]))
    assert value["name"] == "Apple Inc"
    assert (await client.get(f"{API}/brands/{created['id']}", headers=admin.headers)).json()[
        "name"
    ] == "Apple Inc"


async def test_with_the_cache_off_every_read_goes_to_the_database(
    database, database_url, tmp_path, sessionmaker
):
    uncached = database.app(make_settings(database_url, tmp_path, catalog_cache_seconds=0))
    admin = await make_user(uncached, sessionmaker, "admin")
    async with client_of(uncached) as http:
        created = await brand(http, admin, "Apple")
        assert await names(http, admin) == ["Apple"]
        async with transaction(sessionmaker) as session:
            await session.execute(
                update(Brand).where(Brand.id == uuid.UUID(created["id"])).values(name="Banana")
            )
        assert await names(http, admin) == ["Banana"]


# --- several API processes -------------------------------------------------------------------------------------


def _two_apps(database, database_url, tmp_path, **overrides):
    namespace = f"catalog-test-{uuid.uuid4().hex[:10]}"
    apps = []
    for name in ("a", "b"):
        settings = make_settings(database_url, tmp_path / name, rate_limit_namespace=namespace, **overrides)
        apps.append(database.app(settings))
    return apps


async def test_with_redis_a_write_through_one_app_is_seen_at_once_by_another(
    database, database_url, tmp_path, redis_url, sessionmaker
):
    app_a, app_b = _two_apps(database, database_url, tmp_path, redis_url=redis_url)
    admin = await make_user(app_a, sessionmaker, "admin")
    try:
        async with client_of(app_a) as http_a, client_of(app_b) as http_b:
            apple = await brand(http_a, admin, "Apple")
            assert await names(http_b, admin) == ["Apple"]
            # B answers from the cache: a change that skips the service is not seen…
            async with transaction(sessionmaker) as session:
                await session.execute(
                    update(Brand).where(Brand.id == uuid.UUID(apple["id"])).values(is_active=False)
                )
            assert (await http_b.get(f"{API}/brands", headers=admin.headers)).json()["items"][0][
                "isActive"
            ] is True
            # … but a write through A invalidates B's cached data at once (both share Redis).
            await brand(http_a, admin, "Google")
            assert await names(http_b, admin) == ["Apple", "Google"]
            assert (await http_b.get(f"{API}/brands", headers=admin.headers)).json()["items"][0][
                "isActive"
            ] is False
            assert cache_for(app_b).backend_name == "redis"
            # And the other way round, with a price.
            iphone = await device(http_b, admin, apple["id"], "iPhone 13")
            screen = await repair_type(http_b, admin)
            oem = await part_type(http_b, admin)
            row = await price(http_b, admin, iphone["id"], screen["id"], oem["id"], "99")
            assert (await http_a.get(f"{API}/pricing/{row['id']}", headers=admin.headers)).json()[
                "price"
            ] == 99.0
            await http_b.patch(f"{API}/pricing/{row['id']}", json={"price": "109"}, headers=admin.headers)
            assert (await http_a.get(f"{API}/pricing/{row['id']}", headers=admin.headers)).json()[
                "price"
            ] == 109.0
    finally:
        await cache_for(app_a).aclose()
        await cache_for(app_b).aclose()


async def test_without_redis_each_process_keeps_its_own_cache(database, database_url, tmp_path, sessionmaker):
    # The contrast that makes the Redis test meaningful: in-process caches are not shared, so B keeps
    # its copy until its TTL (or a write through B itself).
    app_a, app_b = _two_apps(database, database_url, tmp_path)
    admin = await make_user(app_a, sessionmaker, "admin")
    async with client_of(app_a) as http_a, client_of(app_b) as http_b:
        await brand(http_a, admin, "Apple")
        assert await names(http_b, admin) == ["Apple"]
        await brand(http_a, admin, "Google")
        assert await names(http_a, admin) == ["Apple", "Google"]
        assert await names(http_b, admin) == ["Apple"]
        await brand(http_b, admin, "Nokia")
        assert await names(http_b, admin) == ["Apple", "Google", "Nokia"]
    async with sessionmaker() as session:
        assert (await session.execute(select(Pricing))).first() is None

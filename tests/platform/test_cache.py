"""The read cache (fixdesk.platform.cache) on both stores: process memory and Redis. Values are cached once
and handed out as copies, a namespace is invalidated with one generation bump (across processes with
Redis), nothing is cached with a TTL of 0, and an unreachable Redis degrades to loading from the source."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from fixdesk.platform.cache import Cache, key_digest

BACKENDS = ["memory", "redis"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def make_cache(store: str, request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Cache]]:
    """Builds caches of the test's store; caches built with the same ``prefix`` share one Redis."""
    url = request.getfixturevalue("redis_url") if store == "redis" else None
    built: list[Cache] = []
    default_prefix = f"test-{uuid.uuid4().hex[:12]}"

    def build(ttl_seconds: int = 60, prefix: str | None = None, redis_url: str | None = url) -> Cache:
        cache = Cache(redis_url=redis_url, ttl_seconds=ttl_seconds, prefix=prefix or default_prefix)
        built.append(cache)
        return cache

    yield build
    for cache in built:
        await cache.aclose()


class Loader:
    """A loader that counts its calls and answers the current ``value``."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        return self.value


async def test_a_value_is_loaded_once_and_handed_out_as_a_copy(make_cache):
    cache = make_cache()
    load = Loader({"items": [{"id": 1, "name": "Apple"}], "total": 1})
    first = await cache.get_or_load("catalog", "brands", load)
    first["items"].append("mutated by a caller")
    second = await cache.get_or_load("catalog", "brands", load)
    assert second == {"items": [{"id": 1, "name": "Apple"}], "total": 1}
    assert load.calls == 1


async def test_none_and_falsy_values_are_cached_like_any_other(make_cache):
    cache = make_cache()
    for key, value in (("none", None), ("zero", 0), ("empty", []), ("number", 7), ("text", "12")):
        load = Loader(value)
        assert await cache.get_or_load("catalog", key, load) == value
        assert await cache.get_or_load("catalog", key, load) == value
        assert load.calls == 1, key


async def test_invalidating_a_namespace_retires_all_its_keys_and_only_its_keys(make_cache):
    cache = make_cache()
    brands, models, other = Loader(["Apple"]), Loader(["iPhone"]), Loader(["x"])
    await cache.get_or_load("catalog", "brands", brands)
    await cache.get_or_load("catalog", "models", models)
    await cache.get_or_load("customers", "x", other)
    before = await cache.generation("catalog")

    brands.value = ["Apple", "Google"]
    await cache.invalidate("catalog")
    assert await cache.generation("catalog") == before + 1
    assert await cache.get_or_load("catalog", "brands", brands) == ["Apple", "Google"]
    await cache.get_or_load("catalog", "models", models)
    await cache.get_or_load("customers", "x", other)
    assert (brands.calls, models.calls, other.calls) == (2, 2, 1)


async def test_a_lost_generation_counter_never_brings_old_entries_back(make_cache):
    cache = make_cache()
    load = Loader("old")
    await cache.get_or_load("catalog", "brands", load)
    old_generation = await cache.generation("catalog")
    # The counter disappears (evicted under memory pressure, say) while an old entry is still stored.
    store = await cache._backend()
    await store.delete(cache._generation_key("catalog"))
    load.value = "new"
    assert await cache.get_or_load("catalog", "brands", load) == "new"
    # A new counter starts at the clock in microseconds, far past the old one's few increments.
    assert await cache.generation("catalog") > old_generation


async def test_a_ttl_of_zero_turns_caching_off(make_cache):
    cache = make_cache(ttl_seconds=0)
    load = Loader(["Apple"])
    await cache.get_or_load("catalog", "brands", load)
    await cache.get_or_load("catalog", "brands", load)
    await cache.invalidate("catalog")
    assert load.calls == 2
    assert not cache.enabled


async def test_key_digest_is_stable_and_tells_parameters_apart():
    assert key_digest({"a": 1, "b": [2]}) == key_digest({"b": [2], "a": 1})
    assert key_digest({"page": 1}) != key_digest({"page": 2})
    assert len(key_digest("x")) == 20


# --- Redis only ------------------------------------------------------------------------------------------------


async def test_redis_is_shared_by_every_process_and_keeps_installations_apart(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    process_a = Cache(redis_url=redis_url, ttl_seconds=60, prefix=prefix)
    process_b = Cache(redis_url=redis_url, ttl_seconds=60, prefix=prefix)
    other_shop = Cache(redis_url=redis_url, ttl_seconds=60, prefix=f"{prefix}-other")
    try:
        await process_a.get_or_load("catalog", "brands", Loader(["Apple"]))
        from_b = Loader(["never loaded"])
        assert await process_b.get_or_load("catalog", "brands", from_b) == ["Apple"]
        assert from_b.calls == 0
        assert await other_shop.get_or_load("catalog", "brands", Loader(["Nokia"])) == ["Nokia"]

        await process_a.invalidate("catalog")
        fresh = Loader(["Apple", "Google"])
        assert await process_b.get_or_load("catalog", "brands", fresh) == ["Apple", "Google"]
        assert fresh.calls == 1
    finally:
        for cache in (process_a, process_b, other_shop):
            await cache.aclose()


async def test_redis_entries_expire_with_the_ttl(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    cache = Cache(redis_url=redis_url, ttl_seconds=42, prefix=prefix)
    client = Redis.from_url(redis_url)
    try:
        await cache.get_or_load("catalog", "brands", Loader(["Apple"]))
        generation = await cache.generation("catalog")
        expiry_ms = await client.pttl(f"{prefix}:catalog:{generation}:brands")
        assert 0 < expiry_ms <= 42_000
        # The generation counter itself never expires.
        assert await client.pttl(f"{prefix}:catalog:generation") == -1
    finally:
        await cache.aclose()
        await client.aclose()


async def test_an_unreachable_redis_loads_from_the_source_and_never_fails():
    cache = Cache(redis_url="redis://127.0.0.1:1/0", ttl_seconds=60, prefix="unreachable")
    try:
        load = Loader(["Apple"])
        assert await cache.get_or_load("catalog", "brands", load) == ["Apple"]
        assert await cache.get_or_load("catalog", "brands", load) == ["Apple"]
        assert load.calls == 2
        await cache.invalidate("catalog")  # logged, not raised
    finally:
        await cache.aclose()

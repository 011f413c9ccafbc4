"""Where the work is: the geocoding adapter against a server that answers as Nominatim does, geocoding of
service locations by a job, the travel matrix in straight lines and from a server answering as OSRM."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.geocoding import NominatimGeocoder
from fixdesk.integrations.routing import OsrmRouter, Point, StraightLineRouter, build_router, haversine_metres
from tests.conftest import make_settings
from tests.factories import make_customer, make_user, settle
from tests.fieldservice.fakes import FakeNominatim, FakeOsrm
from tests.fieldservice.helpers import make_location

ADDRESS = "123 Main St, Austin, TX, 78701, US"


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    with FakeNominatim() as fake:
        fake.add(ADDRESS, 30.2672, -97.7431)
        yield fake


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    with FakeOsrm() as fake:
        yield fake


@pytest.fixture
async def http() -> Iterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        yield client


@pytest.fixture
async def settings(database_url, tmp_path, nominatim):
    return make_settings(database_url, tmp_path, **nominatim.settings())


async def test_the_geocoder_asks_nominatim_and_reads_its_answer(nominatim, http):
    geocoder = NominatimGeocoder(http, nominatim.base_url)
    place = await geocoder.geocode(ADDRESS, country="US")
    assert (place.latitude, place.longitude) == (30.2672, -97.7431)
    [request] = nominatim.requests
    assert request.path == "/search"
    assert request.query == {"q": ADDRESS, "format": "jsonv2", "limit": "1", "countrycodes": "us"}
    assert request.headers["user-agent"].startswith("Fixdesk/")
    assert await geocoder.geocode("Nowhere 1") is None
    nominatim.fail_next(1, 503)
    with pytest.raises(ProviderError) as failure:
        await geocoder.geocode(ADDRESS)
    assert failure.value.retryable


async def test_a_location_without_coordinates_is_geocoded_by_a_job(app, client, sessionmaker, nominatim):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    body = {"latitude": None, "longitude": None, "region": "TX", "postalCode": "78701", "country": "us"}
    location = await make_location(client, agent, customer.id, **body)
    assert location["geocodeStatus"] == "pending"
    assert location["latitude"] is None
    assert location["address"] == ADDRESS
    unknown = await make_location(
        client, agent, customer.id, addressLine1="1 Nowhere", latitude=None, longitude=None
    )

    await settle(app)

    found = (await client.get(f"/api/v1/locations/{location['id']}", headers=agent.headers)).json()
    assert (found["geocodeStatus"], found["latitude"], found["longitude"]) == ("found", 30.2672, -97.7431)
    missing = (await client.get(f"/api/v1/locations/{unknown['id']}", headers=agent.headers)).json()
    assert (missing["geocodeStatus"], missing["latitude"]) == ("not_found", None)
    given = await make_location(client, agent, customer.id)
    assert given["geocodeStatus"] == "given"
    assert len(nominatim.requests) == 2

    listed = (await client.get(f"/api/v1/customers/{customer.id}/locations", headers=agent.headers)).json()
    assert [item["id"] for item in listed["items"]] == [location["id"], unknown["id"], given["id"]]
    half = await client.post(
        f"/api/v1/customers/{customer.id}/locations",
        json={"addressLine1": "2 Main St", "latitude": 30.1},
        headers=agent.headers,
    )
    assert half.status_code == 400


async def test_straight_line_travel_is_haversine_times_the_road_factor_at_the_average_speed():
    equator, one_degree_east = Point(0.0, 0.0), Point(0.0, 1.0)
    # One degree of longitude on the equator of the mean sphere: 2π × 6,371,008.8 m / 360.
    assert haversine_metres(equator, one_degree_east) == pytest.approx(111_195.08, abs=0.01)
    router = StraightLineRouter(road_factor=1.3, average_speed_kmh=40)
    matrix = await router.matrix([equator, one_degree_east, equator])
    # 111,195.08 m × 1.3 = 144,553.6 m; at 40 km/h (11.11 m/s) that is 13,009.8 s.
    assert matrix.distances == [[0, 144_554, 0], [144_554, 0, 144_554], [0, 144_554, 0]]
    assert matrix.durations == [[0, 13_010, 0], [13_010, 0, 13_010], [0, 13_010, 0]]
    assert matrix.source == "straight_line"
    austin, dallas = Point(30.2672, -97.7431), Point(32.7767, -96.7970)
    assert haversine_metres(austin, dallas) == pytest.approx(292_000, rel=0.01)


async def test_the_osrm_table_service_gives_the_matrix_when_configured(osrm, http, tmp_path):
    settings = make_settings("sqlite+aiosqlite://", tmp_path, routing_url=osrm.base_url)
    router = build_router(settings, http)
    assert isinstance(router, OsrmRouter)
    points = [Point(30.26, -97.74), Point(30.27, -97.75), Point(30.30, -97.70)]
    osrm.unroutable.add((0, 2))
    matrix = await router.matrix(points)
    [request] = osrm.requests
    assert request.path == "/table/v1/driving/-97.740000,30.260000;-97.750000,30.270000;-97.700000,30.300000"
    assert request.query == {"annotations": "duration,distance"}
    assert matrix.source == "osrm"
    assert matrix.durations[0][1] == 200
    assert matrix.distances[0][1] == 2000
    # OSRM could not route 0 → 2: the straight-line estimate fills the gap.
    seconds, metres = router.fallback.trip(points[0], points[2])
    assert (matrix.durations[0][2], matrix.distances[0][2]) == (seconds, metres)
    assert matrix.durations[2][0] == 800
    osrm.fail_next(1, 503)
    with pytest.raises(ProviderError) as failure:
        await router.matrix(points)
    assert failure.value.retryable
    assert isinstance(build_router(make_settings("sqlite+aiosqlite://", tmp_path), http), StraightLineRouter)

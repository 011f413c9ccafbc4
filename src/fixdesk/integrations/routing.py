"""Travel times and distances between points: the matrix the schedule and dispatch plan with.

Two sources, chosen by :func:`build_router` from the settings:

* :class:`StraightLineRouter` (default, no network): the great-circle (haversine) distance on a sphere of
  the mean Earth radius (6,371,008.8 m, IUGG), times a road factor (``FIXDESK_TRAVEL_ROAD_FACTOR``, 1.3:
  roads are about 30 % longer than the straight line in towns), driven at an average speed
  (``FIXDESK_TRAVEL_AVERAGE_SPEED_KMH``, 40 km/h);
* :class:`OsrmRouter` (``FIXDESK_ROUTING_URL``): an OSRM server's table service,
  ``GET /table/v1/driving/{lon},{lat};…?annotations=duration,distance`` (http://project-osrm.org/docs/v5.24.0/api/#table-service),
  whose ``durations`` (seconds) and ``distances`` (metres) are rounded to whole numbers. A pair OSRM cannot
  route (``null``) gets the straight-line estimate, so the matrix is always complete.

Matrices are square, indexed like the points: ``durations[i][j]`` is the trip from point ``i`` to point
``j`` in whole seconds, ``distances[i][j]`` in whole metres; the diagonal is 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from fixdesk.config import Settings
from fixdesk.integrations.errors import MAX_BODY_CHARACTERS, ProviderError, http_status_is_retryable

EARTH_RADIUS_METRES = 6_371_008.8


@dataclass(frozen=True)
class Point:
    """A place in WGS 84 degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class TravelMatrix:
    """Trip durations (whole seconds) and distances (whole metres) between every pair of points."""

    durations: list[list[int]]
    distances: list[list[int]]
    source: str


class Router(Protocol):
    name: str

    async def matrix(self, points: Sequence[Point]) -> TravelMatrix: ...


def haversine_metres(a: Point, b: Point) -> float:
    """The great-circle distance between ``a`` and ``b`` in metres (haversine formula, spherical Earth)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    delta_phi = phi2 - phi1
    delta_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(delta_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(delta_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


class StraightLineRouter:
    """Road distance estimated as haversine × ``road_factor``; duration as that distance at
    ``average_speed_kmh``. Both rounded half-up to whole metres and seconds."""

    name = "straight_line"

    def __init__(self, *, road_factor: float = 1.3, average_speed_kmh: float = 40.0) -> None:
        self.road_factor = road_factor
        self.metres_per_second = average_speed_kmh * 1000 / 3600

    def trip(self, a: Point, b: Point) -> tuple[int, int]:
        """``(seconds, metres)`` from ``a`` to ``b``."""
        metres = haversine_metres(a, b) * self.road_factor
        return _whole(metres / self.metres_per_second), _whole(metres)

    async def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        durations: list[list[int]] = []
        distances: list[list[int]] = []
        for a in points:
            trips = [self.trip(a, b) for b in points]
            durations.append([seconds for seconds, _ in trips])
            distances.append([metres for _, metres in trips])
        return TravelMatrix(durations, distances, self.name)


def _whole(value: float) -> int:
    return math.floor(value + 0.5)


class OsrmRouter:
    """An OSRM server's ``table`` service (profile ``driving``); see the module docstring."""

    name = "osrm"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        fallback: StraightLineRouter,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.fallback = fallback
        self.timeout = timeout_seconds

    async def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """The matrix from OSRM. Raises :class:`ProviderError` when the server cannot be reached (retryable),
        answers an error status or a ``code`` other than ``Ok``."""
        if len(points) < 2:
            return await self.fallback.matrix(points)
        coordinates = ";".join(f"{p.longitude:.6f},{p.latitude:.6f}" for p in points)
        url = f"{self.base_url}/table/v1/driving/{coordinates}"
        try:
            response = await self.http.get(
                url, params={"annotations": "duration,distance"}, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise ProviderError(self.name, f"request failed: {exc!r}", retryable=True) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if not response.is_success or code != "Ok":
            message = body.get("message") if isinstance(body, dict) else None
            raise ProviderError(
                self.name,
                f"HTTP {response.status_code}, code {code}: {message or response.reason_phrase}",
                status=response.status_code,
                code=code,
                body=response.text[:MAX_BODY_CHARACTERS],
                retryable=http_status_is_retryable(response.status_code),
            )
        size = len(points)
        try:
            raw_durations, raw_distances = body["durations"], body["distances"]
            durations = [[0] * size for _ in range(size)]
            distances = [[0] * size for _ in range(size)]
            for i in range(size):
                for j in range(size):
                    seconds, metres = raw_durations[i][j], raw_distances[i][j]
                    if seconds is None or metres is None:
                        seconds, metres = self.fallback.trip(points[i], points[j])
                    durations[i][j], distances[i][j] = _whole(float(seconds)), _whole(float(metres))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ProviderError(
                self.name,
                f"unexpected answer: {exc!r}",
                status=response.status_code,
                body=response.text[:MAX_BODY_CHARACTERS],
                retryable=False,
            ) from exc
        return TravelMatrix(durations, distances, self.name)


def build_router(settings: Settings, http: httpx.AsyncClient) -> Router:
    """The OSRM router when ``FIXDESK_ROUTING_URL`` is set, else the straight-line estimate."""
    straight = StraightLineRouter(
        road_factor=settings.travel_road_factor, average_speed_kmh=settings.travel_average_speed_kmh
    )
    if settings.routing_url:
        return OsrmRouter(
            http,
            settings.routing_url,
            fallback=straight,
            timeout_seconds=settings.field_provider_timeout_seconds,
        )
    return straight

"""HTTP servers on 127.0.0.1 that answer as Nominatim's search and OSRM's table service do, built on the
shared machinery of :mod:`tests.support.fake_providers` (request recording, ``fail_next``).

- :class:`FakeNominatim`: ``GET /search?q=…&format=jsonv2`` → ``200`` and a JSON array of places (``lat``
  and ``lon`` as decimal strings, ``display_name``, ``place_id``…), best first, for the addresses it was
  given with :meth:`FakeNominatim.add`; ``[]`` for any other; ``400`` with Nominatim's error body when
  ``q`` or a known ``format`` is missing; a 503 from ``fail_next`` is its "server busy" page.
- :class:`FakeOsrm`: ``GET /table/v1/driving/{lon},{lat};…?annotations=duration,distance`` → ``200``
  ``{"code": "Ok", "durations", "distances", "sources", "destinations"}``; the fake's trip between two
  points is 100 s and 1000 m per 0.01° of Manhattan distance, or ``null`` for pairs marked unroutable;
  ``400`` ``{"code": "InvalidQuery"}`` for a malformed coordinate list.
"""

from __future__ import annotations

from typing import Any

from tests.support.fake_providers import FakeHttpProvider, RecordedRequest, Response


class FakeNominatim(FakeHttpProvider):
    def __init__(self) -> None:
        super().__init__()
        self.places: dict[str, tuple[float, float]] = {}

    def add(self, address: str, latitude: float, longitude: float) -> None:
        self.places[address.lower()] = (latitude, longitude)

    def settings(self) -> dict[str, Any]:
        return {"geocoding_url": self.base_url}

    def failure_response(self, status: int) -> Response:
        return Response(status, b"<html><body>Service busy</body></html>", {"Content-Type": "text/html"})

    def respond(self, request: RecordedRequest) -> Response:
        if request.method != "GET" or request.path != "/search":
            return Response.json(404, {"error": {"code": 404, "message": "Not found"}})
        if request.query.get("format") not in {
            "json",
            "jsonv2",
            "geojson",
            "geocodejson",
            "xml",
        } or not request.query.get("q"):
            return Response.json(400, {"error": {"code": 400, "message": "Nothing to search for."}})
        found = self.places.get(request.query["q"].lower())
        if found is None:
            return Response.json(200, [])
        latitude, longitude = found
        return Response.json(
            200,
            [
                {
                    "place_id": 1234567,
                    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
                    "osm_type": "way",
                    "osm_id": 7654321,
                    "lat": f"{latitude:.7f}",
                    "lon": f"{longitude:.7f}",
                    "category": "building",
                    "type": "house",
                    "place_rank": 30,
                    "importance": 0.1,
                    "addresstype": "building",
                    "name": "",
                    "display_name": request.query["q"],
                    "boundingbox": [
                        str(latitude - 0.0001),
                        str(latitude + 0.0001),
                        str(longitude - 0.0001),
                        str(longitude + 0.0001),
                    ],
                }
            ],
        )


class FakeOsrm(FakeHttpProvider):
    PREFIX = "/table/v1/driving/"

    def __init__(self) -> None:
        super().__init__()
        self.unroutable: set[tuple[int, int]] = set()

    def failure_response(self, status: int) -> Response:
        return Response.json(status, {"code": "TooBig", "message": "Too many table coordinates"})

    def respond(self, request: RecordedRequest) -> Response:
        if not request.path.startswith(self.PREFIX):
            return Response.json(400, {"code": "InvalidUrl", "message": "URL string malformed"})
        try:
            points = [
                tuple(float(part) for part in pair.split(",", 1))
                for pair in request.path[len(self.PREFIX) :].split(";")
            ]
            if any(len(point) != 2 for point in points):
                raise ValueError
        except ValueError:
            return Response.json(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        size = len(points)

        def trip(i: int, j: int, per_hundredth: float) -> float | None:
            if (i, j) in self.unroutable:
                return None
            (lon1, lat1), (lon2, lat2) = points[i], points[j]
            return round((abs(lon1 - lon2) + abs(lat1 - lat2)) * 100 * per_hundredth, 1)

        waypoint = [{"hint": "", "distance": 0.0, "name": "", "location": list(p)} for p in points]
        return Response.json(
            200,
            {
                "code": "Ok",
                "durations": [[trip(i, j, 100) for j in range(size)] for i in range(size)],
                "distances": [[trip(i, j, 1000) for j in range(size)] for i in range(size)],
                "sources": waypoint,
                "destinations": waypoint,
            },
        )

"""Geocoding: an address to WGS 84 coordinates through a Nominatim-compatible server.

``GET {FIXDESK_GEOCODING_URL}/search?q=<address>&format=jsonv2&limit=1`` answers a JSON array of places,
best first, each with ``lat`` and ``lon`` as decimal strings (Nominatim's documented ``jsonv2`` output,
https://nominatim.org/release-docs/latest/api/Search/); an empty array means no such address. Nominatim's
usage policy asks for an identifying ``User-Agent``, which every request carries.

A server that cannot be reached or answers 408/429/5xx raises a retryable
:class:`~fixdesk.integrations.errors.ProviderError`; any other failure a permanent one.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from fixdesk import __version__
from fixdesk.integrations.errors import MAX_BODY_CHARACTERS, ProviderError, http_status_is_retryable

USER_AGENT = f"Fixdesk/{__version__} (field service geocoding)"


@dataclass(frozen=True)
class GeocodedPlace:
    """Where an address is: latitude and longitude in degrees (WGS 84), and the provider's name for it."""

    latitude: float
    longitude: float
    display_name: str | None = None


class NominatimGeocoder:
    """Looks addresses up with a Nominatim-compatible ``/search`` (``format=jsonv2``)."""

    name = "nominatim"

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, timeout_seconds: float = 10.0) -> None:
        self.http = http
        self.url = f"{base_url.rstrip('/')}/search"
        self.timeout = timeout_seconds

    async def geocode(self, address: str, *, country: str | None = None) -> GeocodedPlace | None:
        """The best place for ``address`` (optionally limited to an ISO 3166 ``country``), or ``None`` when
        the provider knows none. Raises :class:`ProviderError`."""
        params = {"q": address, "format": "jsonv2", "limit": "1"}
        if country:
            params["countrycodes"] = country.lower()
        try:
            response = await self.http.get(
                self.url, params=params, headers={"User-Agent": USER_AGENT}, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise ProviderError(self.name, f"request failed: {exc!r}", retryable=True) from exc
        if not response.is_success:
            raise ProviderError(
                self.name,
                f"HTTP {response.status_code}",
                status=response.status_code,
                body=response.text[:MAX_BODY_CHARACTERS],
                retryable=http_status_is_retryable(response.status_code),
            )
        try:
            places = response.json()
            if not places:
                return None
            best = places[0]
            return GeocodedPlace(float(best["lat"]), float(best["lon"]), best.get("display_name"))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ProviderError(
                self.name,
                f"unexpected answer: {exc!r}",
                status=response.status_code,
                body=response.text[:MAX_BODY_CHARACTERS],
                retryable=False,
            ) from exc

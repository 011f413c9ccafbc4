"""Static files of the web pages, served at ``/static`` from the package's ``static/`` folder.

* ``static/vendor/<library>/<version>/…``: the vendored front-end libraries (``scripts/vendor-assets``
  writes them and records their versions in ``vendor.json``). Their URLs change with every version, so
  they are cached for a year as immutable.
* ``static/fixdesk/…``: Fixdesk's own stylesheet and scripts. Pages link them with ``?v=`` and the first
  twelve hex digits of the file's SHA-256 (:func:`static_url`); a request carrying the current digest is
  cached like a vendored file, any other is revalidated (``no-cache``, answered 304 from the ETag).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
VENDOR_LOCK = PACKAGE_DIR / "vendor.json"
STATIC_PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DIGEST_LENGTH = 12


class UnknownAsset(LookupError):
    """A template named a static file that is not there (a typo, or a library not vendored)."""


@functools.cache
def vendored() -> dict[str, Any]:
    """``vendor.json``'s assets: name → version, licence, path and files (see ``scripts/vendor-assets``)."""
    return json.loads(VENDOR_LOCK.read_text(encoding="utf-8"))["assets"]


def vendor_url(library: str, path: str) -> str:
    """The URL of ``path`` inside the vendored ``library`` at its pinned version, e.g.
    ``vendor_url("htmx", "htmx.min.js")`` → ``/static/vendor/htmx/2.0.11/htmx.min.js``.

    Raises :class:`UnknownAsset` when the library is not vendored or does not ship that file."""
    entry = vendored().get(library)
    if entry is None or path not in entry["files"]:
        raise UnknownAsset(f"{library}/{path} is not a vendored file (see scripts/vendor-assets.toml)")
    return f"{STATIC_PREFIX}/vendor/{library}/{entry['version']}/{path}"


@functools.cache
def _digest(path: str) -> str:
    file = (STATIC_DIR / path).resolve()
    if not file.is_relative_to(STATIC_DIR) or not file.is_file():
        raise UnknownAsset(f"static/{path} does not exist")
    return hashlib.sha256(file.read_bytes()).hexdigest()[:DIGEST_LENGTH]


def static_url(path: str) -> str:
    """The URL of one of Fixdesk's own static files (``fixdesk/app.css``), with its content digest so a
    browser caches it until the file changes. Raises :class:`UnknownAsset` for a missing file."""
    return f"{STATIC_PREFIX}/{path}?v={_digest(path)}"


class CachedStaticFiles(StaticFiles):
    """Starlette's static files with the cache policy above."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = self.cache_control(path, scope)
        return response

    @staticmethod
    def cache_control(path: str, scope: Scope) -> str:
        if path.startswith("vendor/"):
            return IMMUTABLE
        requested = QueryParams(scope.get("query_string", b"")).get("v")
        try:
            current = _digest(path)
        except UnknownAsset:
            return REVALIDATE
        return IMMUTABLE if requested == current else REVALIDATE


def static_files() -> CachedStaticFiles:
    """The ASGI app mounted at ``/static``."""
    return CachedStaticFiles(directory=STATIC_DIR)

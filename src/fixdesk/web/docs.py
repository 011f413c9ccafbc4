"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served from the vendored
files so they work without Internet access and load nothing from another host.

FastAPI's own helpers (``get_swagger_ui_html``) write Swagger UI's start-up code inline, which the pages'
Content-Security-Policy forbids, so these pages are templates whose start-up code is
``static/fixdesk/swagger-ui-init.js``. They are served while ``FIXDESK_API_DOCS`` is true (the default);
``/openapi.json`` is served either way, since API clients and code generators read it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from fixdesk.platform.permissions import public
from fixdesk.web.i18n import PageLocale
from fixdesk.web.templating import render

OPENAPI_URL = "/openapi.json"
# The documentation tools speak English only; their pages are English whatever the browser asks for.
ENGLISH = PageLocale("en", "en")

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``: try the API from the browser."""
    title = f"{request.app.title} – Swagger UI"
    return render(
        request, "shared/swagger_ui.html", {"title": title, "openapi_url": OPENAPI_URL}, locale=ENGLISH
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc over ``/openapi.json``: the API reference to read."""
    title = f"{request.app.title} – ReDoc"
    return render(request, "shared/redoc.html", {"title": title, "openapi_url": OPENAPI_URL}, locale=ENGLISH)

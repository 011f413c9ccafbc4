"""Wiring the web app into the FastAPI application: :func:`install_web`."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import RedirectResponse

from fixdesk.config import Settings
from fixdesk.platform.permissions import public
from fixdesk.platform.routes import include_router
from fixdesk.web import docs, portal, staff
from fixdesk.web.assets import STATIC_PREFIX, static_files
from fixdesk.web.csrf import CsrfMiddleware
from fixdesk.web.errors import PageErrorMiddleware, install_error_pages
from fixdesk.web.pages import STAFF_PREFIX, WebPages, include_pages
from fixdesk.web.security import PageSecurityHeadersMiddleware

# The areas of the web app's own shell; every domain's pages come from its manifest.
SHELL_PAGES: tuple[WebPages, ...] = (staff.pages, portal.pages)

root = APIRouter(dependencies=[Depends(public)], include_in_schema=False)


@root.get("/")
async def home() -> RedirectResponse:
    """The site's root opens the staff app."""
    return RedirectResponse(STAFF_PREFIX, status_code=302)


def install_web(app: FastAPI, settings: Settings, pages: Iterable[WebPages] = ()) -> None:
    """Add the web app to ``app``: static files at ``/static``, the shell's pages and ``pages`` (each
    domain's :class:`~fixdesk.web.pages.WebPages`), ``/`` → ``/app``, the API documentation at ``/docs`` and
    ``/redoc`` when ``FIXDESK_API_DOCS`` is on, HTML error pages, CSRF protection (:mod:`fixdesk.web.csrf`)
    and the pages' security headers.

    Call it after :func:`fixdesk.platform.errors.install_error_handlers` and before adding the
    request-context middleware, so the HTML 500 page carries the request id (its middleware must run
    inside that one)."""
    app.mount(STATIC_PREFIX, static_files(), name="static")
    include_pages(app, [*SHELL_PAGES, *pages])
    include_router(app, root)
    if settings.api_docs:
        include_router(app, docs.router)
    install_error_pages(app)
    app.add_middleware(PageErrorMiddleware)
    # Outside the error pages (a refused token never reaches a route) and inside the security headers (the
    # 403 page carries them too).
    app.add_middleware(CsrfMiddleware, settings=settings)
    app.add_middleware(PageSecurityHeadersMiddleware, static_prefix=STATIC_PREFIX + "/")

"""Error pages for people: a request from a browser page gets an HTML page, the API keeps its problem
details.

A request is a page request when its path is under ``/app`` or ``/portal``, or when it asks for HTML
(``Accept: text/html``, as a browser's address bar does) for a path outside the API, the static files and
the OpenAPI document. For those, an unknown route, a refused method, invalid parameters, a service error (``NotFound`` …) and an
unexpected exception are answered by ``shared/error.html`` with the same status code, in the reader's
language, with the request id to quote; a signed-out reader of a staff or portal page is sent to that
area's sign-in page instead (:func:`sign_in_redirect`). Everything else goes to the problem-details handlers of
:mod:`fixdesk.platform.errors` unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixdesk.platform.errors import FixdeskError
from fixdesk.platform.observability import current_request_id, loggable_path
from fixdesk.web.i18n import N_
from fixdesk.web.pages import PORTAL_PREFIX, STAFF_PREFIX
from fixdesk.web.templating import render

log = structlog.get_logger(__name__)

NOT_PAGES = ("/api/", "/static/", "/openapi.json")
PAGE_PREFIXES = (STAFF_PREFIX, PORTAL_PREFIX)

# (title, explanation) per status; other 4xx use 400's text, other 5xx 500's.
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: (N_("Something is not right"), N_("The request could not be understood. Go back and try again.")),
    401: (N_("Please sign in"), N_("You need to sign in to see this page.")),
    403: (N_("Not allowed"), N_("Your account is not allowed to open this page.")),
    404: (
        N_("Page not found"),
        N_("There is no page at this address. It may have moved, or the link is wrong."),
    ),
    405: (N_("Not allowed"), N_("This page cannot be used this way.")),
    429: (N_("Too many requests"), N_("Please wait a moment before trying again.")),
    500: (
        N_("Something went wrong"),
        N_(
            "An unexpected error stopped this page. Please try again; if it keeps happening, tell us the reference below."
        ),
    ),
}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def is_page_request(path: str, accept: str | None) -> bool:
    """Whether a failure answering ``path`` should be an HTML page (see the module's docstring)."""
    if any(_under(path, prefix) for prefix in PAGE_PREFIXES):
        return True
    if path.startswith(NOT_PAGES):
        return False
    return "text/html" in (accept or "")


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    """The HTML error page for ``status``, linking back to the area the reader was in."""
    title, explanation = ERROR_TEXTS.get(status) or ERROR_TEXTS[500 if status >= 500 else 400]
    return message_page(request, status, title, explanation, headers)


def message_page(
    request: Request, status: int, title: str, explanation: str, headers: dict[str, str] | None = None
) -> Response:
    """The error page with a ``title`` and ``explanation`` of its own (English messages marked with
    ``N_``, translated when drawn), linking back to the area the reader was in."""
    home = PORTAL_PREFIX if _under(request.url.path, PORTAL_PREFIX) else STAFF_PREFIX
    return render(
        request,
        "shared/error.html",
        {
            "status": status,
            "title": title,
            "explanation": explanation,
            "home": home,
            "request_id": current_request_id() if status >= 500 else None,
        },
        status_code=status,
        headers=headers,
    )


def sign_in_redirect(request: Request) -> Response | None:
    """Send a signed-out reader of a staff or portal page to that area's sign-in page, with ``next`` set
    to the page they asked for (for GET; a refused POST returns to the area's start after signing in).
    An htmx request gets ``HX-Redirect`` (htmx would otherwise swap the sign-in page into a fragment).
    ``None`` outside the two areas."""
    path = request.url.path
    prefix = next((p for p in PAGE_PREFIXES if _under(path, p)), None)
    if prefix is None:
        return None
    target = f"{prefix}/login"
    if request.method in ("GET", "HEAD") and path != target:
        wanted = path + (f"?{request.url.query}" if request.url.query else "")
        target += "?" + urlencode({"next": wanted})
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install_error_pages(app: FastAPI) -> None:
    """Put the HTML error pages in front of the problem-details handlers already installed on ``app``
    (call after :func:`fixdesk.platform.errors.install_error_handlers`)."""
    for exception_class in (StarletteHTTPException, FixdeskError, RequestValidationError):
        api_handler = app.exception_handlers[exception_class]

        async def handler(request: Request, exc: Exception, api_handler: Any = api_handler) -> Response:
            if not is_page_request(request.url.path, request.headers.get("accept")):
                return await api_handler(request, exc)
            if isinstance(exc, FixdeskError):
                if exc.status == 401 and (redirect := sign_in_redirect(request)) is not None:
                    return redirect
                return error_page(request, exc.status, exc.headers)
            if isinstance(exc, StarletteHTTPException):
                return error_page(request, exc.status_code, getattr(exc, "headers", None))
            return error_page(request, 400)

        app.add_exception_handler(exception_class, handler)


class PageErrorMiddleware:
    """Pure ASGI middleware answering an unexpected exception of a page request with the HTML 500 page
    (logged like the request-context middleware logs it for the API); other requests' exceptions pass on
    to that middleware unchanged. Add it inside :class:`fixdesk.platform.observability.RequestContextMiddleware`
    so the page carries the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # From the scope itself (a Request and its URL cost more than the check, on every API request).
        accept = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == b"accept"), None
        )
        if not is_page_request(scope["path"], accept):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            if started:
                raise
            log.exception("unhandled_exception", method=scope["method"], path=loggable_path(scope["path"]))
            response = error_page(request, 500)
            await response(scope, receive, send)

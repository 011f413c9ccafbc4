"""Security headers of the web pages (issue 10, "Sign-in and safety").

Every HTML response (a page, an HTML error page, the API documentation) gets a Content-Security-Policy,
``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, a ``Referrer-Policy`` and a
``Permissions-Policy``; static files get ``nosniff``. A header the response already carries is left as it
is, so a route with a stricter policy of its own (the public tracking page, attachments) keeps it and a
global middleware setting the same header (HSTS, ``nosniff``) does not produce a duplicate.

The pages' policy allows scripts, styles, fonts and connections from this origin only: no inline script,
no ``eval`` (htmx is configured without it, Alpine.js is its CSP build), no inline style. Images may also be
``data:`` URLs, which Tabler's stylesheet uses for its form controls' icons. Swagger UI and ReDoc write
their styles into ``<style>`` elements and style attributes at run time, and ReDoc's search runs in a web
worker made from a ``blob:`` URL, so ``/docs`` and ``/redoc`` allow those (still nothing from another
host, and still no inline or evaluated script: their start-up code is in ``static/fixdesk/*.js``). ReDoc
draws Redocly's logo from cdn.redoc.ly whatever its options; the policy refuses it before any request
leaves the browser.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_DOCS_PATHS = ("/docs", "/redoc")
# Features no page of Fixdesk uses; photos are picked through <input type=file>, which needs no camera
# permission.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()"
)
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def page_headers(path: str) -> dict[str, str]:
    """The security headers of an HTML response to ``path``."""
    is_docs = path in API_DOCS_PATHS or path.startswith(tuple(p + "/" for p in API_DOCS_PATHS))
    return {"Content-Security-Policy": API_DOCS_POLICY if is_docs else PAGE_POLICY, **PAGE_HEADERS}


class PageSecurityHeadersMiddleware:
    """Pure ASGI middleware adding :func:`page_headers` to HTML responses and ``nosniff`` to static files;
    headers already set are kept."""

    def __init__(self, app: ASGIApp, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    extra = page_headers(path)
                elif path.startswith(self.static_prefix):
                    extra = {"X-Content-Type-Options": "nosniff"}
                else:
                    extra = {}
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""CSRF protection of the pages (issue 10, "Sign-in and safety"), with the ``asgi-csrf`` library.

Every unsafe request (POST, PUT, PATCH, DELETE) to the staff app (``/app``) or the portal (``/portal``)
must carry the page's token, either as the form field ``csrftoken`` (``{{ csrf_field() }}`` in every
``<form method="post">``; in a multipart form it must come before the file inputs) or as the
``X-CSRFToken`` header, which htmx sends on every request of a page (``hx-headers`` on ``<body>``, drawn by
``layouts/base.html`` from the same token as the ``<meta name="csrf-token">``). The token is the
double-submit kind: a random value signed with a key derived from the server secret, kept in the
``fixdesk_csrf`` cookie (SameSite=Lax, Secure outside development) and compared in constant time with the
field or header. A missing or wrong token is answered ``403`` with the HTML error page before the route
runs, so nothing changes.

* The sign-in forms are protected too, with or without cookies (login CSRF: a foreign site must not sign
  the visitor in to an account of its choosing): every page path is in the library's ``always_protect``.
* A request carrying ``Authorization: Bearer …`` is let through by the library: a browser never adds that
  header on its own, so another site cannot forge such a request, and such a request is authenticated by
  its token, never by the session cookie (:func:`fixdesk.platform.permissions.optional_principal`). The
  page helpers' tests post to ``/app/...`` that way.
* The API (``/api/v1/...``) is not checked: it authenticates bearer tokens only, and a cookie sent to it
  authenticates nothing.

``request.state.csrf_token`` holds the page's token for the templates' ``csrf_field()`` / ``csrf_token()``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from asgi_csrf import asgi_csrf
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from fixdesk.config import Settings
from fixdesk.platform.permissions import browser_area
from fixdesk.web.i18n import N_

CSRF_COOKIE = "fixdesk_csrf"
CSRF_HEADER = "X-CSRFToken"
# asgi-csrf reads a multipart form's field by this fixed name, so urlencoded forms use it too.
CSRF_FORM_FIELD = "csrftoken"
SCOPE_KEY = "csrftoken"

FAILED_TITLE = N_("This form has expired")
FAILED_EXPLANATION = N_(
    "The page was open too long or came from another site, so nothing was changed. Go back, reload the page and try again."
)


class _PagePaths:
    """Every path of the staff app and the portal, as the library's ``always_protect`` collection."""

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and browser_area(path) is not None


def _is_not_a_page(scope: Scope) -> bool:
    return browser_area(scope["path"]) is None


def signing_secret(settings: Settings) -> str:
    """The key the tokens are signed with: derived from the server secret for this purpose only, so
    tokens stay valid across restarts and between the processes of one installation."""
    return hmac.new(settings.signing_key.encode(), b"fixdesk.web.csrf", hashlib.sha256).hexdigest()


async def _refused(scope: Scope, send: Send, _reason: Any) -> None:
    from fixdesk.web.errors import message_page

    request = Request(scope)
    response = message_page(request, 403, FAILED_TITLE, FAILED_EXPLANATION)

    async def no_body() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response(scope, no_body, send)


class CsrfMiddleware:
    """``asgi-csrf`` configured for the pages (see the module docstring), plus ``request.state.csrf_token``
    for the templates of ``/app`` and ``/portal`` pages."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        async def with_token_in_state(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and browser_area(scope["path"]) is not None and SCOPE_KEY in scope:
                scope.setdefault("state", {})["csrf_token"] = scope[SCOPE_KEY]()
            await app(scope, receive, send)

        self.app = app
        self.protected = asgi_csrf(
            with_token_in_state,
            cookie_name=CSRF_COOKIE,
            http_header=CSRF_HEADER.lower(),
            signing_secret=signing_secret(settings),
            always_protect=_PagePaths(),
            skip_if_scope=_is_not_a_page,
            cookie_secure=settings.env != "development",
            cookie_samesite="Lax",
            send_csrf_failed=_refused,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only pages go through the library: it hands the app a copy of the scope, so what the router
        # records there (the matched route, which the idempotency middleware outside reads) would not
        # reach the API's outer middleware.
        if scope["type"] == "http" and browser_area(scope["path"]) is not None:
            await self.protected(scope, receive, send)
        else:
            await self.app(scope, receive, send)

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

import asgi_csrf as asgi_csrf_library
from asgi_csrf import FileBeforeToken, TokenFound, asgi_csrf
from python_multipart.multipart import MultipartParser, parse_options_header
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


async def _token_of_multipart_form(boundary: bytes, receive: Receive) -> tuple[str | None, Receive]:
    """The ``csrftoken`` field of a multipart form read from the body's start, and a ``receive`` that
    replays what was read; raises :class:`asgi_csrf.FileBeforeToken` when a file part comes first.

    The same contract as ``asgi_csrf._parse_multipart_form_data``, which it replaces (see
    :func:`_use_current_multipart_parser`): asgi-csrf 0.11 builds python-multipart's ``FormParser`` with a
    ``FileClass`` argument that python-multipart 0.0.18+ no longer takes, so every multipart form posted by
    a browser without the ``X-CSRFToken`` header (a plain ``<form enctype="multipart/form-data">``: the
    photo uploads) failed with a 500. This reads the parts with the current low-level parser instead.
    """
    messages: list[dict[str, Any]] = []
    header_name = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}
    token = bytearray()
    state = {"in_token": False}

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        if b"filename" in options:
            raise FileBeforeToken
        state["in_token"] = options.get(b"name") == CSRF_FORM_FIELD.encode()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_token"]:
            token.extend(data[start:end])

    def on_part_end() -> None:
        if state["in_token"]:
            raise TokenFound(token.decode("utf-8", errors="replace"))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    async def replay_receive() -> Any:
        if messages:
            return messages.pop(0)
        return await receive()

    more_body = True
    try:
        while more_body:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            parser.write(message.get("body", b""))
            more_body = message.get("more_body", False)
    except TokenFound as found:
        return found.args[0], replay_receive
    return None, replay_receive


def _use_current_multipart_parser() -> None:
    """Point asgi-csrf at :func:`_token_of_multipart_form` (it looks the function up by its module-level
    name on each request). Remove once an asgi-csrf release works with the python-multipart we lock."""
    asgi_csrf_library._parse_multipart_form_data = _token_of_multipart_form  # type: ignore[attr-defined]


_use_current_multipart_parser()


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

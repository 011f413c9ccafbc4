"""The Jinja2 environment shared by every page, and :func:`render`, which every page handler ends with.

Templates live in ``web/templates/``: ``layouts/`` (the HTML skeleton, the staff shell, the portal shell,
the sign-in card), ``shared/`` (error page, macros) and one folder per area (``staff/``, ``portal/``, later
``repairs/``, ``customers/`` …), named by path (``render(request, "staff/login.html")``). HTML is
autoescaped, and an unknown variable is an error rather than a blank (a typo fails the page's test).

There is one environment per language, each with its gettext catalog installed (``{{ _("Sign in") }}``,
``{% trans %}``; newstyle gettext, so translations are escaped and take ``%(name)s`` placeholders).
Globals: ``vendor_url`` and ``static_url`` (:mod:`fixdesk.web.assets`), ``csrf_field()`` (the hidden
input every ``<form method="post">`` carries) and ``csrf_token()`` (the same token, which the layout puts in
a ``<meta name="csrf-token">`` for htmx requests to send as a header). Filters: ``day`` (a date),
``moment`` (a date and time on the shop's clock), ``money`` (an amount in the shop's currency),
``unit_price`` (a price finer than cents, such as an SMS segment's, with all its decimals), all by Babel in
the page's locale.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from fixdesk.config import Settings
from fixdesk.repairs.messages import device_name
from fixdesk.web.assets import static_url, vendor_url
from fixdesk.web.i18n import (
    PageLocale,
    format_amount,
    format_day,
    format_moment,
    format_unit_price,
    negotiate,
    translations,
)

# The form field that carries the CSRF token; the token itself is ``request.state.csrf_token``, set for
# the pages' requests by the CSRF protection (fixdesk.web.csrf, whose library reads this name).
CSRF_FIELD_NAME = "csrftoken"


@pass_context
def _day(context: Context, value: Any) -> str:
    return format_day(value, context["locale"])


@pass_context
def _moment(context: Context, value: Any) -> str:
    return format_moment(value, context["locale"], context["shop"]["timezone"])


@pass_context
def _money(context: Context, amount: Any, currency: str | None = None) -> str:
    return format_amount(amount, currency or context["shop"]["currency"], context["locale"])


@pass_context
def _unit_price(context: Context, amount: Any, currency: str | None = None) -> str:
    return format_unit_price(amount, currency or context["shop"]["currency"], context["locale"])


@pass_context
def _csrf_token(context: Context) -> str:
    return getattr(context["request"].state, "csrf_token", "") or ""


@pass_context
def _csrf_field(context: Context) -> Markup:
    token = _csrf_token(context)
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD_NAME, token)


@functools.cache
def environment(language: str) -> Environment:
    """The page environment of ``language`` (one per language, built once)."""
    env = Environment(
        loader=PackageLoader("fixdesk.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        vendor_url=vendor_url, static_url=static_url, csrf_field=_csrf_field, csrf_token=_csrf_token
    )
    env.filters.update(day=_day, moment=_moment, money=_money, unit_price=_unit_price, device=_device)
    return env


def _device(record: Any) -> str:
    """``{{ repair|device }}``: the record's device (``device_brand``, ``device_model``) as people say it."""
    return device_name(getattr(record, "device_brand", None), getattr(record, "device_model", None))


def request_locale(request: Request, preferred: str | None = None) -> PageLocale:
    """The locale of a page answering ``request``: the user's ``preferred`` locale when the page knows
    it, else the browser's ``Accept-Language`` (see :func:`fixdesk.web.i18n.negotiate`)."""
    return negotiate(preferred, request.headers.get("accept-language"))


def shop_context(settings: Settings) -> dict[str, str]:
    """What every page may show of the shop: name, contacts, currency and time zone."""
    return {
        "name": settings.shop_name,
        "email": settings.shop_email,
        "phone": settings.shop_phone,
        "currency": settings.currency,
        "timezone": settings.shop_timezone,
    }


def visible_navigation(request: Request, principal: Any) -> tuple[Any, ...]:
    """The staff menu entries ``principal`` may open: an entry with a permission is shown only to a
    principal holding it (a page the user may not use is not offered)."""
    entries = getattr(request.app.state, "web_navigation", ())
    return tuple(
        item
        for item in entries
        if item.permission is None or (principal is not None and principal.has(item.permission))
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    locale: PageLocale | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` for ``request`` as an HTML response in the signed-in account's language, else
    the browser's (or ``locale``).

    Every template sees ``request``, ``locale``, ``shop`` (:func:`shop_context`), ``api_docs`` (whether
    /docs is served), ``principal`` (the signed-in user or customer, or ``None``) and ``navigation`` (the
    staff menu entries the principal may open, :mod:`fixdesk.web.pages`) besides ``context``.
    The answer says which language it is in (``Content-Language``) and that it depends on the browser's
    (``Vary: Accept-Language``)."""
    principal = getattr(request.state, "principal", None)
    locale = locale or request_locale(request, getattr(principal, "locale", None))
    settings: Settings = request.app.state.settings
    values: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "shop": shop_context(settings),
        "api_docs": settings.api_docs,
        "principal": principal,
        "navigation": visible_navigation(request, principal),
    }
    values.update(context or {})
    body = environment(locale.language).get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
    response.headers["Content-Language"] = locale.language
    response.headers["Vary"] = "Accept-Language"
    return response

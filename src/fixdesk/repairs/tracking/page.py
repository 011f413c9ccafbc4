"""The public tracking page (``GET /track/{token}``): a small HTML page of what the tracking link shows,
in the customer's language, rendered with Jinja2 from this package's ``templates/`` folder (autoescaped:
a device model typed in as ``<script>`` arrives as text).

Times are written in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``); the estimated completion is a
calendar date as the shop entered it (see :func:`fixdesk.messaging.service.format_date`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from fixdesk.config import Settings
from fixdesk.messaging.service import DEFAULT_LANGUAGE, LANGUAGES, format_date
from fixdesk.repairs import lifecycle
from fixdesk.repairs.messages import device_name
from fixdesk.repairs.tracking.schemas import ShopContact, TrackingRead

# Headers of every tracking answer, page or JSON. The URL is a secret: nothing may keep a copy (no-store),
# no link on the page may pass it on to another site (no-referrer), and search engines must not list it.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
# The page runs no script: its only style is inline and its only image the visit pixel from this origin,
# so that is all the policy allows.
PAGE_HEADERS = {
    **PRIVATE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}

PAGE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hi",
        "repair": "Repair",
        "estimated": "We expect it to be ready by",
        "completed": "Ready for pickup since",
        "delivered": "Collected on",
        "history": "Progress",
        "contact": "Questions? Contact us",
        "portal": "Approve quotes and follow all your repairs in the customer portal",
        "quote_number": "Please quote repair number",
        "private": "This page is your private link to this repair. Please do not share it.",
        "unknown_title": "Link not found",
        "unknown_body": "We could not find a repair for this link. Please check the link in your message, "
        "or contact us.",
    },
    "pt": {
        "greeting": "Olá",
        "repair": "Reparação",
        "estimated": "Prevemos que esteja pronto até",
        "completed": "Pronto para levantamento desde",
        "delivered": "Entregue em",
        "history": "Progresso",
        "contact": "Dúvidas? Contacte-nos",
        "portal": "Aprove orçamentos e acompanhe todas as suas reparações no portal do cliente",
        "quote_number": "Indique o número de reparação",
        "private": "Esta página é a sua ligação privada a esta reparação. Por favor, não a partilhe.",
        "unknown_title": "Ligação não encontrada",
        "unknown_body": "Não encontrámos nenhuma reparação para esta ligação. Verifique a ligação na sua "
        "mensagem ou contacte-nos.",
    },
}
_OPEN = {status.value for status in lifecycle.OPEN_STATUSES}
_LANGUAGE_TAG = re.compile(r"\s*([A-Za-z]{1,8})")


@functools.cache
def page_environment() -> Environment:
    """Jinja2 over this package's templates, HTML autoescaped, unknown variables an error."""
    return Environment(
        loader=PackageLoader("fixdesk.repairs.tracking", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _local_time(moment: datetime, settings: Settings, language: str) -> str:
    """``November 30, 2026, 14:05`` in the shop's time zone (``30 de novembro de 2026, 14:05``)."""
    local = moment.astimezone(ZoneInfo(settings.shop_timezone))
    # format_date reads an aware value in UTC; the naive local time keeps the shop's calendar day.
    return f"{format_date(local.replace(tzinfo=None), language)}, {local:%H:%M}"


def _phone_uri(phone: str) -> str:
    # RFC 3966 tel: URIs carry no spaces; keep the digits and a leading +.
    return re.sub(r"[^\d+]", "", phone)


def page_language(accept_language: str | None) -> str:
    """For the unknown-link page, which has no customer: the first language of ``Accept-Language`` (RFC
    9110 §12.5.4) that we have text for, else English. Quality values are not weighed: browsers list
    languages in order of preference."""
    for part in (accept_language or "").split(","):
        match = _LANGUAGE_TAG.match(part)
        if match and match.group(1).lower() in LANGUAGES:
            return match.group(1).lower()
    return DEFAULT_LANGUAGE


VISIT_PIXEL_PATH = "/api/v1/visits/pixel.gif"
"""The sales domain's visit pixel (``fixdesk.sales``): the page shows it so the shop's visitor figures count
tracking-page visits, without a script and without anything but a digest of the link."""


def visit_pixel_url(token: str) -> str:
    """The visit pixel's URL for the page of tracking link ``token``: the visitor is the link (the repair's
    customer), named by the first 32 hex digits of the token's SHA-256, never by the token itself."""
    visitor = hashlib.sha256(token.encode()).hexdigest()[:32]
    return f"{VISIT_PIXEL_PATH}?source=tracking&visitor=track-{visitor}"


def render_tracking_page(view: TrackingRead, settings: Settings, token: str | None = None) -> str:
    """The tracking page of ``view`` (from :func:`fixdesk.repairs.tracking.service.get_tracking`); with the
    link's ``token``, the page carries the visit pixel (:func:`visit_pixel_url`)."""
    language = view.language
    context: dict[str, Any] = {
        "visit_pixel": visit_pixel_url(token) if token else None,
        "language": language,
        "text": PAGE_TEXT[language],
        "view": view,
        "device": device_name(view.device_brand, view.device_model),
        "shop": view.shop.model_dump(),
        "phone_uri": _phone_uri(view.shop.phone),
        "steps": [
            {
                "label": step.label,
                "when": _local_time(step.at, settings, language),
                "iso": step.at.isoformat().replace("+00:00", "Z"),
            }
            for step in view.history
        ],
        "estimated_on": format_date(view.estimated_completion, language) if view.status in _OPEN else None,
        "completed_on": _local_time(view.completed_at, settings, language) if view.completed_at else None,
        "delivered_on": _local_time(view.delivered_at, settings, language) if view.delivered_at else None,
    }
    return page_environment().get_template("track.html").render(context)


def render_unknown_link_page(language: str, settings: Settings) -> str:
    """The page for a link that matches no repair (the same for every unknown link)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    context = {
        "language": language,
        "text": PAGE_TEXT[language],
        "shop": ShopContact.of(settings).model_dump(),
        "phone_uri": _phone_uri(settings.shop_phone),
    }
    return page_environment().get_template("unknown_link.html").render(context)

"""The public links inside a campaign email: open pixel, click redirect, unsubscribe (mounted at the root,
no credentials: the signed token in the path is the authority, see :mod:`.tokens`).

* ``GET /t/o/{token}.gif``: a 1×1 transparent GIF; records the first open (a ``GET`` that writes:
  :func:`~fixdesk.platform.deps.writes_on_read`, as the click). A bad token still gets the
  image (a mail client shows no broken picture) and records nothing.
* ``GET /t/c/{token}/{n}``: 302 to the campaign's ``n``-th link (:func:`.rendering.campaign_links`);
  records the first click. Any other link, or a bad token: 404. So the redirect can never be made to point
  anywhere the campaign's body does not (no open redirect).
* ``GET /unsubscribe/{token}``: a small page with one button; it changes nothing (mail scanners and link
  previews fetch GET links). ``POST /unsubscribe/{token}``: unsubscribes at once, whatever the body: the
  RFC 8058 one-click request (``List-Unsubscribe=One-Click``, sent by the mail client with no cookie and no
  page) and the page's button alike. Answers a short confirmation page.
"""

from __future__ import annotations

import base64
import html
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from fixdesk.marketing.campaigns import service
from fixdesk.marketing.campaigns.tokens import TokenSigner
from fixdesk.platform.deps import SessionDep, SettingsDep, writes_on_read
from fixdesk.platform.errors import NotFound
from fixdesk.platform.openapi import problems
from fixdesk.platform.permissions import public

router = APIRouter(tags=["email-tracking"], dependencies=[Depends(public)])

# The smallest transparent GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
PAGE_HEADERS = {
    **PRIVATE_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
TEXT = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving marketing emails from {shop} at {address}?",
        "button": "Unsubscribe",
        "done": "You are unsubscribed: {shop} will send no more marketing emails to {address}.",
        "unknown": "This unsubscribe link is not valid.",
    },
    "pt": {
        "title": "Cancelar subscrição",
        "ask": "Deixar de receber emails de marketing de {shop} em {address}?",
        "button": "Cancelar subscrição",
        "done": "Subscrição cancelada: {shop} não enviará mais emails de marketing para {address}.",
        "unknown": "Esta ligação para cancelar a subscrição não é válida.",
    },
}


def _page(language: str, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status_code, headers=PAGE_HEADERS)


@router.get(
    "/t/o/{pixel}",
    operation_id="email-tracking-open",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "A 1×1 transparent GIF"}},
)
@writes_on_read
async def open_pixel(pixel: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The open pixel of a campaign email (``/t/o/{token}.gif``): records the recipient's first open."""
    recipient = TokenSigner(settings).verify(pixel.removesuffix(".gif"))
    if recipient is not None:
        await service.record_open(session, *recipient)
    return Response(PIXEL, media_type="image/gif", headers=PRIVATE_HEADERS)


@router.get(
    "/t/c/{token}/{index}",
    operation_id="email-tracking-click",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={302: {"description": "To the campaign's link"}, **problems(404)},
)
@writes_on_read
async def click(token: str, index: int, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """A tracked link of a campaign email: records the click and redirects to the campaign's link."""
    recipient = TokenSigner(settings).verify(token)
    if recipient is None:
        raise NotFound("Unknown link.")
    target = await service.record_click(session, *recipient, index)
    return RedirectResponse(target, status_code=status.HTTP_302_FOUND, headers=PRIVATE_HEADERS)


@router.get(
    "/unsubscribe/{token}",
    operation_id="email-unsubscribe-page",
    response_class=HTMLResponse,
    responses=problems(404),
)
async def unsubscribe_page(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The unsubscribe confirmation page: one button; opening it changes nothing."""
    recipient = TokenSigner(settings).verify(token)
    row = None
    if recipient is not None:
        try:
            row = await service.recipient_of(session, *recipient)
        except NotFound:
            row = None
    if row is None:
        raise NotFound(TEXT["en"]["unknown"])
    language = row.language if row.language in TEXT else "en"
    text = TEXT[language]
    ask = text["ask"].format(shop=settings.shop_name, address=row.email)
    body = (
        f"<p>{html.escape(ask)}</p>"
        f'<form method="post" action="/unsubscribe/{html.escape(token)}">'
        '<input type="hidden" name="via" value="page">'
        f'<button type="submit">{html.escape(text["button"])}</button></form>'
    )
    return _page(language, text["title"], body)


@router.post(
    "/unsubscribe/{token}",
    operation_id="email-unsubscribe",
    response_class=HTMLResponse,
    responses=problems(404),
)
async def unsubscribe(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    via: Annotated[str | None, Form(description="page: the confirmation page's button")] = None,
    list_unsubscribe: Annotated[
        str | None, Form(alias="List-Unsubscribe", description="One-Click (RFC 8058)")
    ] = None,
) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058) and the page's button: suppresses the address and withdraws the
    email consent at once."""
    recipient = TokenSigner(settings).verify(token)
    if recipient is None:
        raise NotFound(TEXT["en"]["unknown"])
    row = await service.unsubscribe(session, *recipient, one_click=via != "page")
    language = row.language if row.language in TEXT else "en"
    text = TEXT[language]
    done = text["done"].format(shop=settings.shop_name, address=row.email)
    return _page(language, text["title"], f"<p>{html.escape(done)}</p>")

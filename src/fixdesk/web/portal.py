"""The customer portal's shell under ``/portal``, phone first: the sign-in page and the start page.

Customers sign in with their password, or, leaving it empty, ask for a code by email (passwordless
accounts), as ``POST /api/v1/auth/login`` allows. The form posts to ``/portal/login``, which the identity
service answers once browser sessions exist (issue 10, item 2); until then the pages only render.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from fixdesk.platform.permissions import public
from fixdesk.web.pages import WebPages
from fixdesk.web.templating import render

router = APIRouter()


@router.get("", dependencies=[Depends(public)])
async def start(request: Request) -> HTMLResponse:
    """The portal's start page (``/portal``), where a customer's repairs will be listed."""
    return render(request, "portal/start.html")


@router.get("/login", dependencies=[Depends(public)])
async def login_form(request: Request) -> HTMLResponse:
    """The customer sign-in form: email and password, or email alone for a code."""
    return render(request, "portal/login.html")


pages = WebPages(name="portal", portal=router)

"""The staff app's shell under ``/app``: the sign-in page and the start page in the staff layout.

The sign-in form posts to ``/app/login``, which the identity service answers once browser sessions exist
(issue 10, item 2); until then the pages only render. The start page ``/app`` is the dashboard
(:mod:`fixdesk.web.dashboard`, carried by the analytics manifest).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from fixdesk.platform.permissions import public
from fixdesk.web.pages import WebPages
from fixdesk.web.templating import render

router = APIRouter()


@router.get("/login", dependencies=[Depends(public)])
async def login_form(request: Request) -> HTMLResponse:
    """The staff sign-in form: email, password, "remember me on this device"."""
    return render(request, "staff/login.html")


pages = WebPages(name="staff", staff=router)

"""The gadgets domain's web page: a staff page at /app/gadgets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from fixdesk.platform.permissions import Principal, require
from fixdesk.web.pages import NavItem, WebPages
from tests.throwaway_domain.manifest import GADGETS_READ

router = APIRouter()


@router.get("/gadgets", response_class=HTMLResponse)
async def gadgets_page(_: Annotated[Principal, Depends(require(GADGETS_READ))]) -> str:
    """The gadgets page."""
    return "<!DOCTYPE html><title>Gadgets</title><h1>Gadgets</h1>"


pages = WebPages(
    name="gadgets",
    staff=router,
    navigation=(NavItem("Gadgets", "/app/gadgets", "device-gamepad", permission=GADGETS_READ),),
)

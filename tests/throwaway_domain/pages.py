"""The gadgets domain's web page."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from fixdesk.platform.permissions import public

router = APIRouter(dependencies=[Depends(public)], include_in_schema=False)


@router.get("/gadgets-page", response_class=HTMLResponse)
async def gadgets_page() -> str:
    """The gadgets page."""
    return "<!DOCTYPE html><title>Gadgets</title><h1>Gadgets</h1>"

"""How an area registers its pages: a :class:`WebPages` value naming its routers and its menu entries.

An area (the staff shell, the portal, later each domain: repairs, customers, catalog …) is one module in
``fixdesk/web/`` with one template folder, and exposes one ``WebPages``::

    staff_router = APIRouter()          # paths relative to /app

    @staff_router.get("/repairs", dependencies=[Depends(require("repairs:read"))])
    async def repairs_board(request: Request) -> HTMLResponse:
        return render(request, "repairs/board.html", {...})

    pages = WebPages(
        name="repairs",
        staff=staff_router,
        navigation=(NavItem(N_("Repairs"), "/app/repairs", "tool", permission="repairs:read", order=20),),
    )

:func:`include_pages` mounts a list of them: ``staff`` routers under ``/app``, ``portal`` routers under
``/portal``, ``public`` ones at the root, all left out of the OpenAPI document (pages are not the API).
The list is plain data so that each domain's manifest can carry its ``WebPages`` and the app pass them all
to :func:`fixdesk.web.install.install_web`. Page routes declare who may open them the way API routes do
(``require(...)``, ``CustomerPortal``, ``public``): ``tests/test_authorization_matrix.py`` checks pages too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from fixdesk.platform.routes import include_router

STAFF_PREFIX = "/app"
PORTAL_PREFIX = "/portal"


@dataclass(frozen=True)
class NavItem:
    """One entry of the staff menu.

    ``label`` is an English message marked with :func:`fixdesk.web.i18n.N_` (translated when the menu is
    drawn), ``href`` the page's path, ``icon`` a Tabler icon name (``tool`` → ``ti ti-tool``),
    ``permission`` the permission a user needs to see the entry (``None``: every staff user), ``order``
    its place (lower first)."""

    label: str
    href: str
    icon: str
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class WebPages:
    """The pages of one area: routers for the staff app (``/app``), the portal (``/portal``) and the root,
    and the staff menu entries leading to them."""

    name: str
    staff: APIRouter | None = None
    portal: APIRouter | None = None
    public: APIRouter | None = None
    navigation: tuple[NavItem, ...] = ()


def include_pages(app: FastAPI, pages: Iterable[WebPages]) -> None:
    """Mount every area's routers and collect the staff menu into ``app.state.web_navigation``.

    Raises ``ValueError`` when two areas share a name (a manifest listed twice)."""
    navigation: list[NavItem] = list(getattr(app.state, "web_navigation", ()))
    seen: set[str] = set(getattr(app.state, "web_areas", ()))
    for area in pages:
        if area.name in seen:
            raise ValueError(f"web pages {area.name!r} are registered twice")
        seen.add(area.name)
        for router, prefix in ((area.staff, STAFF_PREFIX), (area.portal, PORTAL_PREFIX), (area.public, "")):
            if router is not None:
                include_router(app, router, prefix=prefix, include_in_schema=False)
        navigation.extend(area.navigation)
    app.state.web_areas = frozenset(seen)
    app.state.web_navigation = tuple(sorted(navigation, key=lambda item: (item.order, item.href)))

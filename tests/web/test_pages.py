"""The web app's shell over HTTP: the root opens the staff app, the sign-in pages render in the reader's
language with the shop's name, every page carries its security headers, browser requests get HTML error
pages while the API keeps its problem details, and static files are cached by their version."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request

from fixdesk.platform.errors import install_error_handlers
from fixdesk.platform.permissions import public
from fixdesk.web.assets import vendor_url
from fixdesk.web.i18n import N_
from fixdesk.web.install import install_web
from fixdesk.web.pages import NavItem, WebPages, include_pages
from fixdesk.web.templating import render
from tests.conftest import make_settings
from tests.web.conftest import web_app

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a 500 is the answer under test, as a browser would receive it.
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_the_root_opens_the_staff_app(web_client):
    response = await web_client.get("/")

    assert response.status_code == 302
    assert response.headers["location"] == "/app"


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/app/login", "Sign in to your account"), ("/portal/login", "Follow your repair")],
)
async def test_sign_in_pages_show_the_shop_and_a_labelled_form(web_client, path, heading):
    response = await web_client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert f">{heading}</h1>" in page
    assert "Fixdesk Demo Repair" in page
    assert f'<form method="post" action="{path}"' in page
    # Every input has a label pointing at it.
    for control in re.findall(r'<input id="([^"]+)"', page):
        assert f'<label class="form-label" for="{control}">' in page or control == "remember_me"
    assert response.headers["content-language"] == "en"


async def test_pages_speak_portuguese_to_a_portuguese_browser(web_client):
    response = await web_client.get("/portal/login", headers={"Accept-Language": "en;q=0.5, pt-PT"})

    assert response.status_code == 200
    assert '<html lang="pt">' in response.text
    assert "Acompanhe a sua reparação" in response.text
    assert ">Palavra-passe</label>" in response.text
    assert response.headers["content-language"] == "pt"
    assert "Accept-Language" in response.headers["vary"]


async def test_the_shop_name_is_escaped(tmp_path):
    app = web_app(tmp_path, shop_name="<script>alert(1)</script> Repairs")
    async with client_for(app) as http:
        page = (await http.get("/app/login")).text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Repairs" in page


@pytest.mark.parametrize(
    "path", ["/app/login", "/app/accept-invite", "/portal/login", "/portal/reset-password", "/docs", "/redoc"]
)
async def test_every_page_sends_the_security_headers(web_client, path):
    response = await web_client.get(path)

    assert response.status_code == 200
    headers = response.headers
    policy = headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-eval" not in policy
    assert "http" not in policy  # no other host, whatever the directive
    if path.startswith("/app") or path.startswith("/portal"):
        assert directives["style-src"] == "'self'"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]


async def test_a_route_with_its_own_policy_keeps_it(client):
    # The public tracking page has a stricter policy of its own; the web headers do not replace it.
    response = await client.get("/track/not-a-real-token", headers=HTML)

    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]

    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_api_gets_no_page_headers(web_client):
    response = await web_client.get("/health")

    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert "x-frame-options" not in response.headers


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/app/no-such-page", {}), ("/portal/no-such-page", {}), ("/no-such-page", HTML)],
)
async def test_an_unknown_page_is_an_html_404(web_client, path, headers):
    response = await web_client.get(path, headers=headers)

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert ">Page not found</h1>" in response.text
    assert 'href="/portal"' in response.text if path.startswith("/portal") else 'href="/app"' in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_404_page_is_translated(web_client):
    response = await web_client.get("/app/no-such-page", headers={"Accept-Language": "pt"})

    assert ">Página não encontrada</h1>" in response.text


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/no-such-page"])
async def test_the_api_and_non_browsers_keep_problem_details(web_client, path):
    # An API path is answered as the API, even to a browser; elsewhere, a client not asking for HTML
    # (curl, httpx) gets problem details as before.
    response = await web_client.get(path, headers=HTML if path.startswith("/api") else {})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "NOT_FOUND"


async def test_a_wrong_method_on_a_page_is_an_html_405(web_client):
    # With the page's CSRF token (cookie and header, as htmx sends it): the method is what is wrong.
    page = await web_client.get("/app/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    cookie = page.cookies["fixdesk_csrf"]  # Secure outside development: sent back by hand over http
    response = await web_client.delete(
        "/app/login", headers={"X-CSRFToken": token, "Cookie": f"fixdesk_csrf={cookie}"}
    )

    assert response.status_code == 405
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def _failing_pages() -> WebPages:
    router = APIRouter()

    @router.get("/boom", dependencies=[Depends(public)])
    async def boom(request: Request) -> None:
        raise RuntimeError("the database fell over")

    return WebPages(name="failing", staff=router)


async def test_an_unexpected_error_on_a_page_is_an_html_500_with_the_request_id(tmp_path):
    app = web_app(tmp_path)
    include_pages(app, [_failing_pages()])
    async with client_for(app) as http:
        response = await http.get("/app/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert ">Something went wrong</h1>" in response.text
    assert "the database fell over" not in response.text
    request_id = response.headers["x-request-id"]
    assert f"<code>{request_id}</code>" in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_registered_pages_are_mounted_with_their_menu_entries(tmp_path):
    staff = APIRouter()

    @staff.get("/example", dependencies=[Depends(public)])
    async def board(request: Request) -> Any:
        return render(request, "staff/start.html")

    pages = WebPages(
        name="example",
        staff=staff,
        navigation=(NavItem(N_("Home"), "/app/example", "tool", order=20),),
    )
    app = web_app(tmp_path)
    include_pages(app, [pages])
    async with client_for(app) as http:
        response = await http.get("/app/example", headers={"Accept-Language": "pt"})
        document = (await http.get("/openapi.json")).json()

    assert response.status_code == 200
    assert 'href="/app/example" aria-current="page"' in response.text
    assert "ti ti-tool" in response.text
    # The label is translated when the menu is drawn.
    assert response.text.count("Início") >= 2
    # Pages are not part of the API's document.
    assert not any(path.startswith(("/app", "/portal")) for path in document["paths"])
    with pytest.raises(ValueError, match="registered twice"):
        include_pages(app, [pages])


def test_install_web_takes_the_domains_pages(tmp_path):
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}", tmp_path)
    app = FastAPI()
    install_error_handlers(app)
    install_web(app, settings, [_failing_pages()])

    assert app.state.web_areas == {"staff", "portal", "failing"}


async def test_vendored_files_are_cached_for_a_year_and_our_own_by_digest(web_client):
    vendored = await web_client.get(vendor_url("htmx", "htmx.min.js"))
    page = (await web_client.get("/app/login")).text
    own = re.search(r'href="(/static/fixdesk/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    current = await web_client.get(own)
    stale = await web_client.get("/static/fixdesk/app.css?v=000000000000")

    assert vendored.status_code == 200
    assert vendored.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert vendored.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert vendored.headers["x-content-type-options"] == "nosniff"
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert current.headers["content-type"].startswith("text/css")
    assert stale.headers["cache-control"] == "no-cache"
    assert (await web_client.get("/static/fixdesk/no-such-file.css")).status_code == 404

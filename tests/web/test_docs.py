"""/docs and /redoc are served from the package's own files (they work offline and load nothing from
another host), and ``FIXDESK_API_DOCS=false`` turns them off while /openapi.json stays."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.conftest import make_settings
from tests.factories import make_user

EXPECTED_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".svg": ("image/svg+xml",),
}


class References(HTMLParser):
    """Every URL a page makes the browser fetch or offers to follow."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url", "data-openapi-url", "action") and value:
                self.urls.append(value)


def references(page: str) -> list[str]:
    parser = References()
    parser.feed(page)
    return parser.urls


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_pages_use_only_files_served_here(web_client, path):
    response = await web_client.get(path)

    assert response.status_code == 200
    urls = references(response.text)
    assert urls, "the page references nothing: the parser found no script"
    scripts = [u for u in urls if ".js" in u]
    assert scripts, urls
    for url in urls:
        assert url.startswith("/"), f"{url} is not on this server"
        assert not url.startswith("//"), f"{url} is on another host"
        served = await web_client.get(url)
        assert served.status_code == 200, url
        suffix = re.search(r"\.[a-z]+(?=$|\?)", url)
        if suffix and suffix.group() in EXPECTED_TYPES:
            assert served.headers["content-type"].startswith(EXPECTED_TYPES[suffix.group()]), url
    # Nothing in the page itself points elsewhere either (no CDN, no web font service).
    assert not re.search(r"https?://", response.text)
    # The start-up code is a file, not an inline script.
    assert not re.search(r"<script>(?!</script>)", response.text)


async def test_swagger_ui_is_started_by_a_local_script_without_the_validator(web_client):
    page = (await web_client.get("/docs")).text
    init = next(u for u in references(page) if "swagger-ui-init.js" in u)

    script = (await web_client.get(init)).text

    assert "SwaggerUIBundle(" in script
    assert "validatorUrl: null" in script


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_docs_can_be_turned_off_and_openapi_json_stays(
    tmp_path, database, database_url, sessionmaker
):
    app = database.app(make_settings(database_url, tmp_path, api_docs=False))
    admin = await make_user(app, sessionmaker)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        docs = await http.get("/docs")
        redoc = await http.get("/redoc")
        oauth_redirect = await http.get("/docs/oauth2-redirect")
        document = await http.get("/openapi.json")
        shell = await http.get("/app", headers=admin.headers)

    assert (docs.status_code, redoc.status_code, oauth_redirect.status_code) == (404, 404, 404)
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Fixdesk API"
    # The staff menu no longer offers the documentation.
    assert shell.status_code == 200
    assert 'href="/docs"' not in shell.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_docs_are_on_by_default_and_linked_from_the_staff_menu(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker)
    shell = await client.get("/app", headers=admin.headers)

    assert shell.status_code == 200
    assert 'href="/docs"' in shell.text
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404

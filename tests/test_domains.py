"""One place per domain (docs/ARCHITECTURE.md, "Domains and their manifests"): every domain package has a
manifest in the list of domains, everything a manifest names exists, the manifests agree with one another,
and a new domain takes effect through its manifest and one line in the list, touching no other file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from jinja2 import PackageLoader
from starlette.routing import compile_path

from fixdesk.app import create_app
from fixdesk.bootstrap import load_domains
from fixdesk.customfields import registry as custom_field_entities
from fixdesk.domains import DOMAINS
from fixdesk.identity.permissions import build_table
from fixdesk.messaging.service import LANGUAGES
from fixdesk.platform import domains
from fixdesk.platform.domains import DomainManifest, Permission, resolve
from fixdesk.platform.events import CATALOG
from fixdesk.platform.jobs.registry import registry as jobs
from fixdesk.web.pages import WebPages
from tests.conftest import make_settings
from tests.test_authorization_matrix import PATH_PARAMETER, flat_routes

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "fixdesk"
# Packages under src/fixdesk that are not domains, and why.
NOT_DOMAINS = {
    "integrations": "adapters to email and SMS providers, used by the domains' jobs",
    "web": "the web app's shell and machinery; each domain's pages are listed in its manifest",
    "demo": "the demo shop and its bulk loader: a tool over every domain",
    "migrations": "Alembic's migrations, one history for every domain's tables",
}

load_domains()


def packages() -> list[str]:
    return sorted(path.parent.name for path in SOURCE.glob("*/__init__.py"))


def test_every_domain_package_has_a_manifest_in_the_list():
    listed = {manifest.name: manifest for manifest in DOMAINS}
    missing = []
    for package in packages():
        if package in NOT_DOMAINS:
            assert not (SOURCE / package / "manifest.py").exists(), f"{package} has a manifest: list it"
            continue
        manifest = resolve(f"fixdesk.{package}.manifest:MANIFEST")
        if listed.get(package) is not manifest:
            missing.append(package)
    assert missing == [], f"add these domains' manifests to fixdesk.domains.DOMAINS: {missing}"
    assert set(listed) == set(packages()) - set(NOT_DOMAINS), "a listed domain has no package"


def test_everything_a_manifest_names_exists():
    for manifest in DOMAINS:
        for mount in manifest.routers:
            assert isinstance(resolve(mount.router), APIRouter), mount.router
        for path in manifest.pages:
            assert isinstance(resolve(path), WebPages), path
        for schedule in manifest.periodic_jobs:
            assert jobs.periodics[schedule.name] == schedule
            assert jobs.get(schedule.kind) is not None, f"no handler for the periodic job {schedule.kind}"
        for entity in manifest.custom_field_entities:
            assert custom_field_entities.column(entity.name).key == "custom_fields"
        for templates in manifest.message_templates:
            loader = PackageLoader(templates.package, templates.folder)
            shipped = set(loader.list_templates())
            for name in templates.names:
                for language in LANGUAGES:
                    assert {f"{language}/{name}.txt", f"{language}/{name}.html"} <= shipped, name


def hidden_routes(routes: list[tuple[str, frozenset[str]]]) -> list[str]:
    """Routes (path, methods) that an earlier route answers for: the earlier one's pattern matches the
    later one's path, parameters filled in, for a method both serve."""
    hidden = []
    for index, (path, methods) in enumerate(routes):
        sample = PATH_PARAMETER.sub("x0x", path)
        for earlier, earlier_methods in routes[:index]:
            if earlier != path and methods & earlier_methods and compile_path(earlier)[0].match(sample):
                hidden.append(f"{sorted(methods & earlier_methods)} {path} is answered by {earlier}")
    return hidden


def test_no_route_is_hidden_by_a_route_mounted_before_it(tmp_path):
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}", tmp_path))
    routes = [
        (route.path, frozenset(route.methods))
        for route in flat_routes(app)
        if isinstance(getattr(route, "original_route", route), APIRoute)
    ]
    assert ("/api/v1/catalog/pricing/export", frozenset({"GET"})) in routes
    assert hidden_routes(routes) == []
    # The check can fail: the catalog's routers mounted the other way round.
    assert hidden_routes(
        [
            ("/api/v1/catalog/pricing/{pricing_id}", frozenset({"GET"})),
            ("/api/v1/catalog/pricing/export", frozenset({"GET"})),
        ]
    ) == ["['GET'] /api/v1/catalog/pricing/export is answered by /api/v1/catalog/pricing/{pricing_id}"]


def test_every_event_of_the_catalogue_comes_from_a_module_a_manifest_lists():
    # An event module missing from its manifest would leave the event out of the catalogue (webhooks
    # subscriptions, the README) until something happened to import it.
    listed = {module for manifest in DOMAINS for module in manifest.events}
    strays = sorted(name for name, entry in CATALOG.items() if entry.payload.__module__ not in listed)
    assert strays == []
    assert len(CATALOG) >= 18


def test_the_repairs_manifest_lets_customers_follow_their_repairs_live():
    assert domains.customer_event_patterns() == ("repair.*",)


# Domains added after the permission table moved into the manifests: they add permissions of their own.
ADDED_AFTER_THE_MOVE = {"fieldservice", "sales", "billing", "marketing"}


def test_the_shipped_permission_table_is_unchanged_by_the_move_to_manifests():
    table = build_table([manifest for manifest in DOMAINS if manifest.name not in ADDED_AFTER_THE_MOVE])
    assert len(table.permissions) == 20
    assert table.roles["admin"] == table.permissions
    assert len(table.roles["manager"]) == 14
    assert table.roles["technician"] == {
        "customers:read",
        "repairs:read",
        "repairs:update",
        "users:read",
        "catalog:read",
        "attachments:write",
        "custom_fields:read",
    }


def manifest(name: str, **values) -> DomainManifest:
    return DomainManifest(name=name, description=name, **values)


def test_manifests_that_contradict_one_another_are_refused():
    read = Permission("things:read", "Read things.")
    with pytest.raises(ValueError, match="listed twice"):
        domains.check([manifest("things"), manifest("things")])
    with pytest.raises(ValueError, match="declared by 'things' and 'others'"):
        domains.check([manifest("things", permissions=(read,)), manifest("others", permissions=(read,))])
    with pytest.raises(ValueError, match="undeclared permissions"):
        domains.check([manifest("things", role_grants={"agent": frozenset({"things:write"})})])
    with pytest.raises(ValueError, match="unknown role 'intern'"):
        build_table([manifest("things", permissions=(read,), role_grants={"intern": frozenset({read.name})})])
    with pytest.raises(ValueError, match="admin"):
        build_table([manifest("things", permissions=(read,), role_grants={"admin": frozenset({read.name})})])


def test_a_process_serves_one_list_of_domains():
    with pytest.raises(RuntimeError, match="already installed"):
        load_domains([*DOMAINS, manifest("things")])
    assert load_domains() == DOMAINS


def test_a_new_domain_plugs_in_through_its_manifest_alone(tmp_path):
    # tests/throwaway_domain is a complete domain; tests/throwaway_domain/check.py builds the app with it
    # added to the list, in a subprocess so that its table, event and permission stay out of this one.
    completed = subprocess.run(
        [sys.executable, "-m", "tests.throwaway_domain.check", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    facts = json.loads(completed.stdout.strip().splitlines()[-1])

    # Its routes are served and documented, guarded by its permission, granted as its manifest says.
    assert facts["openapi_paths"] == ["/api/v1/gadgets/{gadget_id}", "/api/v1/gadgets/{gadget_id}/tested"]
    assert facts["get_as"] == {"admin": 200, "technician": 200, "agent": 403}
    assert facts["agent_refusal"] == "gadgets:read"
    assert facts["permissions"] == {"declared": True, "technician": True, "agent": False, "admin": True}
    # Its event is in the catalogue, and the customer it concerns receives it live (nobody else does).
    assert facts["tested"] == 202
    assert facts["catalogue"] == ["gadget.tested"]
    assert facts["live"] == {"owner": True, "stranger": False}
    # Its upload limit, custom field entity, periodic job, message template and page take effect.
    assert facts["upload_limits"] == [["/api/v1/gadgets/[^/]+/manual", facts["manual_bytes"] + 64 * 1024]]
    assert facts["custom_field_entities"] == ["customer", "repair", "gadget"]
    assert facts["custom_field"] == [201, "gadget"]
    assert facts["periodic"] is True
    assert facts["message"] == "Your gadget is ready, Ana"
    assert facts["page"] == {"technician": [200, "text/html"], "agent": [403, "text/html"]}

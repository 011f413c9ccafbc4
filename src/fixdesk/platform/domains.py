"""Domain manifests: how a business domain plugs itself into Fixdesk, in one place.

Each domain package has a ``manifest.py`` exposing ``MANIFEST = DomainManifest(...)``, and
``fixdesk/domains.py`` lists them (``DOMAINS``). Everything that used to be wired by hand in several files
reads that list: the app mounts the routers and pages and sets the upload limits, ``fixdesk.bootstrap``
imports the model, event and job modules and registers the periodic jobs, the permission table
(:mod:`fixdesk.identity.permissions`) is built from the declared permissions and role grants, the custom
field registry learns its entities, the messaging templates their folders, and the live-event hub which
events a portal customer may receive. Adding a domain is its package, its migration and one line in
``DOMAINS``.

A manifest names what must be *loaded* (routers, model modules, event and job modules) by import path,
``"package.module"`` or ``"package.module:attribute"``, resolved when the app or the worker is built: so
the list can be read without importing every domain's services, whose imports of one another would
otherwise run in a circle. It holds plain values for the rest (permission names, role grants, periodic
schedules, upload limits, event patterns, custom field entities).

This module is part of the platform: it knows the shape of a manifest and which ones are installed, never
a domain.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fixdesk.platform.jobs.registry import Periodic

if TYPE_CHECKING:
    from fixdesk.config import Settings

API_PREFIX = "/api/v1"
"""Where API routers are mounted (the default of :attr:`Mount.prefix`)."""


@dataclass(frozen=True)
class Mount:
    """A router of a domain and where it is mounted. Routers are mounted in the order of ``DOMAINS``, then
    in the order a manifest lists them: list the more specific one first when two routers' paths overlap
    (the catalog's ``/catalog/pricing/export`` before ``/catalog/pricing/{id}``)."""

    router: str
    """Import path of the ``APIRouter``: ``"fixdesk.catalog.router:router"``."""
    prefix: str = API_PREFIX
    """``/api/v1`` for the API; ``""`` for a router at the root (the public tracking page ``/track/…``)."""


@dataclass(frozen=True)
class Permission:
    """A permission a domain's endpoints require: ``<area>:<action>`` and what holding it allows."""

    name: str
    description: str


@dataclass(frozen=True)
class UploadLimit:
    """A route that takes a body larger than ``FIXDESK_MAX_BODY_BYTES``: a file upload.

    ``path`` is a regular expression of the path under :data:`API_PREFIX`
    (``r"/repairs/[^/]+/attachments"``); ``max_bytes`` gives the largest file the settings allow. The app
    adds the multipart framing around the file; the service checks the file's own size exactly."""

    path: str
    max_bytes: Callable[[Settings], int]
    prefix: str = API_PREFIX
    """Where ``path`` is under: the API (default), or ``"/app"`` for a web page's upload form."""


@dataclass(frozen=True)
class CustomFieldEntity:
    """A kind of record the shop can define custom fields on (:mod:`fixdesk.customfields`): its name in
    definitions (``"repair"``) and the JSON column of the model that holds the values, given as an import
    path (``"fixdesk.repairs.models:Repair.custom_fields"``)."""

    name: str
    column: str


@dataclass(frozen=True)
class MessageTemplates:
    """Customer message templates a domain ships (:mod:`fixdesk.messaging`): the folder
    ``<package>/<folder>/<language>/`` holding ``<name>.txt`` and ``<name>.html`` for each name."""

    package: str
    folder: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class DomainManifest:
    """Everything a domain contributes to the application; see the module docstring."""

    name: str
    """The domain's package name under ``fixdesk`` (``"repairs"``)."""
    description: str
    routers: tuple[Mount, ...] = ()
    permissions: tuple[Permission, ...] = ()
    role_grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """What each staff role other than ``admin`` holds of this domain's permissions (``admin`` holds every
    permission of every domain). Role names are identity's (``manager``, ``technician``, ``agent``)."""
    models: tuple[str, ...] = ()
    """Modules defining the domain's tables (imported for Alembic and ``Base.metadata``)."""
    events: tuple[str, ...] = ()
    """Modules adding the domain's events to the catalogue (:func:`fixdesk.platform.events.event_type`)."""
    jobs: tuple[str, ...] = ()
    """Modules registering job handlers and event subscribers (``@handler``, ``@subscriber``)."""
    periodic_jobs: tuple[Periodic, ...] = ()
    upload_limits: tuple[UploadLimit, ...] = ()
    custom_field_entities: tuple[CustomFieldEntity, ...] = ()
    message_templates: tuple[MessageTemplates, ...] = ()
    pages: tuple[str, ...] = ()
    """Import paths of the domain's web pages, each a :class:`fixdesk.web.pages.WebPages` value (its
    staff, portal and public routers and its menu entries), handed to :func:`fixdesk.web.install.install_web`."""
    customer_live_events: tuple[str, ...] = ()
    """Shell-style patterns (``"repair.*"``) of the events a portal customer may receive live about
    themselves. An allow-list: an event whose payload carries staff-only fields is never sent to the
    portal unless its domain lists it."""

    @property
    def permission_names(self) -> frozenset[str]:
        return frozenset(permission.name for permission in self.permissions)

    def modules(self) -> tuple[str, ...]:
        """Every module to import when the domain is loaded: models, events, jobs, in that order."""
        return (*self.models, *self.events, *self.jobs)


def resolve(path: str) -> Any:
    """The object at import path ``"package.module:attribute.attribute"`` (or the module itself for a path
    without ``:``). Raises ``ImportError``/``AttributeError`` for a path that names nothing."""
    module_name, _, attributes = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for attribute in attributes.split(".") if attributes else ():
        target = getattr(target, attribute)
    return target


# --- the installed domains -------------------------------------------------------------------------------

_installed: tuple[DomainManifest, ...] | None = None


def check(manifests: Iterable[DomainManifest]) -> None:
    """Raise ``ValueError`` when manifests contradict one another: a domain listed twice, a permission or a
    custom field entity declared by two domains, or a role granted a permission nobody declares."""
    names: set[str] = set()
    declared: dict[str, str] = {}
    entities: dict[str, str] = {}
    manifests = tuple(manifests)
    for manifest in manifests:
        if manifest.name in names:
            raise ValueError(f"domain {manifest.name!r} is listed twice")
        names.add(manifest.name)
        for permission in manifest.permissions:
            if permission.name in declared:
                raise ValueError(
                    f"permission {permission.name!r} is declared by {declared[permission.name]!r} "
                    f"and {manifest.name!r}"
                )
            declared[permission.name] = manifest.name
        for entity in manifest.custom_field_entities:
            if entity.name in entities:
                raise ValueError(f"custom field entity {entity.name!r} is declared twice")
            entities[entity.name] = manifest.name
    for manifest in manifests:
        for role, granted in manifest.role_grants.items():
            unknown = sorted(set(granted) - set(declared))
            if unknown:
                raise ValueError(f"{manifest.name!r} grants {role!r} undeclared permissions {unknown}")


def install(manifests: Sequence[DomainManifest]) -> None:
    """Make ``manifests`` this process's domains (:func:`fixdesk.bootstrap.load_domains` does it for the
    server, the worker and the CLI). Installing the same list again changes nothing; a process serves one
    set of domains, so installing another raises ``RuntimeError``."""
    global _installed
    manifests = tuple(manifests)
    if _installed is not None:
        if _installed != manifests:
            installed_names = [manifest.name for manifest in _installed]
            raise RuntimeError(f"this process already installed the domains {installed_names}")
        return
    check(manifests)
    _installed = manifests


def installed() -> tuple[DomainManifest, ...]:
    """The installed domains. Raises ``RuntimeError`` before :func:`install` ran: what reads them (the
    permission table, the live-event allow-list) must not silently see none."""
    if _installed is None:
        raise RuntimeError("no domains are installed: call fixdesk.bootstrap.load_domains() first")
    return _installed


def customer_event_patterns() -> tuple[str, ...]:
    """Patterns of the events portal customers may receive live, from every installed manifest."""
    return tuple(pattern for manifest in installed() for pattern in manifest.customer_live_events)

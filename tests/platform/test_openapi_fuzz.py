"""The API keeps the promises of its OpenAPI document: schemathesis fuzzes every operation in process.

Schemathesis reads ``/openapi.json`` and, for each operation, sends the document's examples, boundary and
negative cases (its coverage phase) and a bounded number of generated requests, with a fixed seed, to the
ASGI app (no network, no server). Every response goes through all of its checks: no server error, only
documented statuses, content types and headers, bodies matching their schemas, invalid input refused,
valid input accepted, 405 with a correct ``Allow`` for methods a path does not serve, 401 without the
credentials an operation declares.

Two callers: an admin (every operation) and a portal customer (the operations a customer may call: the
portal, their account and the public ones; the others answer 403 before reading any input, which
``tests/test_authorization_matrix.py`` covers for every route and caller). Each runs against its own fresh
database: every operation on one of SQLite and PostgreSQL, chosen by a stable hash of its method and path
(``fuzz_backend`` in ``tests/platform/conftest.py``; ``FuzzedApps.select`` picks it), so each database
serves about half of the operations, and each operation's cases are generated once (schemathesis builds
them when the tests are collected, by every xdist worker: generating them per database doubled that).
The document does not depend on the database.

Where schemathesis's ``positive_data_acceptance`` check cannot hold, :data:`BUSINESS_RULES` says why: the
input is well formed but a rule the schema cannot express refuses it with 400 (a reference to a record
that does not exist, a rule between two fields, a secret or a confirmation that must match). Nothing is
excluded from the other checks, and no operation is left out: the live-event WebSocket is not an
operation of the document, and the file downloads, uploads and CSV export are fuzzed like the rest. Strings are generated without NUL bytes for now: refusing them everywhere
is issue 9 item 6 (the ``input`` branch), which makes them a 400 on every text field; drop
``allow-x00: false`` once it has landed.

Schemathesis's lazy ``from_fixture`` loader fails under pytest 9.2 (it writes ``Function._nodeid``), so
the schema is loaded when the module is imported, from an app that is never started, and the requests go
to :data:`APP`, which forwards them to the app of the database being fuzzed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi as schemathesis_asgi
from starlette.types import Receive, Scope, Send

from fixdesk import migrations
from fixdesk.app import create_app
from fixdesk.db import create_engine, make_sessionmaker
from fixdesk.platform.openapi import OAUTH2_SCHEME
from tests.conftest import (
    IN_CI,
    _postgres_problem,
    fresh_postgres_database,
    make_settings,
    run_async,
)
from tests.factories import make_customer, make_user
from tests.platform.conftest import fuzz_backend
from tests.support.openapi import app_openapi_document

SEED = 20260301
# Generated requests per operation on top of the examples and coverage cases; FIXDESK_FUZZ_EXAMPLES
# raises it for a longer run by hand.
MAX_EXAMPLES = int(os.environ.get("FIXDESK_FUZZ_EXAMPLES", "6"))
LIMITLESS = "1000000/minute"
# The methods the coverage phase sends to every path that does not serve them, expecting 405 with a
# correct ``Allow``. TRACE is served by no path, so every path is checked; the other seven methods per path
# cost 40 % of the fuzz's time and check the same routing code (FIXDESK_FUZZ_UNEXPECTED widens it by hand).
# Schemathesis builds the coverage phase's cases (every boundary and negative case the schema defines)
# while the tests are collected, in every xdist worker: about 90 s of CPU per process for this API, more
# than the fuzz itself. The suite runs the examples and the generated requests (positive and negative, the
# fuzzing phase) instead; FIXDESK_FUZZ_COVERAGE=1 adds the coverage phase for a thorough run by hand.
COVERAGE_PHASE = os.environ.get("FIXDESK_FUZZ_COVERAGE", "").strip() in {"1", "true", "yes"}
UNEXPECTED_METHODS = os.environ.get("FIXDESK_FUZZ_UNEXPECTED", "trace").split(",")

BUSINESS_RULES: dict[str, str] = {
    "auth-accept-invite": "the invitation token must be one the server issued",
    "auth-reset-password": "the reset token must be one the server emailed",
    "auth-register": "the phone number must be valid for its region",
    "users-me-delete": "confirmEmail must be the signed-in account's own address",
    "users-me-update": "timezone must be an IANA zone, locale a BCP 47 tag of a supported language",
    "portal-profile-update": "timezone must be an IANA zone; the phone number must be valid for its region",
    "customers-create": "timezone must be an IANA zone; the phone number must be valid for its region",
    "customers-update": "timezone must be an IANA zone; the phone number must be valid for its region",
    "users-invite": "the phone number must be valid for its region",
    "custom-fields-create": "options go with select fields only, and a select field needs them",
    "custom-fields-update": "options go with select fields only, and a select field needs them",
    "catalog-import": "the CSV must have the documented columns and rows",
    "catalog-device-models-create": "brandId must name an existing brand",
    "catalog-device-models-update": "brandId must name an existing brand",
    "catalog-pricing-create": "the device model, repair type and part type must exist; validUntil after "
    "validFrom",
    "catalog-pricing-update": "validUntil must be after validFrom",
    "catalog-pricing-estimates-create": "the device model, repair type and part type must exist",
    "dispatch-plan-create": "technicianIds must name active technicians, workOrderIds draft or scheduled work "
    "orders",
    "repairs-create": "customerId (and deviceModelId, technicianId, line references) must exist; the IMEI "
    "needs a valid Luhn check digit; totalCost or lines, not both",
    "repairs-update": "the IMEI needs a valid Luhn check digit; deviceModelId must exist",
    "repairs-items-create": "a line needs a repairTypeId or a description; references must exist",
    "repairs-quotes-create": "a quote needs at least one line",
    "repair-attachments-create": "the file must be a JPEG, PNG, WebP, HEIC/HEIF or PDF (read from its bytes)",
    "work-order-attachments-create": "the file must be a JPEG, PNG, WebP or HEIC/HEIF image (read from its bytes)",
    "reviews-list": "maxRating must not be below minRating",
    "portal-repairs-review-create": "the rating must be written as a JSON integer (4, not 4.0), which JSON "
    "Schema's integer type does not tell apart",
    "technicians-create": "userId must name an active staff user who goes out (not an agent)",
    "technicians-update": "time off periods must not overlap and must end after they start; both coordinates "
    "or neither",
    "locations-create": "latitude and longitude go together",
    "locations-update": "latitude and longitude go together",
    "work-orders-create": "customerId, locationId, equipmentId and technicianIds must exist and belong "
    "together; the window must end after it starts; a discount cannot exceed its line",
    "work-orders-update": "locationId and equipmentId must belong to the work order's customer; the window "
    "must end after it starts; hours written as text are bounded too (at most 1000)",
    "schedule-list": "start (or seed 001's start_date) is required; end must not be before it and the range "
    "spans at most 92 days",
    "service-plans-create": "recurrence must be an RRULE dateutil reads (DAILY or coarser); customerId, "
    "locationId and technicianId must exist, the location being the customer's",
    "service-plans-update": "recurrence must be an RRULE dateutil reads; locationId must be the customer's, "
    "technicianId an active technician; the window must end after it starts",
    "service-plans-end": "endsOn must be today or later and not before the plan starts",
    "dispatch-query-apply": "the proposal's work order and technician must exist, and an assign or unassign "
    "names its technician",
    "invoices-create": "customerId, repairId or workOrderId must exist (and agree); a discount cannot exceed "
    "its line",
    "invoices-update": "a discount cannot exceed its line",
    "invoices-credit-note": "a discount cannot exceed its line",
    "payments-create": "invoiceId must name an existing invoice",
    "products-movements-create": "a receipt adds a positive quantity, an adjustment a quantity other than 0",
    "orders-create": "customerId and each productId must exist (the product still sold); a price or "
    "totalAmount sent must equal the server's",
    "orders-update-status": "a status, a paymentStatus or both",
    "dashboard-metrics": "startDate must not be after endDate and the period spans at most 366 days",
    "dashboard-revenue": "startDate must not be after endDate and the period spans at most 366 days",
    "suppressions-create": "the address must be an email for the email channel, a phone number in "
    "international form for sms and whatsapp",
    "suppressions-delete": "the address must be an email for the email channel, a phone number in "
    "international form for sms and whatsapp",
    "segments-create": "customFields must name the shop's customer custom fields, with values of their "
    "types; minTotalSpend must not exceed maxTotalSpend",
    "segments-update": "customFields must name the shop's customer custom fields, with values of their "
    "types; minTotalSpend must not exceed maxTotalSpend",
    "segments-preview": "customFields must name the shop's customer custom fields, with values of their "
    "types; minTotalSpend must not exceed maxTotalSpend",
    "email-templates-create": "subject and body must be Jinja2 templates that compile and use only the "
    "documented variables (422); the name must be unused",
    "email-templates-update": "subject and body must compile and use only the documented variables (422)",
    "email-campaigns-create": "a subject and a body, or a templateId that exists; they must compile (422); a "
    "segment or customers audience needs its segmentId or customerIds; scheduleAt in the future",
    "email-campaigns-update": "only a draft or scheduled campaign changes; subject and body must compile "
    "(422); scheduleAt in the future",
    "email-campaigns-send": "only a draft or scheduled campaign is sent",
    "email-campaigns-preview": "customerId must name an existing customer",
    "webhooks-sendgrid-events": "the body must be signed by SendGrid (its signature and timestamp headers, "
    "under the configured verification key)",
    "messages-estimate": "content or templateId, not both; the text must render with the documented "
    "variables; the template must be of the broadcast's type; segmentId, templateId and customerIds must exist",
    "messages-send": "content or templateId, not both; the text must render with the documented variables; "
    "the template must be of the broadcast's type; scheduleAt must be in the future; segmentId, templateId "
    "and customerIds must exist",
    "message-templates-create": "the content must render with the documented variables (sandboxed Jinja2)",
    "message-templates-update": "the content must render with the documented variables (sandboxed Jinja2)",
    "webhooks-stripe": "the body must be signed by Stripe (Stripe-Signature, under the endpoint's secret)",
    "webhooks-create": "the URL must be http(s) and resolve to a public address",
    "webhooks-update": "the URL must be http(s) and resolve to a public address",
}
"""Operations whose well-formed input may still break a rule the schema cannot express (answered 400
``VALIDATION_ERROR`` naming the field): ``positive_data_acceptance`` is off for them, every other check
stays on."""

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "allow-x00": False},
        # Each operation is tested on its own; chains of calls (the stateful phase) are not part of it.
        "phases": {
            "stateful": {"enabled": False},
            "coverage": {"enabled": COVERAGE_PHASE, "unexpected-methods": UNEXPECTED_METHODS},
        },
        # One entry matching them all by one regular expression: schemathesis tests every entry against the
        # operation each time it reads the configuration (hundreds of thousands of times in a run), and an
        # entry per operation cost about a sixth of the fuzz's CPU.
        "operations": [
            {
                "include-operation-id-regex": "^(?:" + "|".join(map(re.escape, BUSINESS_RULES)) + ")$",
                "checks": {"positive_data_acceptance": {"enabled": False}},
            }
        ],
    }
)

# Real addresses: Hypothesis's emails include special-use domains (.test, .local) the validator refuses.
schemathesis.openapi.format(
    "email",
    st.from_regex(r"\A[a-z][a-z0-9.]{0,20}[a-z0-9]@[a-z][a-z0-9-]{0,20}[a-z0-9]\.(com|org|pt|io)\Z"),
)


class AppUnderTest:
    """The ASGI app schemathesis calls: each request goes to :attr:`target`, the app of the database being
    fuzzed. Its lifespan is run by the fixture, so the lifespan scope is declined here."""

    target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the fuzzed app's lifespan is run by the fixture")
        await self.target(scope, receive, send)


APP = AppUnderTest()
DOCUMENT = app_openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
schema.app = APP


def _staff_only(context: Any) -> bool:
    """Operations a portal customer may not call: those guarded by a permission, which API clients reach
    through OAuth2 scopes (the rest are the portal, the signed-in account and the public endpoints)."""
    security = context.operation.definition.raw.get("security", [])
    return any(OAUTH2_SCHEME in requirement for requirement in security)


# An exclusion: the entry of CONFIG for the business rules counts as an inclusion, and inclusions add up.
customer_schema = schema.exclude(_staff_only)


async def _sign_in(app: Any, url: str) -> dict[str, dict[str, str]]:
    """An admin and a portal customer in the fuzzed database, with their Authorization headers."""
    engine = create_engine(url)
    try:
        sessionmaker = make_sessionmaker(engine)
        admin = await make_user(app, sessionmaker, "admin")
        customer = await make_customer(app, sessionmaker)
    finally:
        await engine.dispose()
    return {"admin": admin.headers, "customer": customer.headers}


def _start_fuzzed_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    """A fresh database of ``backend`` behind a started app; returns the app and the callers' headers.
    Rate limits are lifted: they have their own tests, and a fuzzer is a flood."""
    if backend == "postgresql":
        problem = run_async(_postgres_problem)
        if problem:
            if IN_CI:
                pytest.fail(f"{problem}; CI=true requires PostgreSQL", pytrace=False)
            pytest.skip(problem)
    directory = tmp_path_factory.mktemp(f"fuzz-{backend}")
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'fuzz.db'}"
    else:
        url = fresh_postgres_database("fuzz")
    migrations.upgrade(url)
    settings = make_settings(
        url,
        directory,
        rate_limit_auth=LIMITLESS,
        rate_limit_anonymous=LIMITLESS,
        rate_limit_authenticated=LIMITLESS,
        rate_limit_bulk=LIMITLESS,
        # Set, so the Stripe webhook checks the (fuzzed, never valid) signature instead of answering 503.
        stripe_webhook_secret="whsec_openapi_fuzz",
        # A verification key whose private half nobody keeps: every SendGrid event is refused (403).
        sendgrid_webhook_public_key="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQnIYCrooBU8ZX26z0CJtGUJTAyzxn7k9QOXY1Yr6QHVDERU0akLDbzbS7WeoaoJhBrOp/aaM2+S+6BB7gEb1nQ==",
    )
    app = create_app(settings, run_worker=False)
    callers = run_async(_sign_in, app, url)
    # Starts the app's lifespan on schemathesis's event loop thread, where its requests run.
    schemathesis_asgi.get_client(app).__enter__()
    return app, callers


class FuzzedApps:
    """The fuzzed apps by database, each started on first use (a worker that only fuzzes SQLite's half
    never creates a PostgreSQL database)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.started: dict[str, tuple[Any, dict]] = {}

    def select(self, case: Any) -> dict[str, dict[str, str]]:
        """Point :data:`APP` at the app of the database ``case``'s operation is fuzzed on
        (:func:`fuzz_backend` of its ``METHOD /path``) and return the callers' headers there."""
        backend = fuzz_backend(case.operation.label)
        if backend not in self.started:
            self.started[backend] = _start_fuzzed_app(backend, self.tmp_path_factory)
        app, callers = self.started[backend]
        APP.target = app
        return callers


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedApps]:
    """The module's :class:`FuzzedApps`; their lifespans end with the module. (Module-scoped: Hypothesis
    refuses function-scoped fixtures in its tests.)"""
    apps = FuzzedApps(tmp_path_factory)
    try:
        yield apps
    finally:
        APP.target = None
        if apps.started:
            schemathesis_asgi.shutdown_lifespans()


@schema.parametrize()
def test_staff_operations_keep_the_openapi(case: Any, fuzzed: FuzzedApps) -> None:
    case.call_and_validate(headers=fuzzed.select(case)["admin"])


@customer_schema.parametrize()
def test_customer_operations_keep_the_openapi(case: Any, fuzzed: FuzzedApps) -> None:
    case.call_and_validate(headers=fuzzed.select(case)["customer"])

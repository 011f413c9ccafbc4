"""The FastAPI application: ``create_app(settings)`` wires middleware, error handlers and every router."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fixdesk import __version__
from fixdesk.bootstrap import load_domains
from fixdesk.config import Settings, get_settings
from fixdesk.db import (
    create_engine,
    make_sessionmaker,
    read_only,
    reads_in_autocommit,
    refuse_writes_per_statement,
    utcnow,
)
from fixdesk.domains import DOMAINS
from fixdesk.identity.authenticator import make_authenticator
from fixdesk.identity.browser_sessions import make_browser_authenticator
from fixdesk.platform.domains import DomainManifest, resolve
from fixdesk.platform.errors import install_error_handlers
from fixdesk.platform.guards import (
    BodySizeLimitMiddleware,
    ControlCharacterGuard,
    SecurityHeadersMiddleware,
    cors_options,
    metrics_access,
)
from fixdesk.platform.health import HealthShortcut
from fixdesk.platform.idempotency import IdempotencyMiddleware
from fixdesk.platform.jobs.worker import Worker
from fixdesk.platform.observability import Metrics, RequestContextMiddleware, describe_failure
from fixdesk.platform.openapi import install_openapi
from fixdesk.platform.pagination import EstimatedTotals
from fixdesk.platform.permissions import public
from fixdesk.platform.ratelimit import RateLimitMiddleware, RateLimits
from fixdesk.platform.routes import include_router
from fixdesk.platform.security import TokenService
from fixdesk.services import build_services
from fixdesk.web.install import install_web
from fixdesk.web.pages import WebPages

log = structlog.get_logger("fixdesk.operations")

operations = APIRouter(tags=["operations"], dependencies=[Depends(public)])


def _health_timestamp() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


def health_document(settings: Settings) -> dict[str, Any]:
    """The body of ``/health``: status, the current time (UTC, ``Z``), version and environment."""
    return {
        "status": "healthy",
        "timestamp": _health_timestamp(),
        "version": __version__,
        "environment": settings.env,
    }


def health_body(settings: Settings) -> Callable[[], bytes]:
    """A function giving :func:`health_document` as the route answers it (compact JSON, UTF-8), for the
    ``/health`` shortcut: the document is rendered once around its one changing field, the timestamp
    (ASCII, nothing to escape), which is then put in place per request instead of encoding the whole."""
    marker = "\x00timestamp\x00"
    rendered = json.dumps(
        {**health_document(settings), "timestamp": marker}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    head, tail = rendered.split(json.dumps(marker).encode())

    def body() -> bytes:
        return b'%s"%s"%s' % (head, _health_timestamp().encode(), tail)

    return body


@operations.get("/health", operation_id="health")
async def health(request: Request) -> dict[str, object]:
    """Liveness: the process answers. (A plain ``GET /health`` is answered by
    :class:`~fixdesk.platform.health.HealthShortcut` before it gets here, with the same document.)"""
    return health_document(request.app.state.settings)


@operations.get(
    "/ready",
    operation_id="ready",
    responses={503: {"description": "The database does not answer", "content": {"application/json": {}}}},
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers (503 otherwise, and the reason is logged as ``not_ready``)."""
    engine: AsyncEngine = request.app.state.engine
    try:
        try:
            await _probe_database(engine)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # A pooled connection the server had closed (no pre-ping, see fixdesk.db.create_engine): the
            # pool is invalidated now, so a second probe on a fresh connection tells the truth.
            await _probe_database(engine)
    except Exception as exc:
        # The answer stays terse (anyone may ask); the operator reads why in the log.
        log.warning(
            "not_ready",
            service="database",
            error_type=type(exc).__name__,
            error=describe_failure(exc, secrets=_secrets_of(request.app.state.settings, engine)),
        )
        return JSONResponse({"status": "not ready", "services": {"database": "unavailable"}}, status_code=503)
    return JSONResponse({"status": "ready", "services": {"database": "connected"}})


async def _probe_database(engine: AsyncEngine) -> None:
    # Read-only: on SQLite the probe must not queue behind a long write for the write lock.
    async with read_only(engine).connect() as connection:
        await connection.execute(text("SELECT 1"))


def _secrets_of(settings: Settings, engine: AsyncEngine) -> list[str]:
    """Values that must never reach a log line: the database password and the configured secrets."""
    values = [engine.url.password, settings.secret_key, settings.metrics_token]
    return [v.get_secret_value() if isinstance(v, SecretStr) else str(v) for v in values if v]


@operations.get(
    "/metrics", operation_id="metrics", include_in_schema=False, dependencies=[Depends(metrics_access)]
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process, for a caller :func:`~fixdesk.platform.guards.metrics_access`
    lets through (``FIXDESK_METRICS_TOKEN``, ``FIXDESK_METRICS_ALLOW_FROM``)."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


# Multipart framing and the form's other fields around an uploaded file; the file's own size is checked
# exactly by the service.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def upload_route_limits(
    settings: Settings, domains: Sequence[DomainManifest] = DOMAINS
) -> list[tuple[str, int]]:
    """Body limits of the upload routes the domains declare, larger than the JSON limit
    (``FIXDESK_MAX_BODY_BYTES``): the largest file the settings allow plus the multipart framing."""
    return [
        (limit.prefix + limit.path, limit.max_bytes(settings) + MULTIPART_OVERHEAD_BYTES)
        for manifest in domains
        for limit in manifest.upload_limits
    ]


def include_domains(app: FastAPI, domains: Sequence[DomainManifest]) -> None:
    """Mount every domain's routers in the order of ``domains`` and of each manifest."""
    for manifest in domains:
        for mount in manifest.routers:
            include_router(app, resolve(mount.router), prefix=mount.prefix)


def domain_pages(domains: Sequence[DomainManifest]) -> list[WebPages]:
    """Every domain's web pages (:class:`fixdesk.web.pages.WebPages`), in the order of ``domains``."""
    return [resolve(path) for manifest in domains for path in manifest.pages]


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    run_worker: bool | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    domains: Sequence[DomainManifest] = DOMAINS,
) -> FastAPI:
    """Build the application. ``engine`` lets tests share one engine across many apps; ``domains`` are the
    domains to serve (:data:`fixdesk.domains.DOMAINS`; one list per process, see
    :func:`fixdesk.bootstrap.load_domains`).

    Every session of the app (requests, idempotency keys, the catalog cache, live events, the in-process
    worker) comes from ``sessionmaker``, or ``read_sessionmaker`` for reads; both default to factories on
    ``engine`` (:func:`~fixdesk.db.make_sessionmaker`, the read one :func:`~fixdesk.db.read_only`). GET and
    HEAD requests read through ``read_sessionmaker`` in autocommit where it is on a PostgreSQL engine
    (:func:`~fixdesk.db.begin_autocommit`). Tests pass factories bound to one connection whose transaction
    they roll back at the end.

    With ``run_worker`` (default ``FIXDESK_WORKER_IN_PROCESS``) the app's lifespan runs a job worker in
    the server process, the embedded mode's way of doing background work; it stops gracefully, letting the
    jobs in hand finish, when the server shuts down.
    """
    settings = settings or get_settings()
    settings.check_production_safety()
    domains = load_domains(domains)
    owns_engine = engine is None
    engine = engine or create_engine(settings.resolved_database_url, echo=settings.sql_echo)
    with_worker = settings.worker_in_process if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        app.state.services = services
        # Subscribes to Redis for live events before the first request (a no-op in process).
        await services.realtime.start()
        worker: Worker | None = None
        worker_task = None
        if with_worker:
            worker = Worker(
                app.state.sessionmaker,
                read_sessionmaker=app.state.read_sessionmaker,
                settings=settings,
                services=services,
                concurrency=settings.worker_concurrency,
                poll_interval=settings.job_poll_interval,
                lease_seconds=settings.job_lease_seconds,
            )
            worker_task = asyncio.create_task(worker.run(), name="fixdesk-worker")
        app.state.worker = worker
        try:
            yield
        finally:
            if worker is not None and worker_task is not None:
                await worker.stop()
                await worker_task
            await services.aclose()
            await app.state.rate_limits.aclose()
            if owns_engine:
                await engine.dispose()

    app = FastAPI(
        title="Fixdesk API",
        version=__version__,
        description="The back office of repair shops and field-service teams.",
        lifespan=lifespan,
        # /docs and /redoc are the web app's pages, served from vendored files (fixdesk.web.docs).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # FastAPI's native OpenTelemetry asks for the global tracer, meter and logger providers on every
        # request (a sixth of a plain /health's CPU) even when none is configured; Fixdesk's own logs and
        # /metrics cover operations, so it is on only when FIXDESK_OPENTELEMETRY asks for it.
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker or make_sessionmaker(engine)
    app.state.read_sessionmaker = read_sessionmaker or make_sessionmaker(read_only(engine))
    # GET and HEAD requests' sessions (fixdesk.platform.deps.get_session): in autocommit on PostgreSQL.
    app.state.reads_in_autocommit = reads_in_autocommit(app.state.read_sessionmaker)
    if settings.env == "test":
        # Every statement of a GET's session checked, not only what its session events see.
        refuse_writes_per_statement(engine)
    app.state.tokens = TokenService(
        settings.signing_key,
        settings.jwt_issuer,
        settings.jwt_audience,
        timedelta(minutes=settings.access_token_minutes),
    )
    app.state.authenticator = make_authenticator(app.state.tokens)
    app.state.browser_authenticator = make_browser_authenticator()
    app.state.metrics = Metrics()
    # Totals of lists beyond 10,000 rows are estimates, reused for a while (fixdesk.platform.pagination).
    app.state.list_estimates = EstimatedTotals()

    install_error_handlers(app)
    install_openapi(app)
    app.state.rate_limits = RateLimits(settings)
    # The API's routes first: a request is matched against the routes in order, and the API is the hot
    # path (the pages' paths never overlap it, so the order changes no answer).
    include_router(app, operations)
    include_domains(app, domains)
    # Before the middleware below: the pages' own middleware must run inside the request context.
    install_web(app, settings, domain_pages(domains))
    # The last one added runs first: security headers → request context (id, last-resort 500) → CORS →
    # the /health shortcut → rate limit → body size → control characters in the URL → idempotency → page headers → page errors
    # (both added by install_web) → routes. So 429s carry X-Request-ID and CORS headers, and a refused or
    # oversized request never claims an idempotency key.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        route_limits=upload_route_limits(settings, domains),
    )
    app.add_middleware(RateLimitMiddleware)
    # Inside CORS and the request context, outside everything /health does not need (see its module).
    app.add_middleware(HealthShortcut, body=health_body(settings))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors_options(settings))
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    # Outermost, so even the request-context middleware's last-resort 500 carries nosniff (and HSTS).
    app.add_middleware(SecurityHeadersMiddleware, **SecurityHeadersMiddleware.options(settings))
    return app

"""The ``fixdesk`` command: serve, migrate, demo, create-admin, worker, jobs, catalog, secrets, openapi.

Every command reads the same ``FIXDESK_*`` settings as the server. Configuration problems (e.g. production
without a secret key) print one clear message and exit with status 2.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import func, select

from fixdesk import migrations
from fixdesk.config import ConfigurationError, Settings, get_settings
from fixdesk.db import create_engine, make_sessionmaker, transaction
from fixdesk.platform.observability import configure_logging

app = typer.Typer(
    help="Fixdesk: the back office of repair shops and field-service teams.", no_args_is_help=True
)
console = Console(stderr=True)

DEMO_PASSWORD = "fixdesk-demo"
DEMO_LOGINS = (
    ("admin", "admin@example.com"),
    ("manager", "manager@example.com"),
    ("technician", "tech@example.com"),
    ("technician", "tech2@example.com"),
    ("agent (front desk)", "front-desk@example.com"),
    ("customer (portal)", "customer@example.com"),
)


def _settings() -> Settings:
    """The settings every command starts from (exit 2 on a configuration error). The domains are loaded
    here too, so every command sees the same permission table, event catalogue and job handlers; after the
    settings are checked, so a command refused for its configuration answers without loading them."""
    from fixdesk.platform.storage import check_storage_libraries

    try:
        settings = get_settings()
        settings.check_production_safety()
        check_storage_libraries(settings)
        settings.ensure_data_dir()
        _ = settings.signing_key  # generate and store the secret now, not on the first request
    except ConfigurationError as exc:
        console.print(f"[bold red]Configuration error:[/] {escape(str(exc))}")
        raise typer.Exit(code=2) from exc
    from fixdesk.bootstrap import load_domains  # imports every domain

    load_domains()
    _resume_garbage_collector()
    return settings


def _resume_garbage_collector() -> None:
    """Resume the garbage collector that :func:`main` paused, with what loading the domains built frozen
    out of its sight (after one full pass, so no garbage is kept for good).

    Loading the domains makes hundreds of thousands of objects that live as long as the process (modules,
    models, schemas, routes), and Python's collector makes a full pass over all of them every so many new
    ones: about a fifth of the CPU a command spends starting (1.1 of 5.7 s for ``fixdesk openapi``)."""
    if not gc.isenabled():
        gc.collect()
        gc.freeze()
        gc.enable()


async def _database_is_empty(settings: Settings) -> bool:
    from fixdesk.identity.models import User

    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return not await session.scalar(select(func.count()).select_from(User))
    finally:
        await engine.dispose()


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest version."""
    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    console.print("[green]Database is up to date.[/]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default FIXDESK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FIXDESK_PORT, 8000)")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo shop when the database is empty")
    ] = False,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a job worker inside the server (default on)")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Server processes (PostgreSQL only; one per core is a good start). SQLite serves with one.",
        ),
    ] = 1,
) -> None:
    """Migrate, then serve the API (and, with --demo, load the demo shop into an empty database).

    With ``--workers N`` (N > 1) uvicorn runs N processes sharing the port, each with its own connection
    pool (10 connections, 10 more at peaks, per process) and, unless ``--no-worker``, its own job worker: on
    PostgreSQL several job workers are safe (jobs are claimed with ``FOR UPDATE SKIP LOCKED`` leases and each
    periodic occurrence is claimed once by a unique row). SQLite is refused with N > 1: its in-process job
    worker must stay single, and one process is all a single-file database's writer lock can use.
    """
    import uvicorn

    from fixdesk.app import create_app

    settings = _settings()
    if workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        console.print(
            "[red]--workers above 1 needs PostgreSQL:[/] with SQLite Fixdesk serves from one process (its job "
            "worker must stay single). Set FIXDESK_DATABASE_URL to a PostgreSQL database, or drop --workers."
        )
        raise typer.Exit(code=2)
    configure_logging(settings.log_level, settings.log_json)
    migrations.upgrade(settings.resolved_database_url)
    if demo and asyncio.run(_database_is_empty(settings)):
        from fixdesk.demo.loader import DemoDatabaseNotEmpty, load_demo

        console.print("Loading the demo shop into the empty database…")
        try:
            asyncio.run(load_demo(settings, scale=1, console=console))
        except DemoDatabaseNotEmpty as exc:  # e.g. a catalog imported before any user exists
            console.print(f"[yellow]Demo shop not loaded:[/] {exc}")
    bind_host = host or settings.host
    bind_port = port or settings.port
    # Links sent to customers default to http://<host>:<port> (FIXDESK_PUBLIC_BASE_URL unset): the
    # address actually served, not the configured default.
    settings = settings.model_copy(update={"host": bind_host, "port": bind_port})
    base = f"http://{bind_host}:{bind_port}"
    docs = f"  ·  API docs: {base}/docs" if settings.api_docs else ""
    console.print(
        f"[bold]Fixdesk[/] on {base}  ·  staff: {base}/app{docs}  ·  data: {settings.data_dir.resolve()}"
    )
    if demo:
        _print_demo_logins()
    if workers > 1:
        # Each process builds its app from the environment (uvicorn imports the factory in every child).
        os.environ["FIXDESK_HOST"] = bind_host
        os.environ["FIXDESK_PORT"] = str(bind_port)
        os.environ["FIXDESK_WORKER_IN_PROCESS"] = "true" if worker else "false"
        uvicorn.run(
            "fixdesk.cli:app_from_environment", factory=True, workers=workers, **_uvicorn_options(settings)
        )
        return
    uvicorn.run(create_app(settings, run_worker=worker), **_uvicorn_options(settings))


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What uvicorn is told by ``fixdesk serve``, with one process or several."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        # Uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the app decides whom to believe
        # (FIXDESK_TRUSTED_PROXIES), so the socket peer must reach it unchanged.
        "proxy_headers": False,
        # Uvicorn's own default is 5 s, as long as httpx keeps an idle connection and shorter than a load
        # balancer's idle timeout: a client reusing a connection just as the server closes it gets a reset
        # (a proxy answers 502). The server must be the last to give up an idle connection.
        "timeout_keep_alive": settings.keep_alive_seconds,
    }


def app_from_environment() -> Any:
    """The app of one ``fixdesk serve --workers N`` process, configured from the ``FIXDESK_*`` environment
    (which ``serve`` completed with the host, port and job-worker choice before starting the processes)."""
    from fixdesk.app import create_app

    gc.disable()  # until the domains are loaded (_settings)
    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)


def _print_demo_logins() -> None:
    console.print(f"Demo logins (password [bold]{DEMO_PASSWORD}[/]):")
    for role, email in DEMO_LOGINS:
        console.print(f"  {role:<18} {email}")


@app.command()
def demo(
    scale: Annotated[
        int,
        typer.Option(
            min=1,
            help="Multiply the volume (200×N customers, 1,000×N repairs, 10×N field technicians, 500×N service "
            "locations, 150×N service plans)",
        ),
    ] = 1,
) -> None:
    """Load the demo shop (refuses when the database already has users, repairs or a catalog)."""
    from fixdesk.demo.loader import DemoDatabaseNotEmpty, load_demo

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    if not asyncio.run(_database_is_empty(settings)):
        console.print(
            "[yellow]The database already holds data; the demo shop loads only into an empty one.[/]"
        )
        raise typer.Exit(code=1)
    try:
        asyncio.run(load_demo(settings, scale=scale, console=console))
    except DemoDatabaseNotEmpty as exc:
        console.print(f"[yellow]{exc}[/]")
        raise typer.Exit(code=1) from exc
    _print_demo_logins()


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="Login email")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    first_name: Annotated[str, typer.Option(help="First name")] = "Admin",
    last_name: Annotated[str, typer.Option(help="Last name")] = "User",
) -> None:
    """Create an admin user who can log in to the dashboards."""
    from fixdesk.identity.staff import create_user
    from fixdesk.platform.errors import FixdeskError

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> str:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                user = await create_user(
                    session,
                    email=email,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    role="admin",
                )
                return user.email
        finally:
            await engine.dispose()

    try:
        created = asyncio.run(run())
    except FixdeskError as exc:
        console.print(f"[bold red]Could not create the admin:[/] {exc.detail}")
        raise typer.Exit(code=1) from exc
    console.print(f"[green]Admin {created} created.[/]")


@app.command("worker")
def run_worker(
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Jobs run at once by this process")] = 4,
    imports: Annotated[
        list[str] | None, typer.Option("--import", help="Extra module registering job handlers (repeatable)")
    ] = None,
    lease_seconds: Annotated[
        float | None, typer.Option(help="Lease of a claimed job (FIXDESK_JOB_LEASE_SECONDS)")
    ] = None,
) -> None:
    """Run a standalone job worker until SIGTERM or Ctrl-C (the jobs in hand finish first)."""
    import signal

    from fixdesk.bootstrap import load_domains
    from fixdesk.db import read_only
    from fixdesk.platform.jobs.worker import Worker
    from fixdesk.services import build_services

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    load_domains(extra_modules=tuple(imports or ()))
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> None:
        engine = create_engine(settings.resolved_database_url, pool_size=concurrency + 2)
        services = build_services(settings)
        worker = Worker(
            make_sessionmaker(engine),
            read_sessionmaker=make_sessionmaker(read_only(engine)),
            settings=settings,
            services=services,
            concurrency=concurrency,
            poll_interval=settings.job_poll_interval,
            lease_seconds=lease_seconds or settings.job_lease_seconds,
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.request_stop)
        try:
            await worker.run()
        finally:
            await services.aclose()
            await engine.dispose()

    asyncio.run(run())


jobs_app = typer.Typer(help="Inspect and retry background jobs.", invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.callback()
def jobs_list(
    context: typer.Context,
    state: Annotated[
        str | None,
        typer.Option(help="queued, running, failed, done or dead (default: queued, failed and dead)"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """List jobs (by default those waiting or dead)."""
    if context.invoked_subcommand is not None:
        return
    from rich.table import Column, Table

    from fixdesk.platform.jobs.models import Job

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    states = [state] if state else ["queued", "failed", "dead"]

    async def fetch() -> list[Job]:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                statement = (
                    select(Job).where(Job.state.in_(states)).order_by(Job.created_at.desc()).limit(limit)
                )
                return list((await session.execute(statement)).scalars())
        finally:
            await engine.dispose()

    rows = asyncio.run(fetch())
    table = Table("kind", "state", "attempts", "run at", "last error")
    # Ids are what people copy into `fixdesk jobs retry`: never wrap or cut them, even in a pipe.
    table.columns.insert(0, Column("id", no_wrap=True, overflow="ignore", min_width=36))
    for job in rows:
        table.add_row(
            str(job.id),
            job.kind,
            job.state,
            f"{job.attempts}/{job.max_attempts}",
            job.run_at.isoformat(),
            (job.last_error or "")[:80],
        )
    output = Console(width=max(Console().width, 160))
    output.print(table)
    output.print(f"{len(rows)} job(s) in state {', '.join(states)}")


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[str, typer.Argument(help="The id of a dead or failed job")]) -> None:
    """Queue a dead or failed job again, to run now."""
    import uuid

    from fixdesk.platform.errors import FixdeskError
    from fixdesk.platform.jobs.queue import retry_job

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> None:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await retry_job(session, uuid.UUID(job_id))
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except (FixdeskError, ValueError) as exc:
        console.print(f"[bold red]Cannot retry:[/] {getattr(exc, 'detail', exc)}")
        raise typer.Exit(code=1) from exc
    console.print(f"[green]Job {job_id} queued again.[/]")


catalog_app = typer.Typer(
    help="Import and export the device catalog and price list as CSV.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")

_IMPORT_STAGES = {"reading": "Reading rows", "checking": "Checking rows", "writing": "Writing"}
_REJECTIONS_PRINTED = 50


class RichImportProgress:
    """Shows the importer's stages (reading, checking, writing) as Rich progress bars."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._task: Any = None

    def stage(self, name: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[self._task].total)
        self._task = self._progress.add_task(_IMPORT_STAGES.get(name, name), total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)


@catalog_app.command("import")
def catalog_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The catalog CSV file")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (the API's answer, every rejection)")
    ] = False,
) -> None:
    """Import a catalog CSV: upsert brands, device models, repair and part types and prices.

    The format is the API's (POST /api/v1/catalog/import, see README). Rejected rows are listed with their line and reason and change nothing; the others are written in batches that each commit, so the server's other writers keep working, and an interrupted import is finished by running it again. Exit status 1 when the file as a whole cannot be read (nothing is written).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fixdesk.catalog.schemas import CatalogImportRead
    from fixdesk.catalog.transfer import import_catalog
    from fixdesk.platform.errors import FixdeskError

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    data = file.read_bytes()

    async def run(progress: RichImportProgress) -> Any:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await import_catalog(
                make_sessionmaker(engine),
                data,
                timezone=settings.shop_timezone,
                source_name=file.name,
                progress=progress,
            )
        finally:
            await engine.dispose()

    bars = Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    )
    try:
        with bars:
            report = asyncio.run(run(RichImportProgress(bars)))
    except FixdeskError as exc:
        console.print(f"[bold red]Cannot import {file}:[/] {exc.detail}")
        raise typer.Exit(code=1) from exc
    if as_json:
        typer.echo(CatalogImportRead.of(report, limit=None).model_dump_json(indent=2))
        return
    _print_import_report(report)


def _print_import_report(report: Any) -> None:
    from rich.table import Column, Table

    output = Console()
    table = Table(
        "",
        Column("created", justify="right"),
        Column("updated", justify="right"),
        Column("unchanged", justify="right"),
        title=f"{report.rows:,} rows, {report.accepted:,} imported",
    )
    for label, counts in (
        ("brands", report.brands),
        ("device models", report.device_models),
        ("repair types", report.repair_types),
        ("part types", report.part_types),
        ("prices", report.prices),
    ):
        table.add_row(label, f"{counts.created:,}", f"{counts.updated:,}", f"{counts.unchanged:,}")
    output.print(table)
    output.print(f"{report.price_history:,} price-history rows written.")
    if not report.rejected:
        output.print("[green]No rows rejected.[/]")
        return
    output.print(f"[yellow]{len(report.rejected):,} row(s) rejected:[/]")
    for rejection in report.rejected[:_REJECTIONS_PRINTED]:
        column = f" [{rejection.column}]" if rejection.column else ""
        output.print(f"  line {rejection.line}{column}: {rejection.reason}", markup=False, highlight=False)
    if len(report.rejected) > _REJECTIONS_PRINTED:
        output.print(f"  … and {len(report.rejected) - _REJECTIONS_PRINTED:,} more (--json lists them all)")


@catalog_app.command("export")
def catalog_export(
    file: Annotated[
        Path | None, typer.Argument(dir_okay=False, help="Where to write the CSV (default: standard output)")
    ] = None,
    brand_id: Annotated[str | None, typer.Option(help="Only this brand's device models (its id)")] = None,
    device_type: Annotated[
        str | None, typer.Option(help="Only this device type (phone, tablet, laptop, …)")
    ] = None,
    repair_type_id: Annotated[
        str | None, typer.Option(help="Only prices of this repair type (its id)")
    ] = None,
    include_devices_without_prices: Annotated[
        bool,
        typer.Option(
            "--include-devices-without-prices", help="Add a device-only row for each model without a price"
        ),
    ] = False,
) -> None:
    """Export the price list as CSV in the import format (an export imports back unchanged)."""
    import uuid

    from fixdesk.catalog.transfer import DEVICE_TYPES, ExportFilters, export_catalog_csv
    from fixdesk.db import read_only

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    if device_type is not None and device_type not in DEVICE_TYPES:
        console.print(f"[bold red]--device-type must be one of[/] {', '.join(DEVICE_TYPES)}")
        raise typer.Exit(code=2)
    try:
        filters = ExportFilters(
            brand_id=uuid.UUID(brand_id) if brand_id else None,
            device_type=device_type,
            repair_type_id=uuid.UUID(repair_type_id) if repair_type_id else None,
            include_devices_without_prices=include_devices_without_prices,
        )
    except ValueError as exc:
        console.print("[bold red]--brand-id and --repair-type-id take ids (UUIDs).[/]")
        raise typer.Exit(code=2) from exc

    async def run(out: Any) -> None:
        engine = create_engine(settings.resolved_database_url)
        try:
            sessionmaker = make_sessionmaker(read_only(engine))
            async for chunk in export_catalog_csv(sessionmaker, filters, timezone=settings.shop_timezone):
                out.write(chunk)
        finally:
            await engine.dispose()

    if file is None:
        asyncio.run(run(sys.stdout))
        sys.stdout.flush()
        return
    with file.open("w", encoding="utf-8", newline="") as out:
        asyncio.run(run(out))
    console.print(f"[green]Price list written to {file}.[/]")


secrets_app = typer.Typer(
    help="Secrets stored encrypted (webhook signing secrets) and the server key they are under.",
    no_args_is_help=True,
)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("reencrypt")
def secrets_reencrypt() -> None:
    """Re-encrypt every stored secret under the current FIXDESK_SECRET_KEY (the last step of a key
    rotation; see README, "Rotating the secret key"). One transaction: all or nothing."""
    import fixdesk.models  # noqa: F401 - the models register their encrypted columns
    from fixdesk.platform.crypto import DecryptionFailed, Keyring, reencrypt_all

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url, settings=settings)
    keyring = Keyring.from_settings(settings)

    async def run() -> dict[str, int]:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                return await reencrypt_all(session, keyring)
        finally:
            await engine.dispose()

    try:
        counts = asyncio.run(run())
    except DecryptionFailed as exc:
        console.print(
            f"[bold red]Nothing was re-encrypted:[/] {exc} Put the key it was stored under in "
            "FIXDESK_PREVIOUS_SECRET_KEYS and run the command again."
        )
        raise typer.Exit(code=1) from exc
    for column, count in counts.items():
        console.print(f"{column}: {count} re-encrypted")
    console.print(
        f"[green]Every stored secret is under key {keyring.current_key_id}.[/] Previous keys can leave "
        "FIXDESK_PREVIOUS_SECRET_KEYS once the jobs queued before the rotation have run."
    )


@app.command()
def openapi() -> None:
    """Print the OpenAPI document as JSON."""
    from fixdesk.app import create_app

    settings = _settings()
    typer.echo(json.dumps(create_app(settings).openapi(), indent=2))


def main() -> None:
    """The ``fixdesk`` command (its console script and ``python -m fixdesk``). The garbage collector pauses
    until the command has loaded the domains (:func:`_resume_garbage_collector`)."""
    gc.disable()
    app()

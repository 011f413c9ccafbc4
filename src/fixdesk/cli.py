"""The ``fixdesk`` command: serve, migrate, demo, create-admin, openapi.

Every command reads the same ``FIXDESK_*`` settings as the server. Configuration problems (e.g. production
without a secret key) print one clear message and exit with status 2.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
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
    ("customer (portal)", "customer@example.com"),
)


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.check_production_safety()
        settings.ensure_data_dir()
        _ = settings.signing_key  # generate and store the secret now, not on the first request
    except ConfigurationError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    return settings


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
) -> None:
    """Migrate, then serve the API (and, with --demo, load the demo shop into an empty database)."""
    import uvicorn

    from fixdesk.app import create_app

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    migrations.upgrade(settings.resolved_database_url)
    if demo and asyncio.run(_database_is_empty(settings)):
        from fixdesk.demo.loader import load_demo

        console.print("Loading the demo shop into the empty database…")
        asyncio.run(load_demo(settings, scale=1, console=console))
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(
        f"[bold]Fixdesk[/] on http://{bind_host}:{bind_port}  ·  API docs: http://{bind_host}:{bind_port}/docs"
        f"  ·  data: {settings.data_dir.resolve()}"
    )
    if demo:
        _print_demo_logins()
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_level="warning")


def _print_demo_logins() -> None:
    console.print(f"Demo logins (password [bold]{DEMO_PASSWORD}[/]):")
    for role, email in DEMO_LOGINS:
        console.print(f"  {role:<18} {email}")


@app.command()
def demo(
    scale: Annotated[
        int, typer.Option(min=1, help="Multiply the volume (200×N customers, 1,000×N repairs)")
    ] = 1,
) -> None:
    """Load the demo shop (refuses when the database already has users)."""
    from fixdesk.demo.loader import load_demo

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)
    if not asyncio.run(_database_is_empty(settings)):
        console.print(
            "[yellow]The database already holds data; the demo shop loads only into an empty one.[/]"
        )
        raise typer.Exit(code=1)
    asyncio.run(load_demo(settings, scale=scale, console=console))
    _print_demo_logins()


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="Login email")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    first_name: Annotated[str, typer.Option(help="First name")] = "Admin",
    last_name: Annotated[str, typer.Option(help="Last name")] = "User",
) -> None:
    """Create an admin user who can log in to the dashboards."""
    from fixdesk.identity.service import create_user
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


@app.command()
def openapi() -> None:
    """Print the OpenAPI document as JSON."""
    from fixdesk.app import create_app

    settings = _settings()
    typer.echo(json.dumps(create_app(settings).openapi(), indent=2))


def main() -> None:
    app()

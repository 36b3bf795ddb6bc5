"""The `relief` command line: the same services as the API, no server needed unless stated."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from relief.config import get_settings

app = typer.Typer(
    help="relief: disaster-relief response and stockpile logistics", no_args_is_help=True
)
db_app = typer.Typer(help="database schema", no_args_is_help=True)
users_app = typer.Typer(help="user accounts", no_args_is_help=True)
scenario_app = typer.Typer(help="scenario folders", no_args_is_help=True)
bench_app = typer.Typer(help="benchmarks", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(scenario_app, name="scenario")
app.add_typer(bench_app, name="bench")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database at RELIEF_DATABASE_URL."""
    from relief.db import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo(f"database at {_safe_url(settings.database_url)} is up to date")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and web UI; refuses a schema that is behind."""
    import uvicorn

    from relief.app import create_app
    from relief.db import ensure_schema_current, make_engine

    settings = get_settings()
    engine = make_engine(settings.database_url)
    ensure_schema_current(engine)
    uvicorn.run(
        create_app(settings, engine), host=host, port=port, log_level=settings.log_level.lower()
    )


@app.command()
def demo(
    scenario: Path = typer.Option(Path("scenarios/hohhot"), "--scenario"),
    no_serve: bool = typer.Option(False, "--no-serve", help="do the work, then exit (CI)"),
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """What `make demo` runs: upgrade, load the scenario, demo users, summary, serve."""
    from relief.db import make_engine
    from relief.demo import run_demo

    settings = get_settings()
    engine = make_engine(settings.database_url)
    for line in run_demo(settings.database_url, engine, scenario):
        typer.echo(line)
    if no_serve:
        return
    import uvicorn

    from relief.app import create_app

    typer.echo(f"serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(settings, engine), host=host, port=port, log_level="warning")


@users_app.command("create")
def users_create(
    username: str,
    role: str = typer.Option(..., "--role"),
    warehouse: list[str] = typer.Option([], "--warehouse"),
    region: list[str] = typer.Option([], "--region"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """Add a user; the password is one line from standard input."""
    from pydantic import ValidationError

    from relief.auth import service
    from relief.auth.models import SYSTEM, UserCreate
    from relief.db import ensure_schema_current, make_engine, transaction
    from relief.errors import DomainError

    if not password_stdin:
        typer.echo("give the password on standard input with --password-stdin", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    ensure_schema_current(engine)
    try:
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            warehouse_codes=warehouse,
            region_codes=region,
        )
        with transaction(engine) as session:
            service.create_user(session, SYSTEM, data)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {role} {username}")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.split("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url

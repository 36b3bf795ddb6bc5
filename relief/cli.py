"""The `relief` command line: the same services as the API, no server needed unless stated."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from relief.config import Settings, get_settings

app = typer.Typer(
    help="relief: disaster-relief response and stockpile logistics",
    no_args_is_help=True,
    # A crash must not print local variables: they hold the settings (database password,
    # secret key) and people's data.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="database schema", no_args_is_help=True)
users_app = typer.Typer(help="user accounts", no_args_is_help=True)
scenario_app = typer.Typer(help="scenario folders", no_args_is_help=True)
bench_app = typer.Typer(help="benchmarks", no_args_is_help=True)
report_app = typer.Typer(help="the statistics forms (issue 14)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(scenario_app, name="scenario")
app.add_typer(bench_app, name="bench")
app.add_typer(report_app, name="report")


def _settings() -> Settings:
    """The settings, or exit 2 saying which one is wrong and why, never with the values
    (RELIEF_DATABASE_URL's password, RELIEF_SECRET_KEY)."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "_".join(str(part) for part in err["loc"]).upper()
            where = f"RELIEF_{name}: " if name else ""
            typer.echo(f"configuration error: {where}{err['msg']}", err=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database at RELIEF_DATABASE_URL."""
    from relief.db import masked_url, upgrade

    settings = _settings()
    upgrade(settings.database_url, secret_key=settings.secret_key)
    typer.echo(f"database at {masked_url(settings.database_url)} is up to date")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", help="port to listen on"),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="worker processes (each opens its own pool: workers × (RELIEF_DB_POOL_SIZE + "
        "RELIEF_DB_MAX_OVERFLOW) must stay below PostgreSQL's max_connections)",
    ),
) -> None:
    """Serve the API and web UI; refuses a schema that is behind."""
    import uvicorn

    from relief.app import create_app, prepare_routes
    from relief.db import engine_for, ensure_schema_current, is_sqlite

    settings = _settings()
    engine = engine_for(settings)
    ensure_schema_current(engine)
    log_level = settings.log_level.lower()
    if workers == 1:
        served = create_app(settings, engine)
        prepare_routes(served.router.routes)
        uvicorn.run(served, host=host, port=port, log_level=log_level)
        return
    if is_sqlite(engine):
        # Several processes on one SQLite file serialise every write on its one lock.
        typer.echo(
            "note: several workers on SQLite share one file lock; use PostgreSQL "
            "(RELIEF_DATABASE_URL) for several workers",
            err=True,
        )
    engine.dispose()  # each worker opens its own pool from the same settings
    # Several processes need an import string: each worker builds its app from the
    # environment (the same RELIEF_* settings), and keeps nothing another worker needs.
    uvicorn.run(
        "relief.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@app.command()
def worker(
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, help="plan jobs this worker runs at once"
    ),
    once: bool = typer.Option(False, "--once", help="run the queued jobs, then exit"),
) -> None:
    """Run background plan jobs (procrastinate, PostgreSQL only): fails the plans a lost
    worker left computing, applies procrastinate's schema if absent, then runs jobs until
    stopped. Run as many as you like, on any machine that reaches the database."""
    from relief.allocation.jobs import run_worker
    from relief.db import engine_for, ensure_schema_current, is_sqlite

    settings = _settings()
    engine = engine_for(settings)
    ensure_schema_current(engine)
    if is_sqlite(engine):
        engine.dispose()
        typer.echo(
            "relief worker needs PostgreSQL (RELIEF_DATABASE_URL); on SQLite `relief serve` "
            "runs background plans in its own process",
            err=True,
        )
        raise typer.Exit(2)
    engine.dispose()
    run_worker(
        settings.database_url,
        concurrency=concurrency,
        stale_after_s=settings.plan_stale_after_s,
        wait=not once,
    )


DEMO_SCENARIO = Path("scenarios/hohhot")
# Beside the package in a checkout (`pip install -e .`), so that `relief demo` works from any folder.
CHECKOUT_DEMO_SCENARIO = Path(__file__).resolve().parent.parent / DEMO_SCENARIO


@app.command()
def demo(
    scenario: Path = typer.Option(
        DEMO_SCENARIO, "--scenario", help="default: scenarios/hohhot of this checkout"
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="do the work, then exit (CI)"),
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """What `make demo` runs: upgrade, load the scenario, demo users, summary, serve."""
    from relief.db import engine_for
    from relief.demo import run_demo

    if scenario == DEMO_SCENARIO and not scenario.is_dir() and CHECKOUT_DEMO_SCENARIO.is_dir():
        scenario = CHECKOUT_DEMO_SCENARIO  # run from another folder: the checkout's own
    settings = _settings()
    engine = engine_for(settings)
    for line in run_demo(settings.database_url, engine, scenario, settings.secret_key):
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
    full_name: str | None = typer.Option(None, "--full-name"),
    phone: str | None = typer.Option(None, "--phone"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """Add a user; the password is one line from standard input."""
    from pydantic import ValidationError

    from relief.auth import service
    from relief.auth.models import SYSTEM, UserCreate
    from relief.db import engine_for, ensure_schema_current, transaction
    from relief.errors import DomainError

    if not password_stdin:
        typer.echo("give the password on standard input with --password-stdin", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = _settings()
    engine = engine_for(settings)
    ensure_schema_current(engine)
    try:
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            warehouse_codes=warehouse,
            region_codes=region,
            full_name=full_name,
            phone=phone,
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


def _user_command(action):
    """Run `action(session, username)` in one transaction; a domain error exits 2."""
    from relief.db import ensure_schema_current, make_engine, transaction
    from relief.errors import DomainError

    engine = make_engine(get_settings().database_url)
    ensure_schema_current(engine)
    try:
        with transaction(engine) as session:
            return action(session)
    except DomainError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.message}", err=True)
        raise typer.Exit(2) from exc


@users_app.command("update")
def users_update(
    username: str,
    full_name: str | None = typer.Option(None, "--full-name"),
    phone: str | None = typer.Option(None, "--phone"),
) -> None:
    """Set a user's full name and/or phone (an empty --phone "" clears it)."""
    from pydantic import ValidationError

    from relief.auth import service
    from relief.auth.models import SYSTEM, UserUpdate

    given = {
        name: (value or None)
        for name, value in (("full_name", full_name), ("phone", phone))
        if value is not None
    }
    if not given:
        typer.echo("give --full-name and/or --phone", err=True)
        raise typer.Exit(2)
    try:
        data = UserUpdate(**given)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    user = _user_command(lambda session: service.update_user(session, SYSTEM, username, data))
    typer.echo(f"updated {username}: {user.full_name or '—'} · {user.phone or '—'}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account; every session of it ends at once."""
    from relief.auth import service
    from relief.auth.models import SYSTEM

    _user_command(lambda session: service.set_active(session, SYSTEM, username, False))
    typer.echo(f"disabled {username}; their sessions have ended")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable an account again (and lift a sign-in lock on it)."""
    from relief.auth import service
    from relief.auth.models import SYSTEM

    _user_command(lambda session: service.set_active(session, SYSTEM, username, True))
    typer.echo(f"enabled {username}")


@users_app.command("reset-password")
def users_reset_password(username: str) -> None:
    """Print a one-time password; the user must change it at first sign-in."""
    from relief.auth import service
    from relief.auth.models import SYSTEM

    _, password = _user_command(lambda session: service.reset_password(session, SYSTEM, username))
    typer.echo(f"one-time password for {username} (to be changed at first sign-in): {password}")


@scenario_app.command("validate")
def scenario_validate(folder: Path = typer.Argument(..., metavar="DIR")) -> None:
    """Print every problem of a scenario folder (FILE:LINE: field: message) and exit 1,
    or print OK."""
    from relief.scenario.validate import format_problems, validate_scenario

    problems = validate_scenario(folder)
    typer.echo(format_problems(problems))
    if problems:
        raise typer.Exit(1)


@scenario_app.command("load")
def scenario_load(folder: Path = typer.Argument(..., metavar="DIR")) -> None:
    """Validate a scenario folder, then load it in one transaction (idempotent)."""
    from relief.auth.models import SYSTEM
    from relief.db import engine_for, ensure_schema_current, transaction
    from relief.errors import DomainError
    from relief.scenario.loader import ScenarioInvalid, load_scenario
    from relief.scenario.validate import format_problems

    settings = _settings()
    engine = engine_for(settings)
    ensure_schema_current(engine)
    try:
        with transaction(engine) as session:
            report = load_scenario(session, SYSTEM, folder)
    except ScenarioInvalid as exc:
        typer.echo(format_problems(exc.problems))
        raise typer.Exit(1) from exc
    except DomainError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    for line in report.lines():
        typer.echo(line)


@app.command()
def check() -> None:
    """Ledger == stock (on hand and reserved) for every row, every township reserve
    fund's balance == the sum of its ledger and not below zero, and every township or county
    holding of goods == the sum of its ledger and not below zero: print OK, or every
    difference and exit 1."""
    from relief.db import engine_for, ensure_schema_current, session_for
    from relief.distribution.service import check_holdings
    from relief.reserve.service import check_balances
    from relief.stock.check import check_ledger

    engine = engine_for(_settings())
    try:
        ensure_schema_current(engine)
        with session_for(engine, write=False) as session:
            differences = check_ledger(session)
            reserve = check_balances(session)
            holdings = check_holdings(session)
            from relief.funds.service import check_balances as check_funds

            funds = check_funds(session)
    finally:
        engine.dispose()
    if not differences and not reserve and not holdings and not funds:
        typer.echo("OK")
        return
    for difference in differences:
        typer.echo(str(difference))
    if differences:
        typer.echo(f"{len(differences)} difference(s) between stock and ledger")
    for problem in reserve:
        typer.echo(problem)
    if reserve:
        typer.echo(f"{len(reserve)} problem(s) in the township reserve funds")
    for problem in holdings:
        typer.echo(problem)
    if holdings:
        typer.echo(f"{len(holdings)} problem(s) in the goods held by townships and counties")
    for problem in funds:
        typer.echo(problem)
    if funds:
        typer.echo(f"{len(funds)} problem(s) in the relief funds ledger")
    raise typer.Exit(1)


# --- emergency from a scenario folder (no server, no database) --------------------------

_ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def _folder_event(folder: Path, name: str):
    """(scenario, event spec, policy) of a valid folder; exit 2 with the problems (as
    `relief scenario validate` prints them) when it is not valid or has no such event."""
    from relief.emergency.records import Policy
    from relief.scenario.validate import check_scenario, format_problems

    scenario, problems = check_scenario(folder)
    if problems:
        typer.echo(format_problems(problems))
        raise typer.Exit(2)
    spec = scenario.events.get(name)
    if spec is None:
        known = ", ".join(sorted(scenario.events)) or "none"
        typer.echo(
            f"no event {name}: events/{name}.yaml is not in {folder} (events: {known})", err=True
        )
        raise typer.Exit(2)
    return scenario, spec, scenario.policy or Policy()


def _write_output(target: str, text: str) -> None:
    """Write to a file, or to standard output for `-`."""
    if target == "-":
        typer.echo(text, nl=False)
    else:
        Path(target).write_text(text, encoding="utf-8")


@app.command()
def assess(
    scenario: Path = typer.Option(..., "--scenario", metavar="DIR"),
    event: str = typer.Option(
        ..., "--event", metavar="CODE", help="the event's code: the stem of events/CODE.yaml"
    ),
    json_file: str | None = typer.Option(None, "--json", metavar="FILE", help="- for stdout"),
) -> None:
    """Totals, recommended level and exceeded criteria of an event of a scenario folder."""
    import json

    from relief.emergency.assessment import assess as assess_reports
    from relief.emergency.figures import FIGURE_FIELDS

    folder, spec, policy = _folder_event(scenario, event)
    result = assess_reports(spec.reports, policy, folder.regions)
    if json_file is not None:
        _write_output(json_file, json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(
        f"event {spec.name}: {spec.title} ({spec.hazard}, started {spec.started_at.isoformat()})"
    )
    typer.echo(f"policy in force from {policy.effective_from.isoformat()}")
    typer.echo("totals:")
    for key, value in result.totals.items():
        kind = "" if key in FIGURE_FIELDS else "  (criterion)"
        typer.echo(f"  {key:<30} {value:>10}{kind}")
    level = result.recommended_level
    typer.echo(
        f"recommended level: {level} ({_ROMAN[level]}级)" if level else "recommended level: none"
    )
    if result.exceeded:
        typer.echo("exceeded:")
        for entry in result.exceeded:
            typer.echo(
                f"  level {entry['level']}  {entry['criterion']:<30} "
                f"{entry['value']:>10} >= {entry['threshold']}"
            )
    else:
        typer.echo("exceeded: none")


@app.command()
def demand(
    scenario: Path = typer.Option(..., "--scenario", metavar="DIR"),
    event: str = typer.Option(
        ..., "--event", metavar="CODE", help="the event's code: the stem of events/CODE.yaml"
    ),
    level: int | None = typer.Option(None, "--level", min=1, max=4, help="response level"),
    csv_file: str | None = typer.Option(None, "--csv", metavar="FILE", help="- for stdout"),
) -> None:
    """Demand lines of an event: latest report of each region × the policy's norms."""
    import csv
    import io

    from relief.emergency.assessment import assess as assess_reports
    from relief.emergency.assessment import latest_reports
    from relief.emergency.needs import estimate_demand
    from relief.exports import safe_row

    folder, spec, policy = _folder_event(scenario, event)
    lines = estimate_demand(latest_reports(spec.reports), policy.norms, spec.started_at)
    if csv_file is not None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["region_code", "item_code", "quantity", "priority"])
        for line in lines:
            writer.writerow(
                safe_row([line.region_code, line.item_code, line.quantity, line.priority])
            )
        _write_output(csv_file, out.getvalue())
        return
    # Demand does not depend on the level; it is shown for the planner reading along.
    chosen = (
        level
        or spec.level
        or assess_reports(spec.reports, policy, folder.regions).recommended_level
    )
    typer.echo(f"event {spec.name}: {spec.title}; level {chosen or 'none'}")
    typer.echo(f"{'region_code':<12} {'item_code':<14} {'quantity':>10} {'priority':>8}")
    for line in lines:
        typer.echo(
            f"{line.region_code:<12} {line.item_code:<14} {line.quantity:>10} {line.priority:>8}"
        )
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.item_code] = totals.get(line.item_code, 0) + line.quantity
    typer.echo(
        f"{len(lines)} lines; by item: "
        + (", ".join(f"{k} {v}" for k, v in sorted(totals.items())) or "none")
    )


# --- allocation from a scenario folder (no server, no database) -------------------------


def _closure(text: str) -> tuple[str, str]:
    """`FROM:TO` of --close; exit 2 on anything else."""
    parts = text.split(":")
    if len(parts) != 2 or not parts[0] or not parts[1] or parts[0] == parts[1]:
        typer.echo(f"--close {text!r}: expected FROM:TO with two different codes", err=True)
        raise typer.Exit(2)
    return parts[0], parts[1]


@app.command()
def plan(
    scenario: Path = typer.Option(..., "--scenario", metavar="DIR"),
    event: str = typer.Option(
        ..., "--event", metavar="CODE", help="the event's code: the stem of events/CODE.yaml"
    ),
    method: str = typer.Option("optimal", "--method", metavar="optimal|greedy|both"),
    level: int | None = typer.Option(None, "--level", min=1, max=4, help="what-if level"),
    close: list[str] = typer.Option([], "--close", metavar="FROM:TO", help="what-if closure"),
    time_limit: float | None = typer.Option(None, "--time-limit", metavar="S"),
    json_file: str | None = typer.Option(None, "--json", metavar="FILE", help="- for stdout"),
) -> None:
    """Plan an event of a scenario folder (exit 0 with shortfalls too; 2 bad arguments or
    an invalid folder; 3 no level given and none recommended)."""
    import json

    from relief.allocation.planning import PlanningError, plan_scenario, render_plan_result

    if method not in ("optimal", "greedy", "both"):
        typer.echo(f"--method {method!r}: expected optimal, greedy or both", err=True)
        raise typer.Exit(2)
    closures = [_closure(text) for text in close]
    folder, _, _ = _folder_event(scenario, event)
    try:
        result = plan_scenario(folder, event, method, level, closures, time_limit)
    except PlanningError as exc:
        where = f"{exc.field}: " if exc.field else ""
        typer.echo(f"{where}{exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    if json_file is not None:
        _write_output(json_file, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(render_plan_result(result))


@bench_app.command("allocation")
def bench_allocation(
    size: str = typer.Option("province", "--size", metavar="county|province|national"),
    seed: int = typer.Option(0, "--seed"),
    out: str | None = typer.Option(None, "--out", metavar="FILE", help="JSON; - for stdout"),
    replan_after_closure: bool = typer.Option(
        False,
        "--replan-after-closure",
        help="then close a road the plan uses and replan, reusing the plan and from scratch",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=0, help="solver processes (0: one per CPU; default: settings)"
    ),
) -> None:
    """Seeded synthetic allocation benchmark: stage timings, peak memory, model size."""
    import json

    from relief.allocation.bench import SIZES, run_allocation_bench

    if size not in SIZES:
        typer.echo(f"--size {size!r}: expected one of {', '.join(SIZES)}", err=True)
        raise typer.Exit(2)
    result = run_allocation_bench(size, seed, replan_after_closure, workers)
    if out is not None:
        _write_output(out, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        if out == "-":
            return
    network, model = result["network"], result["model"]
    typer.echo(
        f"allocation bench {size} (seed {seed}): {network['regions']:,} regions, "
        f"{sum(network['warehouses'].values()):,} warehouses, {network['roads']:,} roads; "
        f"{result['event']['demand_lines']:,} demand lines"
    )
    typer.echo("stage seconds: " + ", ".join(f"{k} {v}" for k, v in result["timings_s"].items()))
    typer.echo("model: " + ", ".join(f"{k} {v}" for k, v in model.items()))
    typer.echo(f"peak memory {result['peak_memory_mb']} MB ({result['memory_measure']})")
    typer.echo("result: " + ", ".join(f"{k} {v}" for k, v in result["result"].items()))
    if "replan" in result:
        replan = result["replan"]
        typer.echo(
            "replan after closing "
            + "—".join(replan.get("closed") or ["nothing"])
            + ": "
            + ", ".join(f"{k} {v}" for k, v in replan.items() if k != "closed")
        )


@bench_app.command("load")
def bench_load(
    workers: int = typer.Option(4, "--workers", min=1, help="relief serve worker processes"),
    clients: int = typer.Option(50, "--clients", min=1, help="simultaneous users"),
    seconds: float = typer.Option(60.0, "--seconds", min=1, help="how long the load runs"),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="load this scenario first (e.g. scenarios/hohhot)"
    ),
    seed: int = typer.Option(0, "--seed"),
    in_process: bool = typer.Option(
        False,
        "--in-process",
        help="one client, the app in this process: CPU ms and SQL statements per request",
    ),
    think: float = typer.Option(
        0.0,
        "--think",
        min=0.0,
        help="seconds each client pauses after a request, on average (0: never pauses)",
    ),
    read_share: float = typer.Option(
        0.7,
        "--read-share",
        min=0.0,
        max=1.0,
        help="share of the requests that are reads (the rest are the write chains' steps)",
    ),
) -> None:
    """Start N workers on the configured database, run a mixed load (70 % of requests reads,
    or --read-share; receipt →
    transfer → dispatch → receive and household → case → payment chains), print throughput,
    p50/p95/p99 by route group and status counts, and the CPU the server, the generator and
    (when on this machine) PostgreSQL spent per request, then `relief check`. Exit 1 on a
    5xx or a failed check. Clients never pause unless --think says how long they do. With --in-process: the same mix from one client to the app in this
    process, with each route group's CPU time and SQL statements per request."""
    from relief.load_bench import bench_in_process
    from relief.load_bench import bench_load as run

    _settings()
    if in_process:
        for line in bench_in_process(seconds, scenario, seed, read_share):
            typer.echo(line)
        return
    lines, passed = run(workers, clients, seconds, scenario, seed, think, read_share)
    for line in lines:
        typer.echo(line)
    if not passed:
        raise typer.Exit(1)


@bench_app.command("import")
def bench_import(
    rows: int = typer.Option(10_000, "--rows", min=1, max=100_000),
    out: str | None = typer.Option(None, "--out", metavar="FILE", help="JSON; - for stdout"),
) -> None:
    """Time the all-or-nothing household import of ROWS valid rows on SQLite."""
    import json

    from relief.subsidies.bench import run_import_bench

    result = run_import_bench(rows)
    if out is not None:
        _write_output(out, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        if out == "-":
            return
    typer.echo(
        f"import bench: {result['created']:,} of {result['rows']:,} rows in "
        f"{result['import_seconds']} s ({result['rows_per_second']:,} rows/s), "
        f"peak memory {result['peak_memory_mb']} MB"
    )


# --- the statistics forms: export and import (issue 14) -----------------------------------


def _report_engine(scenario: Path | None, database: str | None):
    """An engine on `--database URL`, on a scratch SQLite database holding the scenario
    folder loaded (`--scenario DIR`), or on RELIEF_DATABASE_URL."""
    import tempfile

    from relief.auth.models import SYSTEM
    from relief.db import ensure_schema_current, make_engine, transaction, upgrade
    from relief.errors import DomainError

    if scenario is not None and database is not None:
        typer.echo("give --scenario or --database, not both", err=True)
        raise typer.Exit(2)
    if scenario is not None:
        from relief.scenario.loader import load_scenario

        folder = Path(tempfile.mkdtemp(prefix="relief-report-"))
        url = f"sqlite:///{folder / 'scenario.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            with transaction(engine) as session:
                load_scenario(session, SYSTEM, scenario)
        except DomainError as exc:
            typer.echo(f"{scenario}: {exc.message}", err=True)
            raise typer.Exit(2) from exc
        return engine
    engine = make_engine(database or _settings().database_url)
    ensure_schema_current(engine)
    return engine


def _event_id(session, event: str) -> int:
    """An event by its code (the file stem), `SCENARIO/CODE`, or its number."""
    from relief.emergency import service as events

    if "/" in event and (row := events.event_by_key(session, event)) is not None:
        return row.id
    found = events.list_events(session, code=event)
    if len(found) == 1:
        return found[0].id
    if len(found) > 1:
        keys = ", ".join(row.key or str(row.id) for row in found)
        typer.echo(f"--event {event}: several events have this code ({keys})", err=True)
        raise typer.Exit(2)
    if event.isdigit():
        from relief.emergency.models import EventRow

        if session.get(EventRow, int(event)) is not None:
            return int(event)
    typer.echo(f"--event {event}: no such event", err=True)
    raise typer.Exit(2)


@report_app.command("export")
def report_export(
    event: str = typer.Option(..., "--event", metavar="CODE", help="the event's code or number"),
    table: str = typer.Option("quick", "--table", help="quick | daily | deaths | houses"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx | csv | json"),
    out: str = typer.Option(..., "--out", metavar="FILE", help="- for stdout"),
    scenario: Path | None = typer.Option(None, "--scenario", metavar="DIR"),
    database: str | None = typer.Option(None, "--database", metavar="URL"),
) -> None:
    """A statistics table of an event (the quick report's form by default), as the API's
    GET /events/{id}/statistics gives it."""
    import json

    from relief.auth.models import SYSTEM
    from relief.db import session_for
    from relief.emergency import statistics
    from relief.errors import DomainError
    from relief.subsidies.exports import render

    if fmt not in ("xlsx", "csv", "json"):
        typer.echo("--format: xlsx, csv or json", err=True)
        raise typer.Exit(2)
    engine = _report_engine(scenario, database)
    with session_for(engine, write=False) as session:
        try:
            result = statistics.build(session, SYSTEM, _event_id(session, event), table)
        except DomainError as exc:
            typer.echo(f"{exc.field or 'error'}: {exc.message}", err=True)
            raise typer.Exit(2) from exc
    if fmt == "json":
        rows = [
            {k: statistics._json_value(v) for k, v in zip(result.keys, row, strict=True)}
            for row in result.rows
        ]
        content = (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()
    elif result.layout is not None:
        content = result.layout(fmt)
    else:
        content = render(result.headers, result.rows, fmt, result.sheet, result.title)
    if out == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        Path(out).write_bytes(content)


@report_app.command("import")
def report_import(
    file: str = typer.Argument(
        ..., metavar="FILE", help="the quick form (.xlsx or .csv); - for stdin"
    ),
    event: str = typer.Option(..., "--event", metavar="CODE", help="the event's code or number"),
    database: str | None = typer.Option(None, "--database", metavar="URL"),
) -> None:
    """File the quick report's form as reports of the event, all or nothing (as
    POST /events/{id}/statistics/import); the problems of a rejected file, one a line."""
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.emergency import forms
    from relief.errors import DomainError

    content = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    engine = _report_engine(None, database)
    try:
        with transaction(engine) as session:
            event_id = _event_id(session, event)
            created = forms.import_quick(
                session, SYSTEM, event_id, None if file == "-" else file, content
            )
            count = len(created)
    except DomainError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.message}", err=True)
        for problem in (exc.extra or {}).get("rejected", []):
            where = f"row {problem['row']}" + (f" {problem['column']}" if problem["column"] else "")
            typer.echo(f"  {where}: {problem['message']}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{count} reports filed for event {event}")

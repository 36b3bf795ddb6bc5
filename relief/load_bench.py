"""`relief bench load`: many users at once against `relief serve --workers N` on the
configured database, then `relief check`.

A small asyncio client of our own rather than locust: the workload is a few fixed chains
whose steps feed each other (a transfer's id into its dispatch, a case's amount into its
payment), the figures wanted are per route group and per status, and the whole run — users,
workers, load, check — must be one command. locust would add gevent and its web UI for no
figure we need. Over the network the client is aiohttp: the generator shares the two cores
with the server and the database, and httpx spent ≈ 5 CPU-ms a request where aiohttp spends
≈ 1 (docs/benchmarks.md). In-process runs keep httpx, whose ASGI transport calls the app
without a socket.

The run: load the scenario if asked (idempotent), create this run's users and a subsidy
programme without a notice period (so that a case can be paid within the run), start the
workers, sign every role in once, then for `seconds` let `clients` loops each pick, at
random, a read or one of two write chains, pausing `think_s` on average after each request
(0: never, the issue's load; people read and type between requests). `read_share` is the
share of requests that are reads (0.7, as the issue's load): a chain is 4 or 7 requests, so a
loop turn is a read with the higher probability `read_turns(read_share)` (0.93 for 0.7).
Until 2026-12-08 a turn was a read with probability 0.7, which made only 30 % of the
requests reads; `--read-share 0.3` still runs that heavier write mix.

- stock: receipt at the backbone depot → transfer to a county depot → dispatch → receive;
- subsidies: household → case → village review → publish → township review → approve →
  payment.

Latencies are measured per request and grouped by route (`read orders`, `write receipt`, …);
the report gives throughput, p50/p95/p99 per group, every status seen, and what `relief
check` says after the run.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from relief import clock

# The hohhot scenario's places: a backbone depot supplying a county depot, and a county of
# the flash-flood event whose townships register households.
SOURCE = "WH-150100-B"
DESTINATION = "WH-150102-C"
ITEM = "rice"
EVENT_NAME = "2026年7月大青山南麓暴雨山洪"
COUNTY = "150121"
TOWNSHIPS = ("150121100", "150121101", "150121102")
READ_SHARE = 0.7
CHAIN_STEPS = {"stock": 4, "subsidies": 7}


def read_turns(read_share: float) -> float:
    """The probability that a loop turn is a read, for `read_share` of the requests to be reads.

    A read turn sends one request, a chain turn (stock or subsidies, even odds) the chain's
    mean length L, so reads are p / (p + (1 − p)·L) of the requests; solved for p.
    """
    if not 0.0 <= read_share <= 1.0:
        raise ValueError("read_share must be between 0 and 1")
    steps = sum(CHAIN_STEPS.values()) / len(CHAIN_STEPS)
    return read_share * steps / (1.0 - read_share + read_share * steps)


# N workers each importing the app take a while on busy cores (40 s seen for 2 at load 13).
STARTUP_WAIT_S = 180


@dataclass
class Tally:
    """What the clients saw: latencies (s) per route group and status counts."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    chains: Counter = field(default_factory=Counter)
    # In-process runs only (`--in-process`): CPU seconds and SQL statements per request.
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # CPU seconds spent during the load by the load generator and by the server's processes
    # (None where /proc cannot tell).
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    database_cpu_s: float | None = None

    def add(self, group: str, seconds: float, status: int) -> None:
        self.latencies[group].append(seconds)
        self.statuses[status] += 1


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0…1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _id_number(serial: int) -> str:
    """A valid 18-character ID number (GB 11643 check digit) unique per serial."""
    birth = date.fromordinal(date(1960, 1, 1).toordinal() + (serial // 1000) % 18_000)
    body = f"{COUNTY}{birth:%Y%m%d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


# --- setting up ------------------------------------------------------------------------


@dataclass
class Setup:
    run: str
    password: str
    usernames: dict[str, str]
    event_id: int
    programme: str


def prepare(scenario: Path | None) -> Setup:
    """This run's users (one per role) and programme, on the configured database."""
    from sqlmodel import select

    from relief.auth import service as auth
    from relief.auth.models import SYSTEM, UserCreate
    from relief.config import get_settings
    from relief.db import engine_for, ensure_schema_current, transaction
    from relief.emergency.models import EventRow
    from relief.scenario.loader import load_scenario
    from relief.subsidies import service as subsidies
    from relief.subsidies.models import ProgrammeIn

    settings = get_settings()
    engine = engine_for(settings)
    ensure_schema_current(engine)
    run = f"{int(time.time()) % 10**6:06d}"
    password = secrets.token_urlsafe(16)
    roles = {
        "admin": ("admin", (), ()),
        "manager": ("warehouse_manager", (SOURCE, DESTINATION), ()),
        "duty": ("duty_officer", (), ()),
        "clerk": ("county_staff", (), (COUNTY,)),
        "approver": ("approver", (), (COUNTY,)),
    }
    try:
        if scenario is not None:
            with transaction(engine) as session:
                load_scenario(session, SYSTEM, scenario)
        usernames = {}
        with transaction(engine) as session:
            for name, (role, warehouses, regions) in roles.items():
                username = f"bench-{name}-{run}"
                auth.create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        username=username,
                        role=role,
                        password=password,
                        warehouse_codes=list(warehouses),
                        region_codes=list(regions),
                    ),
                )
                usernames[name] = username
            event = session.exec(select(EventRow).where(EventRow.name == EVENT_NAME)).first()
            if event is None:
                raise SystemExit(
                    f"the event {EVENT_NAME} is not in the database: "
                    "load scenarios/hohhot (--scenario scenarios/hohhot)"
                )
            programme = f"BENCH-{run}"
            subsidies.create_programme(
                session,
                SYSTEM,
                ProgrammeIn(
                    code=programme,
                    name=f"压测重建补助 {run}",
                    kind="rebuild",
                    region_code=COUNTY,
                    event_id=event.id,
                    budget="1000000000",
                    notice_days=0,
                    standards=[
                        {"effective_from": "2026-01-01", "damage": d, "per_household": "20000"}
                        for d in ("collapsed", "severe", "general")
                    ],
                ),
            )
            event_id = int(event.id)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    return Setup(run, password, usernames, event_id, programme)


def start_workers(workers: int, port: int) -> subprocess.Popen:
    """`relief serve --workers N` on a free loopback port, the environment passed on."""
    command = [
        sys.executable,
        "-c",
        "from relief.cli import app; app()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(
        command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + STARTUP_WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"relief serve stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"relief serve did not answer within {STARTUP_WAIT_S} s")


# --- the load --------------------------------------------------------------------------


class StatementCounter:
    """SQL statements sent on an engine (in-process runs: one client, so the count between
    two moments is one request's)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0

        def _on_execute(*_args) -> None:
            self.count += 1

        event.listen(engine, "before_cursor_execute", _on_execute)


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpxSender:
    """Requests through httpx (in-process runs: its ASGI transport calls the app directly)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, method: str, url: str, headers: dict, **kwargs) -> Reply:
        reply = await self.http.request(method, url, headers=headers, **kwargs)
        return Reply(reply.status_code, reply.headers.get("content-type", ""), reply.content)


class AiohttpSender:
    """Requests through aiohttp over one pool of keep-alive connections."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def __call__(self, method: str, url: str, headers: dict, **kwargs) -> Reply:
        async with self.http.request(method, url, headers=headers, **kwargs) as reply:
            body = await reply.read()
            return Reply(reply.status, reply.headers.get("content-type", ""), body)


SENDER_ERRORS = (httpx.HTTPError, aiohttp.ClientError, asyncio.TimeoutError)


class Client:
    def __init__(
        self,
        send,
        tokens: dict[str, str],
        tally: Tally,
        statements: StatementCounter | None = None,
        think_s: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.send, self.tokens, self.tally = send, tokens, tally
        self.statements = statements
        self.think_s, self.rng = think_s, rng or random.Random(0)

    async def call(self, group: str, role: str, method: str, url: str, **kwargs) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if method != "GET":
            headers["Idempotency-Key"] = secrets.token_hex(16)
        counted = self.statements.count if self.statements else 0
        cpu = time.process_time()
        started = time.perf_counter()
        try:
            reply = await self.send(method, url, headers, **kwargs)
        except SENDER_ERRORS as exc:
            self.tally.errors[type(exc).__name__] += 1
            return None
        self.tally.add(group, time.perf_counter() - started, reply.status)
        if self.statements is not None:
            self.tally.cpu[group].append(time.process_time() - cpu)
            self.tally.statements[group].append(self.statements.count - counted)
        if self.think_s:
            # Uniform between half and one and a half times the mean, as people vary.
            await asyncio.sleep(self.think_s * (0.5 + self.rng.random()))
        if reply.status >= 400:
            try:
                detail = reply.json()["detail"]
                why = f" {detail.get('code')} on {detail.get('field')}"
            except (ValueError, KeyError, TypeError, AttributeError):
                why = ""
            self.tally.errors[f"{group} {reply.status}{why}"] += 1
            return None
        return reply.json() if reply.content_type.startswith("application/json") else reply


async def read(client: Client, setup: Setup, rng: random.Random) -> None:
    choice = rng.randrange(6)
    if choice == 0:
        await client.call("read orders", "manager", "GET", "/api/v1/dispatch-orders?sort=-id")
    elif choice == 1:
        await client.call("read ledger", "manager", "GET", f"/api/v1/warehouses/{SOURCE}/ledger")
    elif choice == 2:
        await client.call("read stock", "manager", "GET", f"/api/v1/warehouses/{SOURCE}/stock")
    elif choice == 3:
        await client.call(
            "read households",
            "clerk",
            "GET",
            f"/api/v1/households?event_id={setup.event_id}",
        )
    elif choice == 4:
        await client.call(
            "read cases", "clerk", "GET", f"/api/v1/cases?programme={setup.programme}"
        )
    else:
        await client.call("read reports", "duty", "GET", f"/api/v1/events/{setup.event_id}/reports")


async def stock_chain(client: Client, setup: Setup, serial: int) -> bool:
    reference = f"YC-{setup.run}-{serial}"
    lines = [{"item_code": ITEM, "quantity": 2}]
    if not await client.call(
        "write receipt",
        "manager",
        "POST",
        f"/api/v1/warehouses/{SOURCE}/receipts",
        json={"reference": reference, "lines": lines},
    ):
        return False
    order = await client.call(
        "write transfer",
        "manager",
        "POST",
        "/api/v1/transfers",
        json={
            "from_warehouse_code": SOURCE,
            "to_warehouse_code": DESTINATION,
            "lines": lines,
            "reason": "压测调拨",
        },
    )
    if not order:
        return False
    truck = {"vehicle": "厢式货车", "driver": "压测", "plate": "蒙A00000"}
    url = f"/api/v1/dispatch-orders/{order['id']}"
    if not await client.call("write dispatch", "manager", "POST", f"{url}/dispatch", json=truck):
        return False
    counted = {"lines": [{"item_code": ITEM, "received": 2}], "note": ""}
    return bool(
        await client.call("write receive", "manager", "POST", f"{url}/receive", json=counted)
    )


async def subsidy_chain(client: Client, setup: Setup, serial: int, rng: random.Random) -> bool:
    household = await client.call(
        "write household",
        "clerk",
        "POST",
        "/api/v1/households",
        json={
            "event_id": setup.event_id,
            "region_code": rng.choice(TOWNSHIPS),
            "head_name": "压测户",
            "id_number": _id_number(int(setup.run) % 1800 * 10_000 + serial),
            "size": 3,
            "damage": "severe",
            "rooms": 2,
        },
    )
    if not household:
        return False
    case = await client.call(
        "write case",
        "clerk",
        "POST",
        "/api/v1/cases",
        json={"household_id": household["id"], "programme_code": setup.programme},
    )
    if not case:
        return False
    url = f"/api/v1/cases/{case['id']}"
    for action, role in (
        ("village_review", "clerk"),
        ("publish", "clerk"),
        ("township_review", "clerk"),
        ("approve", "approver"),
    ):
        if not await client.call(
            "write transition", role, "POST", f"{url}/transitions", json={"action": action}
        ):
            return False
    payment = {
        "amount": case["amount"],
        "paid_on": clock.today().isoformat(),  # China's date, as approval is dated
        "reference": f"ZF-{setup.run}-{serial}",
    }
    return bool(
        await client.call("write payment", "clerk", "POST", f"{url}/payments", json=payment)
    )


async def run_load(
    base_url: str,
    setup: Setup,
    clients: int,
    seconds: float,
    seed: int,
    transport: httpx.AsyncBaseTransport | None = None,
    statements: StatementCounter | None = None,
    server_pid: int | None = None,
    think_s: float = 0.0,
    read_share: float = READ_SHARE,
) -> tuple[Tally, float]:
    """The load itself: through httpx's ASGI transport when one is given (in-process),
    else through aiohttp over the network to base_url."""
    load = (setup, clients, seconds, seed, statements, server_pid, think_s, read_share)
    if transport is not None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60, transport=transport) as http:
            return await _drive(HttpxSender(http), *load)
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as http:
        return await _drive(AiohttpSender(http), *load)


async def _drive(
    send,
    setup: Setup,
    clients: int,
    seconds: float,
    seed: int,
    statements: StatementCounter | None,
    server_pid: int | None,
    think_s: float,
    read_share: float,
) -> tuple[Tally, float]:
    tally = Tally()
    read_turn = read_turns(read_share)
    tokens = {}
    for role, username in setup.usernames.items():
        reply = await send(
            "POST",
            "/api/v1/auth/token",
            {},
            data={"username": username, "password": setup.password},
        )
        if reply.status != 200:
            raise SystemExit(f"signing in {username} failed: {reply.status} {reply.body[:200]!r}")
        tokens[role] = reply.json()["access_token"]
    serials = iter(range(10**9))
    cpu = time.process_time()
    server_cpu = _tree_cpu_s(server_pid) if server_pid else None
    database_cpu = database_cpu_s() if server_pid else None
    started = time.perf_counter()
    stop = started + seconds

    async def loop(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        client = Client(send, tokens, tally, statements, think_s, rng)
        while time.perf_counter() < stop:
            if rng.random() < read_turn:
                await read(client, setup, rng)
            elif rng.random() < 0.5:
                done = await stock_chain(client, setup, next(serials))
                tally.chains["stock " + ("done" if done else "broken")] += 1
            else:
                done = await subsidy_chain(client, setup, next(serials), rng)
                tally.chains["subsidies " + ("done" if done else "broken")] += 1

    await asyncio.gather(*(loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    tally.client_cpu_s = time.process_time() - cpu
    if server_cpu is not None:
        after = _tree_cpu_s(server_pid)  # type: ignore[arg-type]
        tally.server_cpu_s = None if after is None else after - server_cpu
    if database_cpu is not None:
        after = database_cpu_s()
        tally.database_cpu_s = None if after is None else after - database_cpu
    return tally, elapsed


def _settle(pid: int, limit_s: float = 120.0) -> None:
    """Wait until the server's processes are idle: the first worker answering the health
    check does not mean the others have finished importing the app, and their start-up
    CPU is not the load's."""
    before = _tree_cpu_s(pid)
    deadline = time.monotonic() + limit_s
    while before is not None and time.monotonic() < deadline:
        time.sleep(1.0)
        now = _tree_cpu_s(pid)
        if now is None or now - before < 0.1:
            return
        before = now


def _processes() -> dict[int, tuple[str, int, list[str]]] | None:
    """Every process /proc shows: pid → (name, parent pid, the fields of its stat line
    after the name). None where /proc cannot tell (not Linux)."""
    try:
        processes = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    raw = (entry / "stat").read_text()
                except OSError:
                    continue  # ended while we looked
                fields = raw.rsplit(")", 1)[1].split()
                name = raw[raw.index("(") + 1 : raw.rindex(")")]
                processes[int(entry.name)] = (name, int(fields[1]), fields)
    except (OSError, ValueError, IndexError):
        return None
    return processes


def _cpu_ticks(fields: list[str], *, ended_children: bool = False) -> int:
    """A process's user + system time in clock ticks; with the time its ended (waited-for)
    children left it, when asked."""
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if ended_children else 0)


def _tree_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a process and its children: the server
    and its workers. Linux /proc only; None elsewhere."""
    processes = _processes()
    if processes is None:
        return None
    tree = {pid}
    changed = True
    while changed:
        changed = False
        for child, (_, parent, _) in processes.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    ticks = sum(_cpu_ticks(processes[m][2]) for m in tree if m in processes)
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_s() -> float | None:
    """CPU seconds used so far by the PostgreSQL server on this machine, if it is here and
    /proc shows it: every `postgres` process's own time, plus what the postmaster's ended
    children (the connections that closed) left it. None when no such process is seen."""
    processes = _processes()
    if processes is None:
        return None
    ticks, seen = 0, False
    for name, parent, fields in processes.values():
        if name == "postgres":
            seen = True
            postmaster = processes.get(parent, ("",))[0] != "postgres"
            ticks += _cpu_ticks(fields, ended_children=postmaster)
    return ticks / os.sysconf("SC_CLK_TCK") if seen else None


def check_after() -> tuple[int, str]:
    """`relief check` on the same database: its exit code and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", "from relief.cli import app; app()", "check"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).strip()


def report(
    tally: Tally, elapsed: float, workers: int, clients: int, think_s: float = 0.0
) -> list[str]:
    total = sum(len(v) for v in tally.latencies.values())
    reads = sum(len(v) for g, v in tally.latencies.items() if g.startswith("read"))
    pause = f", each pausing {think_s:g} s on average" if think_s else ", never pausing"
    lines = [
        f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s "
        f"({workers} workers, {clients} clients{pause}; "
        f"{reads * 100 / max(total, 1):.0f} % of requests reads)",
        f"{'route group':<20} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for kind in ("read", "write"):
        merged = [s for g, v in tally.latencies.items() if g.startswith(kind) for s in v]
        groups = sorted(g for g in tally.latencies if g.startswith(kind))
        for group in [*groups, f"{kind} (all)"]:
            values = merged if group.endswith("(all)") else tally.latencies[group]
            if values:
                lines.append(
                    f"{group:<20} {len(values):>6} {percentile(values, 0.50) * 1000:>8.0f} "
                    f"{percentile(values, 0.95) * 1000:>8.0f} {percentile(values, 0.99) * 1000:>8.0f}"
                )
    if total and not tally.cpu:
        cpu = f"load generator CPU {tally.client_cpu_s * 1000 / total:.1f} ms/request"
        if tally.server_cpu_s is not None:
            cpu = f"server CPU {tally.server_cpu_s * 1000 / total:.1f} ms/request, " + cpu
        if tally.database_cpu_s is not None:
            cpu += f", PostgreSQL CPU {tally.database_cpu_s * 1000 / total:.1f} ms/request"
        else:
            cpu += " (the database's own CPU not counted: not on this machine)"
        lines.append(cpu)
    if tally.cpu:
        lines.append(
            f"{'per request':<20} {'n':>6} {'CPU ms':>8} {'CPU p95':>8} {'SQL':>8} {'SQL max':>8}"
        )
        for group in sorted(tally.cpu):
            cpu, sql = tally.cpu[group], tally.statements[group]
            lines.append(
                f"{group:<20} {len(cpu):>6} {sum(cpu) / len(cpu) * 1000:>8.1f} "
                f"{percentile(cpu, 0.95) * 1000:>8.1f} {sum(sql) / len(sql):>8.1f} {max(sql):>8}"
            )
    lines.append("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    lines.append("chains: " + ", ".join(f"{c}: {n}" for c, n in sorted(tally.chains.items())))
    if tally.errors:
        lines.append(
            "refused or failed: " + ", ".join(f"{e}: {n}" for e, n in tally.errors.most_common())
        )
    return lines


def bench_in_process(
    seconds: float, scenario: Path | None, seed: int = 0, read_share: float = READ_SHARE
) -> list[str]:
    """The same mix, one client, the app in this process (no server, no sockets): the CPU
    time and SQL statements each request costs, per route group. On a shared machine a
    request's CPU time is what it costs whatever the others do; its latency is not."""
    from relief.app import create_app
    from relief.config import get_settings
    from relief.db import engine_for

    setup = prepare(scenario)
    settings = get_settings()
    engine = engine_for(settings)
    app = create_app(settings, engine)
    statements = StatementCounter(engine)
    transport = httpx.ASGITransport(app=app)
    try:
        tally, elapsed = asyncio.run(
            run_load(
                "http://relief.test",
                setup,
                1,
                seconds,
                seed,
                transport,
                statements,
                read_share=read_share,
            )
        )
    finally:
        engine.dispose()
    return report(tally, elapsed, 0, 1)


def bench_load(
    workers: int,
    clients: int,
    seconds: float,
    scenario: Path | None,
    seed: int = 0,
    think_s: float = 0.0,
    read_share: float = READ_SHARE,
) -> tuple[list[str], bool]:
    """The whole run; the report's lines, and whether it passed (no 5xx, check clean)."""
    setup = prepare(scenario)
    port = _free_port()
    server = start_workers(workers, port)
    try:
        _settle(server.pid)
        tally, elapsed = asyncio.run(
            run_load(
                f"http://127.0.0.1:{port}",
                setup,
                clients,
                seconds,
                seed,
                server_pid=server.pid,
                think_s=think_s,
                read_share=read_share,
            )
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    lines = report(tally, elapsed, workers, clients, think_s)
    code, said = check_after()
    lines.append(f"relief check: {'clean' if code == 0 else 'FAILED'}")
    if code != 0:
        lines.append(said)
    server_errors = sum(n for s, n in tally.statuses.items() if s >= 500)
    return lines, server_errors == 0 and code == 0

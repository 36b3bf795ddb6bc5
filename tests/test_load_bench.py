"""`relief bench load`'s own arithmetic: percentiles, generated ID numbers, the report."""

from __future__ import annotations

from pathlib import Path

from relief import load_bench
from relief.load_bench import Tally, _id_number, percentile, report
from relief.subsidies.ids import normalise_id_number


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_generated_id_numbers_are_valid_and_distinct():
    serials = [0, 1, 999, 1000, 17_999_999, 4_321_000]
    numbers = [_id_number(s) for s in serials]
    assert [normalise_id_number(n) for n in numbers] == numbers  # check digit, birth date
    assert len(set(numbers)) == len(numbers)


def test_the_report_gives_throughput_percentiles_by_group_and_statuses():
    tally = Tally()
    for ms in (10, 20, 30):
        tally.add("read orders", ms / 1000, 200)
    tally.add("write receipt", 0.5, 201)
    tally.add("write receipt", 0.7, 503)
    tally.chains["stock broken"] += 1
    lines = report(tally, 2.0, workers=4, clients=50)
    assert lines[0] == (
        "5 requests in 2.0 s: 2.5 requests/s (4 workers, 50 clients, never pausing; "
        "60 % of requests reads)"
    )
    orders = next(line for line in lines if line.startswith("read orders"))
    assert orders.split()[2:] == ["3", "20", "30", "30"]
    assert "statuses: 200: 3, 201: 1, 503: 1" in lines
    assert "chains: stock broken: 1" in lines


def test_the_subsidy_chain_pays_on_chinas_date_not_the_machines():
    """From 16:00 UTC it is already tomorrow in Beijing, where a case's approval is dated:
    a payment dated by the machine's (UTC) calendar was refused as before its approval
    (all 240 payments of a run started at 16:55 UTC)."""
    from datetime import UTC, date, datetime

    from relief import clock

    clock.set_clock(lambda: datetime(2026, 12, 7, 16, 55, tzinfo=UTC))
    try:
        assert clock.today() == date(2026, 12, 8)
        source = Path(load_bench.__file__).read_text(encoding="utf-8")
        assert "date.today()" not in source and '"paid_on": clock.today()' in source
    finally:
        clock.set_clock(None)


def test_the_report_says_how_long_clients_pause():
    tally = Tally()
    tally.add("read orders", 0.01, 200)
    lines = report(tally, 1.0, workers=4, clients=50, think_s=1.0)
    assert lines[0].endswith(
        "(4 workers, 50 clients, each pausing 1 s on average; 100 % of requests reads)"
    )


def test_a_client_pauses_after_each_request_and_counts_what_it_saw(monkeypatch):
    """--think: after each reply the client waits between half and one and a half times the
    mean; a refusal is counted with its code and field, and gives the chain nothing."""
    import asyncio
    import json
    import random

    from relief.load_bench import Client, Reply

    paused: list[float] = []

    async def pause(seconds: float) -> None:
        paused.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", pause)
    sent: list[tuple[str, str, dict]] = []

    async def send(method: str, url: str, headers: dict, **kwargs) -> Reply:
        sent.append((method, url, headers))
        if method == "GET":
            return Reply(200, "application/json", b'{"items": []}')
        detail = {"detail": {"code": "insufficient_stock", "field": "lines"}}
        return Reply(409, "application/json", json.dumps(detail).encode())

    tally = Tally()
    client = Client(send, {"manager": "t0k"}, tally, think_s=2.0, rng=random.Random(1))

    async def both():
        return (
            await client.call("read orders", "manager", "GET", "/api/v1/dispatch-orders"),
            await client.call("write receipt", "manager", "POST", "/x", json={}),
        )

    got, refused = asyncio.run(both())
    assert got == {"items": []} and refused is None
    assert len(paused) == 2 and all(1.0 <= p <= 3.0 for p in paused)
    assert sent[0][2] == {"Authorization": "Bearer t0k"}
    assert "Idempotency-Key" in sent[1][2]  # every write carries a fresh key
    assert tally.statuses == {200: 1, 409: 1}
    assert tally.errors == {"write receipt 409 insufficient_stock on lines": 1}


def test_the_servers_cpu_counts_its_childrens_time():
    """The server's CPU per request sums the process and its workers (children), from
    /proc; a child that burns CPU shows in its parent's tree."""
    import os
    import subprocess
    import sys
    import time

    import pytest

    from relief.load_bench import _tree_cpu_s

    before, own = _tree_cpu_s(os.getpid()), time.process_time()
    if before is None:
        pytest.skip("no /proc here")
    burn = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", burn + "input()"], stdin=subprocess.PIPE)
    try:
        while (_tree_cpu_s(child.pid) or 0.0) < 0.5:
            time.sleep(0.05)  # the child is still burning
        mine = time.process_time() - own
        # /proc counts in clock ticks (1/100 s): allow one tick each way.
        assert _tree_cpu_s(os.getpid()) - before - mine >= 0.48  # type: ignore[operator]
    finally:
        child.communicate(b"\n")


def test_seventy_percent_of_the_requests_are_reads_not_of_the_loop_turns():
    """The issue's load is 70 % reads. A chain turn sends 4 or 7 requests, so reads on 70 % of
    the turns made only 30 % of the requests reads (the bench until 2026-12-08): the loop,
    run against a server that answers at once, now sends reads as 70 % of its requests, and
    as the share asked for when another is asked."""
    import asyncio
    import json

    from relief.load_bench import Reply, Setup, _drive, read_turns

    assert read_turns(0.0) == 0.0 and read_turns(1.0) == 1.0
    assert 0.92 < read_turns(0.7) < 0.93

    async def send(method: str, url: str, headers: dict, **kwargs) -> Reply:
        body = {"access_token": "t0k", "id": 1, "amount": "100.00", "items": []}
        status = 201 if method == "POST" and not url.endswith("/token") else 200
        return Reply(status, "application/json", json.dumps(body).encode())

    setup = Setup("71", "pw", {r: r for r in ("manager", "clerk", "approver", "duty")}, 1, "P")
    for share in (0.7, 0.3):
        tally, _ = asyncio.run(_drive(send, setup, 4, 0.4, 0, None, None, 0.0, share))
        total = sum(len(v) for v in tally.latencies.values())
        reads = sum(len(v) for g, v in tally.latencies.items() if g.startswith("read"))
        assert total > 2000
        assert abs(reads / total - share) < 0.03, (share, reads, total)
        assert tally.chains["stock done"] > 0 and tally.chains["subsidies done"] > 0

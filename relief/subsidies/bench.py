"""`relief bench import`: how fast a county's household spreadsheet imports.

Loads scenarios/hohhot into a scratch SQLite database, writes a CSV of N valid households
(distinct resident ID numbers with correct check digits) in the townships of the snowstorm
event, and times the all-or-nothing import through the same service the API uses.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from pathlib import Path

from stdnum.cn import ric

from relief.allocation.bench import peak_memory_mb
from relief.auth.models import SYSTEM
from relief.db import make_engine, transaction, upgrade
from relief.emergency import service as events
from relief.scenario.loader import load_scenario
from relief.scenario.reader import read_scenario
from relief.subsidies.ids import vault_for
from relief.subsidies.imports import import_households

HEADER = ["户主姓名", "身份证号码", "家庭人口", "行政区划代码", "房屋损坏程度", "损坏间数"]
DAMAGE = ("倒塌", "严重损坏", "一般损坏", "未损坏")


def household_rows(count: int, region_codes: list[str], place: str = "150125") -> list[list]:
    """`count` households with distinct valid ID numbers (birth dates spread over 1950–1999)."""
    rows = []
    for i in range(count):
        born = f"{1950 + i % 50}{1 + (i // 50) % 12:02d}{1 + (i // 600) % 28:02d}"
        body = f"{place}{born}{(i // 16800) % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        region = region_codes[i % len(region_codes)]
        damage = DAMAGE[i % 4]
        rooms = 0 if damage == "未损坏" else 1 + i % 3
        rows.append([f"户主{i}", number, 1 + i % 6, region, damage, rooms])
    return rows


def run_import_bench(rows: int, scenario: Path = Path("scenarios/hohhot")) -> dict:
    folder, _ = read_scenario(scenario)
    affected = set(folder.events["snowstorm"].region_codes)
    # Households are registered at the scenario's lowest level: the affected townships,
    # and the townships of an affected county.
    region_codes = sorted(
        r.code
        for r in folder.regions
        if r.level == "township" and (r.code in affected or r.parent_code in affected)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(household_rows(rows, region_codes))
    content = ("\ufeff" + out.getvalue()).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(url, engine)
        with transaction(engine) as session:
            load_scenario(session, SYSTEM, scenario)
        with transaction(engine) as session:
            event_id = events.event_by_key(session, "snowstorm").id
        started = time.perf_counter()
        with transaction(engine) as session:
            created = import_households(
                session, SYSTEM, event_id, "bench.csv", content, vault_for("bench-secret")
            )
        seconds = time.perf_counter() - started
        engine.dispose()
    return {
        "rows": rows,
        "created": created,
        "file_bytes": len(content),
        "import_seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "peak_memory_mb": peak_memory_mb(),
        "memory_measure": "ru_maxrss of the whole process (scenario load included)",
        "database": "SQLite (scratch file)",
    }

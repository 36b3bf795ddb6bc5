"""`relief report export` and `relief report import` (issue 14): the quick report's form of a
scenario folder's event, imported into an empty event, gives the same reports figure for
figure (`relief report export … | relief report import …`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from relief import clock
from relief.auth.models import SYSTEM
from relief.cli import app
from relief.db import session_for, transaction
from relief.emergency import service as events
from relief.emergency.models import EventIn
from relief.scenario.loader import load_scenario

HOHHOT = Path(__file__).parents[1] / "scenarios" / "hohhot"


def _all(session, event_id):
    """Every report of the event as filed: region, kind, time, figures, explanation."""
    return sorted(
        (
            row.region_code,
            row.kind,
            clock.as_utc(row.reported_at),
            tuple(sorted(events.row_figures(row).items())),
            row.explanation,
            row.zero_report,
        )
        for row in events.list_reports(session, event_id)
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_from_the_folder_piped_into_import_gives_the_same_reports(engine, database_url, fmt):
    runner = CliRunner()
    exported = runner.invoke(
        app,
        ["report", "export", "--scenario", str(HOHHOT), "--event", "snowstorm"]
        + ["--table", "quick", "--format", fmt, "--out", "-"],
    )
    assert exported.exit_code == 0, exported.output
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(exported.stdout_bytes)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0].endswith("自然灾害损失情况统计快报表（分乡镇）")

    with transaction(engine) as session:
        load_scenario(session, SYSTEM, HOHHOT)
        source = (
            events.event_by_key(session, "hohhot/snowstorm")
            or events.list_events(session, code="snowstorm")[0]
        )
        regions = events.event_region_codes(session, source.id)
        empty = events.create_event(
            session,
            SYSTEM,
            EventIn(
                name="空事件",
                hazard="snowstorm",
                started_at=source.started_at,
                region_codes=regions,
            ),
        )
        source_id, empty_id = source.id, empty.id

    imported = runner.invoke(
        app,
        ["report", "import", "--event", str(empty_id), "--database", database_url, "-"],
        input=exported.stdout_bytes,
    )
    assert imported.exit_code == 0, imported.output
    with session_for(engine, write=False) as session:
        before, after = _all(session, source_id), _all(session, empty_id)
    # Every report, not only the latest: townships with an 初报 and a 续报 (with its reason).
    assert len(after) == len(before) > len({r[0] for r in before})
    assert {r[1] for r in after} == {"initial", "update"}
    assert after == before


def test_a_bad_file_exits_2_with_its_rows(engine, database_url, tmp_path):
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, HOHHOT)
    bad = tmp_path / "quick.csv"
    bad.write_text("乡镇代码,乡镇名称,因灾死亡人口\n999999999,?,1\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["report", "import", "--event", "snowstorm", "--database", database_url, str(bad)]
    )
    assert result.exit_code == 2
    assert "row 2 A: unknown region 999999999" in result.output

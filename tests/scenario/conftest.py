"""A small valid scenario folder that each test copies into tmp_path and breaks in one place.

Line numbers matter to the tests: every file below is written exactly as shown, so the
first data row of a CSV is line 2 and the YAML lines are counted from `name:` as line 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

# After every report of the folder's event, so that none is "in the future".
NOW = datetime(2026, 7, 2, tzinfo=UTC)

FILES = {
    "regions.csv": """\
code,name,level,parent_code,lat,lon,population
150000,内蒙古自治区,province,,40.84,111.74,
150100,呼和浩特市,prefecture,150000,40.84,111.74,3446100
150125,武川县,county,150100,41.10,111.45,172000
150125101,可可以力更镇,township,150125,41.09,111.46,60000
150125102,哈乐镇,township,150125,41.23,111.28,
150122,托克托县,county,150100,40.28,111.19,200000
""",
    "warehouses.csv": """\
code,name,tier,region_code,lat,lon,capacity_m3
WH-NM,自治区救灾物资储备中心库,provincial,150000,40.80,111.70,20000
WH-HHT,呼和浩特市骨干库,prefecture,150100,40.83,111.75,8000
WH-WC,武川县片区库,county,150125,41.09,111.45,1500
""",
    "roads.csv": """\
from_code,to_code,distance_km,travel_time_h,status
WH-NM,WH-HHT,8.5,0.25,open
WH-HHT,150100,1,0.05,open
WH-HHT,WH-WC,52.30,1.1,open
WH-WC,150125,0.5,0.02,open
150125,150125101,3,0.1,open
150125102,150125,40,0.9,open
150125,150125102,55.75,1.25,closed
150100,150122,70,1.5,open
""",
    "items.csv": """\
code,name_zh,name_en,unit,weight_kg,volume_m3,category
tent,救灾帐篷,tent,顶,25,0.12,shelter
rice,大米,rice,kg,1,0.0013,food
quilt,棉被,,床,2.5,0.02,
""",
    "stock.csv": """\
warehouse_code,item_code,on_hand,floor
WH-NM,tent,5000,500
WH-NM,rice,200000,20000
WH-HHT,quilt,3000,0
WH-WC,tent,200,20
""",
    "policy.yaml": """\
effective_from: 2024-01-20
criteria:
  dead_missing: [deaths, missing]
  relocated_or_aided: [relocated, needing_aid]
  collapsed_severe_rooms: [collapsed_rooms, severe_rooms]
  collapsed_severe_households: [collapsed_households, severe_households]
thresholds:
  1: {dead_missing: 200, relocated_or_aided: 2000000, collapsed_severe_rooms: 300000}
  2: {dead_missing: 100, relocated_or_aided: 1000000, collapsed_severe_rooms: 200000}
  3: {dead_missing: 50, relocated_or_aided: 500000, collapsed_severe_rooms: 100000}
  4: {dead_missing: 20, relocated_or_aided: 100000, collapsed_severe_households: 3000}
deadlines_h: {1: 8, 2: 10, 3: 12, 4: 12.5}
response_deadlines_h:
  situation_report: {1: 24, 2: 24, 3: 24, 4: 24}
cross_jurisdiction_levels: [1, 2]
tier_penalty_ton_km: {county: 0, prefecture: 20, provincial: 60}
cross_jurisdiction_penalty_ton_km: 30
norms:
  - {item: tent, basis: relocated, per_person: 0.25, priority_weight: 8}
  - {item: rice, basis: needing_aid, per_person: 0.1, priority_weight: 10}
  - {item: quilt, basis: relocated, per_person: 1, priority_weight: 6}
subsidies:
  notice_days: 7
  programmes:
    - code: WC-2026-REBUILD
      name: 武川县2026年倒损住房恢复重建
      kind: rebuild
      region_code: 150125
      event: flood
      budget: "5000000"
      standards:
        - {effective_from: 2018-01-01, damage: collapsed, category: dibao, per_household: "30000.00"}
        - {effective_from: 2018-01-01, damage: collapsed, per_household: 20000}
""",
    "events/flood.yaml": """\
name: 武川县暴雨洪涝
hazard: flood
started_at: 2026-07-01T06:00:00+08:00
level: 4
region_codes: ["150125"]
closed_roads: [[150125, 150125102]]
reports:
  - {region_code: "150125101", kind: initial, reported_at: 2026-07-01T08:00:00+08:00, deaths: 1, missing: 2, relocated: 1200, needing_aid: 5000, collapsed_households: 30, collapsed_rooms: 80, severe_households: 60, severe_rooms: 150, general_households: 200, general_rooms: 500}
  - {region_code: "150125102", kind: initial, reported_at: 2026-07-01T09:00:00+08:00, deaths: 0, missing: 0, relocated: 300, needing_aid: 800, collapsed_households: 5, collapsed_rooms: 12, severe_households: 9, severe_rooms: 20, general_households: 40, general_rooms: 90}
  - {region_code: "150125101", kind: update, reported_at: 2026-07-01T12:00:00+08:00, deaths: 2, missing: 2, relocated: 1500, needing_aid: 5200, collapsed_households: 31, collapsed_rooms: 82, severe_households: 61, severe_rooms: 151, general_households: 210, general_rooms: 520}
""",
}


def write_scenario(folder: Path) -> Path:
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A valid scenario folder: the reader and the validator find no problem in it."""
    return write_scenario(tmp_path / "wuchuan")


@pytest.fixture
def edit(scenario: Path) -> Callable[[str, str, str], None]:
    """Replace one exact, unique piece of text in one file of the scenario."""

    def _edit(name: str, old: str, new: str) -> None:
        path = scenario / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit


@pytest.fixture
def scenario_files() -> dict[str, str]:
    """The valid folder's files by name, as written."""
    return dict(FILES)


@pytest.fixture
def now() -> datetime:
    """A time after every report of the valid folder."""
    return NOW

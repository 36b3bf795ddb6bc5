"""The two 冬春 statistics forms (《自然灾害情况统计调查制度》): 受灾人员冬春生活需救助情况统计表
and 受灾人员冬春生活已救助情况统计表, one row per township and the county's total.

The header and footer rows follow the forms of that system as a copy of its companion
受灾人员冬春生活政府救助人口一览表 (应急统表10, 2020 edition, third-party copy) shows them:
填报单位（盖章）, 制定机关 应急管理部, 批准机关 国家统计局 (V, scenarios/sources/
statistics-and-programmes.md), the period, units per column (人, 户, 公斤, 件, 元) and the
signature line 单位负责人 / 统计负责人 / 填表人 / 报出日期. The columns follow the needs the
official steps name (口粮, 衣被, 取暖, 饮水, 医疗; people and quantities); the official column
list of these two forms was not available to check (scenarios/sources/statistics-and-programmes.md names the forms, not their
columns): the column set is **assumed** and easy to change here. No 表号 is printed (not
verified for these two forms).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session

from relief.auth.models import Actor
from relief.network import service as network
from relief.sheets import write_table
from relief.subsidies import service, winter

NEEDS_TITLE = "受灾人员冬春生活需救助情况统计表"
ASSISTED_TITLE = "受灾人员冬春生活已救助情况统计表"
NEEDS_HEADERS = (
    "地区",
    "需救助户数(户)",
    "需救助人口(人)",
    "需口粮救助人口(人)",
    "需口粮(公斤)",
    "需衣被救助人口(人)",
    "需衣被(件)",
    "需取暖救助人口(人)",
    "需饮水救助人口(人)",
    "需医疗救助人口(人)",
)
ASSISTED_HEADERS = ("地区", "已救助户数(户)", "已救助人口(人)", "救助资金(元)")


AUTHORITIES = "制定机关：应急管理部　批准机关：国家统计局"


def _reported_on() -> str:
    day = winter.today()
    return f"{day.year}年{day.month}月{day.day}日"


def _signatures() -> list[str]:
    """The form's last row: who answers for it and the day it is sent (报出日期, today)."""
    return [f"单位负责人：　　　统计负责人：　　　填表人：　　　报出日期：{_reported_on()}"]


def _unit(session: Session, actor: Actor, fallback: str) -> str:
    """填报单位: the caller's region when they have one, else the programme's."""
    codes = list(actor.region_codes)
    return _name(session, codes[0] if len(codes) == 1 else fallback)


def _name(session: Session, code: str) -> str:
    region = network.get_region(session, code)
    return region.name if region else code


def _needs_row(name: str, tot: dict[str, Any]) -> list[Any]:
    return [
        name,
        tot["households"],
        tot["people"],
        tot["grain_people"],
        Decimal(tot["grain_kg"]).quantize(Decimal("0.1")),
        tot["clothing_people"],
        tot["clothing_pieces"],
        tot["heating_people"],
        tot["water_people"],
        tot["medical_people"],
    ]


def _save(title: str, headers: tuple[str, ...], rows: list[list[Any]], lines: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    write_table(sheet, title, headers, rows, lines=lines, footer=_signatures())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def needs_xlsx(session: Session, actor: Actor, county_code: str, season: int) -> bytes:
    status = winter.totals_status(session, actor, county_code, season)
    total, townships = winter.survey_totals(session, actor, county_code, season)
    rows = [_needs_row(_name(session, code), tot) for code, tot in townships]
    rows.append(_needs_row(f"{status['county_name']}合计", total))
    unit = status["county_name"]
    if status.get("part"):  # a township's staff: their township's part
        unit = _unit(session, actor, county_code)
    lines = [
        f"填报单位（盖章）：{unit}",
        AUTHORITIES,
        f"统计期：{season}—{season + 1}年度冬春（{season}年12月至{season + 1}年5月）"
        f"　报出日期：{_reported_on()}",
        f"报送市级截止日期：{status['due_on'].isoformat()}"
        + (
            f"　已报送：{winter.clock.to_cst(status['submitted_at']).date().isoformat()}"
            if status["submitted_at"]
            else "　尚未报送"
        ),
    ]
    return _save(NEEDS_TITLE, NEEDS_HEADERS, rows, lines)


def assisted_xlsx(session: Session, actor: Actor, programme_code: str) -> bytes:
    programme = service.get_programme(session, programme_code)
    totals = winter.assisted_totals(session, actor, programme_code)
    rows: list[list[Any]] = []
    households = people = paid = 0
    for code, tot in totals:
        rows.append(
            [
                _name(session, code),
                tot["households"],
                tot["people"],
                Decimal(tot["paid_fen"]) / 100,
            ]
        )
        households += tot["households"]
        people += tot["people"]
        paid += tot["paid_fen"]
    rows.append(["合计", households, people, Decimal(paid) / 100])
    lines = [
        f"填报单位（盖章）：{_unit(session, actor, programme.region_code)}",
        AUTHORITIES,
        f"救助项目：{programme.name}（{programme.code}）　报出日期：{_reported_on()}",
    ]
    return _save(ASSISTED_TITLE, ASSISTED_HEADERS, rows, lines)

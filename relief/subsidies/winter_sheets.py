"""The two 冬春 statistics forms (《自然灾害情况统计调查制度》): 受灾人员冬春生活需救助情况统计表
and 受灾人员冬春生活已救助情况统计表, one row per township and the county's total.

The columns follow the needs the official steps name (口粮, 衣被, 取暖, 饮水, 医疗; people and
quantities); the exact layout of the official form was not available to check (no reference
copy in ../shared/data): the column set is **assumed** and easy to change here.
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
    "需衣被(件/床)",
    "需取暖救助人口(人)",
    "需饮水救助人口(人)",
    "需医疗救助人口(人)",
)
ASSISTED_HEADERS = ("地区", "已救助户数(户)", "已救助人口(人)", "救助资金(元)")


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
    write_table(sheet, title, headers, rows, lines=lines)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def needs_xlsx(session: Session, actor: Actor, county_code: str, season: int) -> bytes:
    status = winter.totals_status(session, actor, county_code, season)
    total, townships = winter.survey_totals(session, actor, county_code, season)
    rows = [_needs_row(_name(session, code), tot) for code, tot in townships]
    rows.append(_needs_row(f"{status['county_name']}合计", total))
    lines = [
        f"填报单位：{status['county_name']}　年度：{season}—{season + 1}年度",
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
    lines = [f"救助项目：{programme.name}（{programme.code}）"]
    return _save(ASSISTED_TITLE, ASSISTED_HEADERS, rows, lines)

"""Spreadsheets that leave the system: the public-notice list (张榜公示) and the payment
list for the bank. Both carry masked ID numbers only and Chinese headers; CSV is UTF-8 with
a BOM so that Excel opens the Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.models import Actor
from relief.exports import safe_row
from relief.network import service as network
from relief.subsidies import service
from relief.subsidies.ids import IdNumberVault
from relief.subsidies.models import CATEGORY_ZH, DAMAGE_ZH, Case, Household, Payment, format_fen

# Cases that have been put up for public notice and not rejected.
NOTICE_STATUSES = ("published", "township_reviewed", "approved")
STATUS_ZH = {
    "registered": "已登记",
    "village_reviewed": "村级评议",
    "published": "公示中",
    "township_reviewed": "乡镇审核",
    "approved": "已审批",
    "rejected": "未通过",
}
NOTICE_HEADERS = (
    "序号",
    "户主姓名",
    "身份证号码",
    "行政区划代码",
    "行政区划名称",
    "家庭人口",
    "房屋损坏程度",
    "损坏间数",
    "户类别",
    "补助金额（元）",
    "状态",
    "公示截止",
)
PAYMENT_HEADERS = (
    "序号",
    "户主姓名",
    "身份证号码",
    "一卡通账号",
    "行政区划代码",
    "金额（元）",
    "支付日期",
    "凭证号",
    "案件编号",
    "备注",
)


def _region_names(session: Session, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in codes:
        region = network.get_region(session, code)
        names[code] = region.name if region else ""
    return names


def _scoped_cases(
    session: Session, actor: Actor, programme_code: str, region_code: str | None
) -> list[tuple[Case, Household]]:
    rows: list[tuple[Case, Household]] = []
    offset = 0
    while True:  # the service pages; an export wants every row in scope
        page, total = service.list_cases(
            session,
            actor,
            programme=programme_code,
            region_code=region_code,
            limit=5000,
            offset=offset,
        )
        rows.extend(page)
        offset += len(page)
        if not page or offset >= total:
            return rows


def public_notice_rows(
    session: Session, actor: Actor, programme_code: str, region_code: str | None
) -> list[list[Any]]:
    programme = service.get_programme(session, programme_code, field="programme")
    service.authorize_programme(session, actor, programme)
    cases = [
        (c, h)
        for c, h in _scoped_cases(session, actor, programme_code, region_code)
        if c.status in NOTICE_STATUSES
    ]
    names = _region_names(session, {h.region_code for _, h in cases})
    out: list[list[Any]] = []
    for number, (case, household) in enumerate(cases, start=1):
        ends = clock.to_cst(case.notice_ends_at)
        out.append(
            [
                number,
                household.head_name,
                household.id_masked,
                household.region_code,
                names.get(household.region_code, ""),
                household.size,
                DAMAGE_ZH.get(household.damage, household.damage),
                household.rooms,
                CATEGORY_ZH.get(household.category, household.category),
                Decimal(format_fen(case.amount_fen) or "0"),
                STATUS_ZH.get(case.status, case.status),
                ends.strftime("%Y-%m-%d %H:%M") if ends else "",
            ]
        )
    return out


def payment_rows(
    session: Session, actor: Actor, programme_code: str, vault: IdNumberVault
) -> list[list[Any]]:
    """The bank's payment list: the only export with bank accounts in clear, so each export
    is audited (the caller commits)."""
    programme = service.get_programme(session, programme_code)
    service.authorize_programme(session, actor, programme)
    cases = {c.id: (c, h) for c, h in _scoped_cases(session, actor, programme_code, None)}
    payments = (
        session.exec(
            select(Payment).where(Payment.case_id.in_(list(cases))).order_by(Payment.id)
        ).all()
        if cases
        else []
    )
    reversed_by = service.reversed_ids(session, [p.id for p in payments if p.id is not None])
    out: list[list[Any]] = []
    for number, payment in enumerate(payments, start=1):
        case, household = cases[payment.case_id]
        if payment.reverses_id is not None:
            note = f"冲正第 {payment.reverses_id} 笔：{payment.reason or ''}"
        elif payment.id in reversed_by:
            note = f"已被第 {reversed_by[payment.id]} 笔冲正"
        else:
            note = ""
        out.append(
            [
                number,
                household.head_name,
                household.id_masked,
                vault.decrypt_account(household.bank_cipher) if household.bank_cipher else "",
                household.region_code,
                Decimal(format_fen(payment.amount_fen) or "0"),
                payment.paid_on.isoformat(),
                payment.reference,
                case.id,
                note,
            ]
        )
    audit.record(
        session,
        actor,
        "export_payment_list",
        "programme",
        programme_code,
        None,
        {"payments": len(out)},
    )
    return out


def render(headers: tuple[str, ...], rows: list[list[Any]], fmt: str, title: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in safe_row(row)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(safe_row(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
            elif isinstance(cell.value, str):
                # Masked IDs and account numbers are text, never numbers Excel could round.
                cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

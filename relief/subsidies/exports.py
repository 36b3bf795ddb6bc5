"""Spreadsheets that leave the system: the public-notice list (张榜公示) and the payment
list for the bank. Both carry masked ID numbers only and Chinese headers; CSV is UTF-8 with
a BOM so that Excel opens the Chinese correctly.

The .xlsx files are documents (relief/sheets.py): a title row, the header frozen, dates as
dates, ID and account numbers as text; the public notice has one sheet per village with its
notice period and the programme's 监督电话, ready to print and post. The CSV files are for
other systems: their columns do not change (API.md).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, select

from relief import clock
from relief.audit import service as audit
from relief.auth.models import Actor
from relief.errors import N_
from relief.exports import safe_row
from relief.i18n import translate
from relief.network import service as network
from relief.sheets import sheet_title, write_table
from relief.subsidies import service
from relief.subsidies.ids import IdNumberVault
from relief.subsidies.models import (
    Case,
    CaseTransition,
    Household,
    Payment,
    format_fen,
)

# Cases that have been put up for public notice and not rejected.
NOTICE_STATUSES = ("published", "township_reviewed", "approved")


def _zh(msgid: str, **params: object) -> str:
    """The county's spreadsheets are Chinese documents: their words are the catalogue's
    Chinese ones (relief/locale, ids `export.*`, `case.<status>`, `damage.*`, `category.*`)."""
    return translate(msgid, "zh", **params)


NOTICE_HEADERS = tuple(
    _zh(f"export.col.{name}")
    for name in (
        "index",
        "head_name",
        "id_number",
        "region_code",
        "region_name",
        "size",
        "damage",
        "rooms",
        "category",
        "amount",
        "status",
        "notice_ends",
    )
)
PAYMENT_HEADERS = tuple(
    _zh(f"export.col.{name}")
    for name in (
        "index",
        "head_name",
        "id_number",
        "account",
        "region_code",
        "paid_amount",
        "paid_on",
        "reference",
        "case_id",
        "note",
    )
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


def _shown(value: datetime | None) -> datetime | None:
    """A stored (UTC) time as the naive China Standard Time a spreadsheet cell holds."""
    shown = clock.to_cst(value)
    return shown.replace(tzinfo=None) if shown is not None else None


def _notice_cases(session: Session, actor: Actor, programme_code: str, region_code: str | None):
    programme = service.get_programme(session, programme_code, field="programme")
    service.authorize_programme(session, actor, programme)
    cases = [
        (c, h)
        for c, h in _scoped_cases(session, actor, programme_code, region_code)
        if c.status in NOTICE_STATUSES
    ]
    return programme, cases


def public_notice_rows(
    session: Session, actor: Actor, programme_code: str, region_code: str | None
) -> list[list[Any]]:
    _, cases = _notice_cases(session, actor, programme_code, region_code)
    return _notice_rows(session, cases)


def _notice_rows(session: Session, cases: list[tuple[Case, Household]]) -> list[list[Any]]:
    names = _region_names(session, {h.region_code for _, h in cases})
    out: list[list[Any]] = []
    for number, (case, household) in enumerate(cases, start=1):
        out.append(
            [
                number,
                household.head_name,
                household.id_masked,
                household.region_code,
                names.get(household.region_code, ""),
                household.size,
                _zh(f"damage.{household.damage}"),
                household.rooms,
                _zh(f"category.{household.category}"),
                Decimal(format_fen(case.amount_fen) or "0"),
                _zh(f"case.{case.status}"),
                _shown(case.notice_ends_at),
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
            note = _zh(
                "export.payment.reverses", id=payment.reverses_id, reason=payment.reason or ""
            )
        elif payment.id in reversed_by:
            note = _zh("export.payment.reversed_by", id=reversed_by[payment.id])
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
                payment.paid_on,
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


def _published_at(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each case was last put up for public notice (its `publish` transition)."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(CaseTransition.case_id, CaseTransition.at).where(
            CaseTransition.case_id.in_(case_ids), CaseTransition.to_status == "published"
        )
    ).all()
    out: dict[int, datetime] = {}
    for case_id, at in rows:
        if case_id not in out or at > out[case_id]:
            out[case_id] = at
    return out


def _day(value: datetime | None) -> str:
    shown = clock.to_cst(value)
    if shown is None:
        return "—"
    return _zh("export.notice.day", year=shown.year, month=shown.month, day=shown.day)


def public_notice_xlsx(
    session: Session, actor: Actor, programme_code: str, region_code: str | None
) -> bytes:
    """The 公示 list to post: one sheet per village (the household's region), each with the
    programme's name, the village, the notice period (from the earliest publication to the
    latest notice_ends_at of its cases) and the 监督电话 line."""
    programme, cases = _notice_cases(session, actor, programme_code, region_code)
    published = _published_at(session, [c.id for c, _ in cases if c.id is not None])
    by_village: dict[str, list[tuple[Case, Household]]] = defaultdict(list)
    for case, household in cases:
        by_village[household.region_code].append((case, household))
    names = _region_names(session, set(by_village))
    phone = programme.supervision_phone or _zh("export.notice.no_phone")
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    title = _zh("export.notice.title", programme=programme.name)
    # A posted notice says nothing of the cases' progress: no 状态 column (issue 13 review #23).
    status = NOTICE_HEADERS.index(_zh("export.col.status"))
    headers = NOTICE_HEADERS[:status] + NOTICE_HEADERS[status + 1 :]
    for village in sorted(by_village):
        rows = [r[:status] + r[status + 1 :] for r in _notice_rows(session, by_village[village])]
        starts = [published[c.id] for c, _ in by_village[village] if c.id in published]
        ends = [c.notice_ends_at for c, _ in by_village[village] if c.notice_ends_at]
        name = names.get(village) or village
        # The sheet is per household region: a village (村（社区）) or, where households are
        # registered at township level, a township (乡镇（街道）).
        region = network.get_region(session, village)
        village_level = region is not None and region.level == "village"
        label = N_("export.notice.village") if village_level else N_("export.notice.township")
        write_table(
            workbook.create_sheet(sheet_title(name, taken)),
            title,
            headers,
            rows,
            lines=[
                _zh(label, name=name, code=village),
                _zh(
                    "export.notice.period",
                    start=_day(min(starts) if starts else None),
                    end=_day(max(ends) if ends else None),
                ),
            ],
            footer=[
                _zh("export.notice.objection"),
                _zh("export.notice.phone", phone=phone),
            ],
        )
    if not by_village:
        write_table(
            workbook.create_sheet(_zh("export.notice.sheet")),
            title,
            headers,
            [],
            lines=[_zh("export.notice.empty")],
            footer=[_zh("export.notice.phone", phone=phone)],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    """CSV cells as they always were: amounts with two decimals, dates ISO, times to the
    minute in China Standard Time."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def render(
    headers: tuple[str, ...],
    rows: list[list[Any]],
    fmt: str,
    title: str,
    heading: str | None = None,
) -> bytes:
    """CSV for other systems, or the .xlsx document with `heading` as its title row."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_value(v) for v in safe_row(row)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    write_table(sheet, heading or title, headers, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

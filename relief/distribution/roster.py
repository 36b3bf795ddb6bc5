"""The 发放花名册: one sheet per village (or township) of the households registered for an
event, with their share of each item still to give, to print, have signed and import back.

Columns (Chinese, the import reads them by header): 序号, 户编号, 户主姓名, 身份证号码 (masked),
家庭人口, 所在地, one column per item headed `名称（单位）`, 领取日期, 领取人签字. The sheet
comes filled in with what each household is still owed (share less what it was given); the
township crosses out and corrects what was actually handed over, and types in the name of
whoever signed and the date.

The import is all or nothing: every row is checked first (household of the event in the
region, whole quantities, a date from the event's start to today, who signed, the totals against what the region holds) and
any bad row rejects the whole file with the row errors of relief.subsidies.imports (`row`,
`column`, `code`, `params`), read with its guards (size, zip bombs, wide rows). A row with
no quantity is skipped (nothing handed over). A row that matches an issue already booked
from a roster (same household, date, signer and quantities, not reversed) is the same
signed roster imported again: `roster_already_booked`, so nothing is given twice.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlmodel import Session, select

from relief import clock
from relief.auth.deps import authorize_region, ensure_role
from relief.auth.models import Actor
from relief.distribution import service
from relief.distribution.models import MAX_QUANTITY, IssueRow
from relief.errors import N_, DomainError, not_found
from relief.exports import safe_row
from relief.i18n import unit
from relief.network import service as network
from relief.subsidies.imports import (
    MAX_ROWS,
    CellError,
    RowError,
    _integer,
    _is_blank,
    _rejected,
    _text,
    read_rows,
)
from relief.subsidies.models import Household

# Row problems of this import beyond the shared ones (not_whole_number, out_of_range,
# missing_column, duplicate_in_file): their words are `imp.<code>` in the catalogue.
WORDS = (
    N_("imp.roster_unknown_column"),
    N_("imp.not_in_roster"),
    N_("imp.not_signed"),
    N_("imp.bad_date"),
    N_("imp.date_in_future"),
    N_("imp.roster_over_held"),
    N_("imp.roster_already_booked"),
    N_("imp.date_before_event"),
)
FIXED = ("序号", "户编号", "户主姓名", "身份证号码", "家庭人口", "所在地")
TAIL = ("领取日期", "领取人签字")


def _item_header(session: Session, code: str) -> str:
    row = network.get_item(session, code)
    if row is None:
        return code
    return f"{row.name_zh}（{unit(row.unit, 'zh')}）"


def roster_items(session: Session, region_code: str, event_id: int) -> list[str]:
    """Items on the roster: those the region holds (what it can hand out), or the policy's
    norms before anything has arrived."""
    held = {k for k, v in service.held_by_item(session, region_code).items() if v > 0}
    return sorted(held or set(service.per_person_norms(session, event_id, region_code)))


def roster_context(
    session: Session, actor: Actor, region_code: str, event_id: int, village: str | None
) -> dict[str, Any]:
    """The roster's title, headers and rows (lists of cells) for the region or one village
    below it."""
    from relief.emergency import service as emergency

    ensure_role(actor, *service.ISSUERS)
    region = service.holding_region(session, region_code)
    authorize_region(session, actor, region_code)
    event = emergency.get_event(session, event_id)
    place = region
    if village:
        place = network.get_region(session, village)
        if place is None:
            raise not_found("region", village, "village")
        if region_code not in network.region_lineage(session, village):
            raise DomainError(
                "validation_error",
                "region {village} is not in {code}",
                "village",
                params={"village": village, "code": region_code},
            )
    households = service.event_households(session, place.code, event_id)
    items = roster_items(session, region_code, event_id)
    norms = service.per_person_norms(session, event_id, region_code)
    given = service.issued_by_household(session, [h.id for h in households])  # type: ignore[misc]
    names = {
        code: (r.name if (r := network.get_region(session, code)) else code)
        for code in {h.region_code for h in households}
    }
    rows = []
    for n, household in enumerate(households, start=1):
        got = given.get(household.id, {})  # type: ignore[arg-type]
        owed = [
            max(service.share(norms.get(item, 0), household.size) - got.get(item, 0), 0)  # type: ignore[arg-type]
            for item in items
        ]
        rows.append(
            [
                n,
                household.id,
                household.head_name,
                household.id_masked,
                household.size,
                names[household.region_code],
                *owed,
                None,
                None,
            ]
        )
    return {
        "title": f"{place.name}救灾物资发放花名册",
        "event_name": event.name,
        "region": region,
        "place": place,
        "items": items,
        "headers": [*FIXED, *(_item_header(session, i) for i in items), *TAIL],
        "rows": rows,
        "printed_at": clock.to_cst(clock.now()).strftime("%Y-%m-%d %H:%M"),
    }


def roster_xlsx(context: dict[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "发放花名册"
    sheet.append(safe_row(context["headers"]))
    for row in context["rows"]:
        sheet.append(safe_row(row))
    sheet.freeze_panes = "A2"
    for i, header in enumerate(context["headers"], start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, 2 * len(str(header)) + 2)
    date_col = get_column_letter(len(context["headers"]) - 1)
    for r in range(2, len(context["rows"]) + 2):
        sheet[f"{date_col}{r}"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_pdf(context: dict[str, Any]) -> bytes:
    """The same roster as an A4 landscape PDF with room to sign."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from relief.dispatch.pdf import _BODY, _GRID, _SMALL, _TITLE, _cells, _p

    headers = context["headers"]
    n_items = len(context["items"])
    fixed = [10 * mm, 14 * mm, 24 * mm, 36 * mm, 14 * mm, 30 * mm]
    tail = [24 * mm, 30 * mm]
    room = 267 * mm - sum(fixed) - sum(tail)
    widths = fixed + [room / max(n_items, 1)] * n_items + tail
    table_rows = [_cells(list(headers), widths, _SMALL)]
    for row in context["rows"]:
        table_rows.append(_cells(["" if v is None else v for v in row], widths))
    table = Table(
        table_rows,
        colWidths=widths,
        repeatRows=1,
        rowHeights=[None] + [11 * mm] * len(context["rows"]),
    )
    table.setStyle(TableStyle(_GRID))
    story: list[Any] = [
        _p(context["title"], _TITLE),
        Spacer(1, 3 * mm),
        _p(f"灾害事件：{context['event_name']}　　发放单位：{context['region'].name}", _BODY),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 6 * mm),
        _p(
            "村（居）委会负责人签字：＿＿＿＿＿＿　　乡镇（街道）经办人签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿",
            _BODY,
        ),
        Spacer(1, 3 * mm),
        _p(f"打印时间：{context['printed_at']}", _SMALL),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=context["title"],
        author="relief",
    ).build(story)
    return out.getvalue()


# --- the signed roster back -----------------------------------------------------------------


class _Line:
    __slots__ = ("item_code", "quantity")

    def __init__(self, item_code: str, quantity: int) -> None:
        self.item_code, self.quantity = item_code, quantity


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise CellError("a date like 2026-07-22 is required", "bad_date") from None


def _booked(session: Session, region_code: str, event_id: int) -> dict[tuple, int]:
    """The issues booked from a roster in the region for the event and not reversed, by
    (household, date, who signed, lines): a row that matches one is the same roster again."""
    rows = session.exec(
        select(IssueRow).where(
            IssueRow.region_code == region_code,
            IssueRow.event_id == event_id,
            IssueRow.kind == "issue",
            IssueRow.source == "roster",
        )
    ).all()
    ids = [r.id for r in rows]
    reversed_ = service.reversed_by(session, ids)
    lines = service.issue_lines(session, ids)
    return {
        (
            r.household_id,
            r.issued_on,
            r.signed_by,
            frozenset((x.item_code, x.quantity) for x in lines.get(r.id, [])),  # type: ignore[arg-type]
        ): r.id  # type: ignore[misc]
        for r in rows
        if r.id not in reversed_
    }


def import_roster(
    session: Session,
    actor: Actor,
    region_code: str,
    event_id: int,
    filename: str | None,
    content: bytes,
) -> list[IssueRow]:
    """Book the signed roster: one issue per row that gave anything; all or nothing."""
    from relief.emergency import service as emergency

    ensure_role(actor, *service.ISSUERS)
    service.holding_region(session, region_code)
    authorize_region(session, actor, region_code)
    emergency.get_event(session, event_id)
    rows = read_rows(filename, content)
    header = next(rows, None)
    if header is None:
        raise DomainError("bad_request", "the file is empty", "file")
    by_header: dict[str, str] = {}
    for code in roster_items(session, region_code, event_id) + [
        i.code for i in network.list_items(session)
    ]:
        item = network.get_item(session, code)
        if item is not None:
            by_header.setdefault(_item_header(session, code), code)
            by_header.setdefault(item.name_zh, code)
            by_header.setdefault(code, code)
    columns: dict[str, int] = {}
    item_columns: list[tuple[int, str]] = []
    errors: list[RowError] = []
    for i, cell in enumerate(header):
        name = "" if cell is None else _text(cell)
        if name in FIXED or name in TAIL:
            columns[name] = i
        elif name in by_header:
            item_columns.append((i, by_header[name]))
        elif name:
            errors.append(
                RowError(
                    1,
                    get_column_letter(i + 1),
                    None,
                    f"unknown column {name}",
                    "roster_unknown_column",
                    {"value": name},
                )
            )
    for needed in ("户编号", "领取日期", "领取人签字"):
        if needed not in columns:
            errors.append(
                RowError(
                    1,
                    None,
                    None,
                    f"the column {needed} is missing",
                    "missing_column",
                    {"column": needed},
                )
            )
    if not item_columns:
        errors.append(
            RowError(1, None, None, "no item column", "missing_column", {"column": "物资"})
        )
    if errors:
        raise _rejected(errors)

    # Two imports of the same roster at once queue here (the holding rows of its items, in
    # the order an issue locks them): the second sees what the first booked.
    service.lock_holdings(session, region_code, [code for _, code in item_columns])
    households = {h.id: h for h in service.event_households(session, region_code, event_id)}
    booked = _booked(session, region_code, event_id)
    held = service.held_by_item(session, region_code)
    wanted: dict[str, int] = {}
    first_row: dict[str, int] = {}
    parsed: list[tuple[int, Household, date, str, list[_Line]]] = []
    seen: dict[int, int] = {}
    today = clock.to_cst(clock.now()).date()
    started_on = service.event_started_on(session, event_id)
    for n, cells in enumerate(rows, start=2):
        if n > MAX_ROWS + 1:
            raise DomainError(
                "too_large", "the file has more than {max} rows", "file", params={"max": MAX_ROWS}
            )
        if all(_is_blank(c) for c in cells):
            continue

        def cell(name: str, cells: list[Any] = cells) -> Any:
            i = columns.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        def fail(
            col_name: str | None,
            index: int | None,
            message: str,
            code: str,
            n: int = n,
            **params: Any,
        ) -> None:
            idx = index if index is not None else (columns.get(col_name) if col_name else None)
            letter = get_column_letter(idx + 1) if idx is not None else None
            errors.append(RowError(n, letter, col_name, message, code, params))

        lines: list[_Line] = []
        for i, item in item_columns:
            value = cells[i] if i < len(cells) else None
            if _is_blank(value):
                continue
            try:
                quantity = _integer(value, 0, MAX_QUANTITY)
            except CellError as exc:
                fail(None, i, str(exc), exc.code, **exc.params)
                continue
            if quantity:
                lines.append(_Line(item, quantity))
        if not lines:
            continue  # nothing handed over on this row
        try:
            household_id = _integer(cell("户编号"), 1, 2_147_483_647)
        except CellError as exc:
            fail("户编号", None, str(exc), exc.code, **exc.params)
            continue
        household = households.get(household_id)
        if household is None:
            fail(
                "户编号",
                None,
                f"household {household_id} is not registered for the event here",
                "not_in_roster",
                household_id=household_id,
            )
            continue
        if household_id in seen:
            fail(
                "户编号",
                None,
                f"household {household_id} is listed twice (first on row {seen[household_id]})",
                "duplicate_in_file",
                first_row=seen[household_id],
            )
            continue
        seen[household_id] = n
        signed = cell("领取人签字")
        if _is_blank(signed) or len(_text(signed)) > 64:
            fail(
                "领取人签字",
                None,
                "type the name of whoever signed (at most 64 characters)",
                "not_signed",
            )
            continue
        try:
            issued_on = _date(cell("领取日期"))
            if issued_on > today:
                raise CellError("the date is in the future", "date_in_future")
            if issued_on < started_on:
                raise CellError(
                    f"the date is before the event started ({started_on.isoformat()})",
                    "date_before_event",
                    started_on=started_on.isoformat(),
                )
        except CellError as exc:
            fail("领取日期", None, str(exc), exc.code, **exc.params)
            continue
        key = (
            household.id,
            issued_on,
            _text(signed),
            frozenset((x.item_code, x.quantity) for x in lines),
        )
        if key in booked:
            # The same signed roster imported again: its rows are booked already.
            fail(
                "户编号",
                None,
                f"this row is booked already (issue {booked[key]})",
                "roster_already_booked",
                issue_id=booked[key],
            )
            continue
        for line in lines:
            wanted[line.item_code] = wanted.get(line.item_code, 0) + line.quantity
            first_row.setdefault(line.item_code, n)
        parsed.append((n, household, issued_on, _text(signed), lines))
    for item, quantity in sorted(wanted.items()):
        if quantity > held.get(item, 0):
            column = next(i for i, code in item_columns if code == item)
            errors.append(
                RowError(
                    first_row[item],
                    get_column_letter(column + 1),
                    None,
                    f"the roster gives {quantity} of {item}; {held.get(item, 0)} are held",
                    "roster_over_held",
                    {
                        "item": _item_header(session, item),
                        "quantity": quantity,
                        "held": held.get(item, 0),
                    },
                )
            )
    if errors:
        raise _rejected(errors)
    if not parsed:
        raise DomainError("bad_request", "the roster gives nothing to anyone", "file")
    return [
        service.issue_goods(
            session,
            actor,
            region_code,
            event_id=event_id,
            household_id=household.id,  # type: ignore[arg-type]
            issued_on=issued_on,
            signed_by=signed,
            lines=lines,
            source="roster",
            note=f"发放花名册第{n}行",
        )
        for n, household, issued_on, signed, lines in parsed
    ]

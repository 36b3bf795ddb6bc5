"""Spreadsheets fit to file and post (.xlsx): a title row (and lines under it), the header row
frozen below them, columns wide enough for their Chinese text, dates as date cells, ID and
account numbers as text cells (so that Excel or WPS never shows a 19-digit account as
1.23E+18), amounts as numbers with two decimals. Every text is a string cell, never a
formula (relief.exports.text_cells).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from relief.exports import text_cells

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"
_HEADER_FILL = PatternFill("solid", fgColor="EEEEEE")
_MAX_WIDTH = 60


def text_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet: a Chinese (wide) character counts two."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal):
        value = f"{value:,.2f}"
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value))


def sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in `taken`."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "Sheet"
    title, n = clean, 2
    while title in taken:
        suffix = f"({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def write_table(
    sheet: Worksheet,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    lines: Sequence[str] = (),
    footer: Sequence[str] = (),
) -> None:
    """Title row, `lines` under it, the header row (frozen with all above it), the rows, then
    `footer` lines. A str is written as a text cell; datetimes must be naive (shown time)."""
    span = max(len(headers), 1)
    widths = [text_width(h) for h in headers]

    def banner(text: str, size: float, bold: bool) -> None:
        sheet.append([text])
        row = sheet.max_row
        text_cells(sheet[row])
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        cell = sheet.cell(row=row, column=1)
        cell.font = Font(size=size, bold=bold)
        cell.alignment = Alignment(horizontal="center" if bold else "left", vertical="center")

    banner(title, 14, True)
    for line in lines:
        banner(line, 11, False)
    sheet.append(list(headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = f"A{header_row + 1}"  # a string: sheet.cell() would add a row
    for values in rows:
        sheet.append(list(values))
        for index, cell in enumerate(sheet[sheet.max_row]):
            value = cell.value
            if isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                # ID numbers and accounts are text, never numbers Excel could round.
                cell.data_type = "s"
                cell.number_format = TEXT_FORMAT
            if index < len(widths):
                widths[index] = max(widths[index], text_width(value))
    for line in footer:
        banner(line, 11, False)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)

"""Cells of every spreadsheet and CSV file that leaves the system (payment list, public
notice, dispatch orders, demand lines): the one place that keeps user-typed text from
running as a formula in the reader's spreadsheet (CSV/formula injection).

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be read
by Excel, WPS or LibreOffice as a formula (`=HYPERLINK(…)` in a head name becomes a live
link in the bank's list). In a CSV file (no cell types) it gets a leading apostrophe and
stays text (safe_cell). In an .xlsx file every text cell is written as a string cell (type
`s`, text_cells), which no spreadsheet evaluates, so the text is shown as typed, without
the apostrophe. Only text is touched: numbers, amounts (Decimal), dates and None pass
unchanged, so a negative reversal stays a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as it may be written to an exported cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def text_cells(cells: Iterable[Any]) -> None:
    """Make the text cells of an .xlsx row string cells (openpyxl takes a text beginning with
    `=` for a formula): shown as typed, never evaluated."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"

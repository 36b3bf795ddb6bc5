"""Household import from the county's spreadsheet (.xlsx or .csv), and its template.

All or nothing: every row is checked first (ID checksum, region, duplicates within the file
and against the database, damage and category words) and any bad row rejects the whole
file with a list of `{row, column, field, message, code, params}`; `row` is the spreadsheet
row (the header is row 1) and `column` its letter, so a clerk can find the cell in Excel.
`message` is English; `code` names the kind of problem (one of `ROW_ERROR_CODES`) and
`params` the values its words need, so the web page words each problem in its own language
without reading the English.

Speed (10,000 rows in well under a minute): regions are fetched once for the whole file,
ID hashes are computed in memory and compared with one query per 500, and the rows go in
with one multi-row INSERT.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import IO, Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.packaging.workbook import WorkbookPackage
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring
from sqlmodel import Session, col, select

from relief.auth.deps import region_in_scope, sees_everything
from relief.auth.models import Actor
from relief.errors import DomainError
from relief.i18n import has, translate
from relief.network import service as network
from relief.subsidies import service
from relief.subsidies.contact import ContactError, clean_bank_account, clean_phone
from relief.subsidies.ids import IdNumberError, IdNumberVault, mask_id_number, normalise_id_number
from relief.subsidies.models import (
    CATEGORY_WORDS,
    CONTROL_CHARS,
    DAMAGE_WORDS,
    ROOM_FIELDS,
    STRUCTURE_WORDS,
    rooms_problem,
)

# (field, Chinese header) in template order (API.md).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("head_name", "户主姓名"),
    ("id_number", "身份证号码"),
    ("size", "家庭人口"),
    ("region_code", "行政区划代码"),
    ("damage", "房屋损坏程度"),
    ("rooms", "损坏间数"),
    ("category", "户类别"),
    ("phone", "联系电话"),
    ("bank_account", "一卡通账号"),
    # The 倒损住房户台账's columns: optional, so older templates without them still import.
    ("address", "住址"),
    ("structure", "房屋结构"),
    ("collapsed_rooms", "倒塌间数"),
    ("severe_rooms", "严重损坏间数"),
    ("general_rooms", "一般损坏间数"),
)
REQUIRED = ("head_name", "id_number", "size", "region_code", "damage")
HEADER_ZH = dict(COLUMNS)

MAX_ROWS = 100_000

# The kinds of problem a row error reports (its `code`), with the `params` each carries.
ROW_ERROR_CODES: dict[str, tuple[str, ...]] = {
    "empty_file": (),
    "too_many_rows": ("max",),
    "row_too_wide": ("max",),
    "missing_column": (),
    "no_rows": (),
    "required": (),
    "control_chars": (),
    "too_long": ("max",),
    "too_long_or_control": ("max",),
    "id_missing": (),
    "id_fifteen_digits": (),
    "id_format": (),
    "id_birth_invalid": (),
    "id_birth_early": (),
    "id_birth_future": (),
    "id_check_digit": (),
    "id_invalid": (),
    "stored_as_number": (),
    "account_scientific": (),
    "account_format": (),
    "phone_format": (),
    "not_whole_number": (),
    "out_of_range": ("min", "max"),
    "unknown_damage": ("value",),
    "unknown_category": ("value",),
    "unknown_structure": ("value",),
    "unknown_region": ("code",),
    "region_level": ("code", "level", "lowest"),
    "region_outside_event": ("code",),
    "region_out_of_scope": ("code",),
    "duplicate_in_file": ("first_row",),
    "already_registered": ("household_id",),
    "registered_in_other_county": ("county",),
    "collapsed_without_rooms": (),
    "rooms_without_damage": ("value",),
    "too_many_rooms": ("total", "max"),
}
# The reasons relief.subsidies.ids gives for a refused ID number (free text), by code.


class CellError(ValueError):
    """A cell's value refused, with the code and params of its row error."""

    def __init__(self, message: str, code: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    field: str | None
    message: str
    code: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "code": self.code,
            "params": dict(self.params),
        }


class RowErrors(list):
    """An import's row errors as the API reports them (`rejected`): each message in the
    reply's language, worded from its `code` and `params` (catalogue `imp.<code>`; the
    region levels in them are words too); English keeps the service's own sentence."""

    def said(self, lang: str) -> list[dict[str, Any]]:
        rows = [e.as_dict() if isinstance(e, RowError) else dict(e) for e in self]
        if lang == "en":
            return rows
        for row in rows:
            params = dict(row.get("params") or {})
            for key in ("level", "lowest"):
                if key in params:
                    params[key] = translate(f"level.{params[key]}", "zh")
            key = f"imp.{row['code']}"
            row["message"] = (
                translate(key, "zh", **params)
                if has(key, "zh")
                else translate("error.validation_error", "zh")
            )
        return rows


# --- reading the file ----------------------------------------------------------------------
# A spreadsheet is read as a stream of rows and never held whole: a file may declare a
# sheet of 16,384 × 1,048,576 cells (1.7 KB zipped), pack a gigabyte of XML into a few
# kilobytes, or put millions of cells on one line. Reading stops at the row limit, keeps
# the first MAX_COLUMNS cells of a row, refuses a row of more than MAX_ROW_CELLS cells, and
# refuses an .xlsx whose parts unpack to more than MAX_XLSX_UNPACKED bytes.

MAX_COLUMNS = 64  # cells of a row that are read (the template has 14 columns)
MAX_ROW_CELLS = 1000  # cells a row may have at all; more is a malformed or hostile file
# 100,000 rows of the template as openpyxl writes them (inline strings) unpack to 54 MB;
# Excel's shared strings make the sheet smaller. The sheets and the shared strings are
# streamed, never held; every other part is parsed whole, and in a household file those
# are a few kilobytes (the largest, the theme, ~10 KB).
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_XML_PART = 1024 * 1024  # a part other than a sheet or the shared strings
MAX_SHARED_TEXT_PER_ROW = 128  # characters of shared strings per row of MAX_ROWS (~70 used)
MAX_REPORTED = 1000  # problems listed when a file is rejected; the rest are counted only
_CHUNK = 1 << 20
# A cell element (`<c …>`, with or without a namespace prefix) and the end of a row.
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row\s*>")


def read_rows(filename: str | None, content: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows (header first) as lists of at most MAX_COLUMNS cell values.

    Lazy: a caller that stops early reads no further. Raises DomainError: `bad_request`
    when the file cannot be read, `too_large` for an .xlsx that unpacks to too much, and
    `import_rejected` (`row_too_wide`) for a row of more than MAX_ROW_CELLS cells.
    """
    name = (filename or "").lower()
    is_xlsx = name.endswith(".xlsx") or (not name.endswith(".csv") and content[:2] == b"PK")
    try:
        yield from (_xlsx_rows(content) if is_xlsx else csv_rows(content))
    except DomainError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
        raise DomainError(
            "bad_request",
            "the file is not a readable .xlsx or .csv ({name})",
            "file",
            params={"name": type(exc).__name__},
        ) from None


# Excel saves "CSV UTF-8" with a BOM and plain "CSV" on Chinese Windows in GBK: UTF-8
# (with or without the BOM) first, then GB18030 (which GBK is a part of).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_CHECK_CHUNK = 1 << 20


def csv_encoding(content: bytes) -> str:
    """The encoding a CSV file is read in (CSV_ENCODINGS, the first that decodes all of it);
    DomainError `bad_request` on `file` for UTF-16 text (Excel's "Unicode text") or neither.
    Checked a chunk at a time, so the file is never held twice as text."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DomainError(
            "bad_request",
            "the CSV file is UTF-16 text: save it as CSV (UTF-8) and import that",
            "file",
        )
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(content), _CHECK_CHUNK):
                decoder.decode(content[start : start + _CHECK_CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise DomainError(
        "bad_request",
        "the CSV file is neither UTF-8 nor GB18030 (GBK) text: save it as CSV (UTF-8)",
        "file",
    )


def csv_rows(content: bytes) -> Iterator[list[str]]:
    """A CSV file's rows (cells as text, at most MAX_COLUMNS), decoded as csv_encoding says,
    line by line; `import_rejected` (`row_too_wide`) for a row of more than MAX_ROW_CELLS."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding=csv_encoding(content), newline="")
    for row, cells in enumerate(csv.reader(_bounded_lines(text)), start=1):
        if len(cells) > MAX_ROW_CELLS:
            raise _too_wide(row)
        yield cells[:MAX_COLUMNS]


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines, refusing one with more separators than a row may have cells
    (before csv builds a list of millions of empty cells from it)."""
    for row, line in enumerate(text, start=1):
        if line.count(",") >= MAX_ROW_CELLS:
            raise _too_wide(row)
        yield line


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    _check_xlsx_parts(content)
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        # The declared <dimension> is the sender's word, not the data: ignore it, or
        # openpyxl pads every row to its width and yields every row up to its height.
        sheet.reset_dimensions()
        for cells in sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True):
            yield list(cells)
    finally:
        workbook.close()


def _check_xlsx_parts(content: bytes) -> None:
    """Refuse an .xlsx (a zip) before openpyxl parses it when a part it would read could
    cost more memory than a household file needs. The sizes a zip declares are binding:
    zipfile stops reading a part at its declared size.

    The sheets are found the way openpyxl finds them (content types → workbook part → its
    relationships, targets resolved by openpyxl's own code), wherever they are stored, and
    their rows are counted while streaming; so is the shared-strings part, which openpyxl
    loads whole before any row. Every other part is parsed whole by openpyxl (a tree of
    objects many times its size) and may unpack to at most MAX_XML_PART bytes."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {p.filename: p for p in archive.infolist()}
        if sum(p.file_size for p in parts.values()) > MAX_XLSX_UNPACKED:
            raise DomainError(
                "too_large",
                "the .xlsx unpacks to more than {mb} MB",
                "file",
                params={"mb": MAX_XLSX_UNPACKED // (1024 * 1024)},
            )
        manifest = Manifest.from_tree(fromstring(_whole_part(archive, parts, ARC_CONTENT_TYPES)))
        workbook_name = _find_workbook_part(manifest).PartName[1:]
        package = WorkbookPackage.from_tree(fromstring(_whole_part(archive, parts, workbook_name)))
        rels_name = get_rels_path(workbook_name)
        _whole_part(archive, parts, rels_name)
        rels = get_dependents(archive, rels_name).to_dict()
        targets = [rels[sheet.id] for sheet in package.sheets if sheet.id]
        if not targets or targets[0].target not in parts:
            # openpyxl would skip it silently and read another part as the first sheet.
            raise DomainError("bad_request", "the .xlsx's first sheet is missing", "file")
        streamed: set[str] = set()
        cells = 0
        for rel in targets:
            if rel.target in parts and "chartsheet" not in rel.Type:
                if rel.target not in streamed:
                    with archive.open(parts[rel.target]) as stream:
                        cells += _check_row_widths(stream)
                streamed.add(rel.target)
        strings = manifest.find(SHARED_STRINGS)
        if strings is not None and strings.PartName[1:] in parts:
            name = strings.PartName[1:]
            with archive.open(parts[name]) as stream:
                _check_shared_strings(stream, cells)
            streamed.add(name)
        for name in parts:
            if name not in streamed:
                _whole_part(archive, parts, name, read=False)


def _whole_part(
    archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], name: str, read: bool = True
) -> bytes:
    """A part openpyxl parses whole, refused if it unpacks to more than MAX_XML_PART."""
    part = parts.get(name)
    if part is None:
        raise DomainError(
            "bad_request", "the .xlsx has no part {name}", "file", params={"name": name}
        )
    if part.file_size > MAX_XML_PART:
        raise DomainError(
            "too_large",
            "the .xlsx part {name} unpacks to more than {mb} MB",
            "file",
            params={"name": name, "mb": MAX_XML_PART // (1024 * 1024)},
        )
    return archive.read(part) if read else b""


def _check_shared_strings(stream: IO[bytes], cells: int) -> None:
    """Count the shared strings (`<si>`) and their text while streaming the part, keeping
    one string at a time; refuse more strings than the sheets have cells (a workbook's
    strings are those of its cells) or than MAX_ROWS rows of the template could need, or
    more text than MAX_ROWS × MAX_SHARED_TEXT_PER_ROW characters."""
    limit = min(cells, MAX_ROWS * len(COLUMNS)) + len(COLUMNS)
    max_text = MAX_ROWS * MAX_SHARED_TEXT_PER_ROW
    count = 0
    text = 0
    open_elements: list[ElementTree.Element] = []
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            open_elements.append(element)
            continue
        open_elements.pop()
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "t":
            text += len(element.text or "")
        elif tag == "si":
            count += 1
        if open_elements:  # counted, not kept: only the open elements are held
            open_elements[-1].remove(element)
        if count > limit or text > max_text:
            raise DomainError(
                "too_large",
                "the .xlsx holds more shared strings than its cells could use (at most {limit} strings and {max_text} characters)",
                "file",
                params={"limit": limit, "max_text": max_text},
            )


def _check_row_widths(stream: IO[bytes]) -> int:
    """Count the cells of each row of a sheet's XML, a chunk at a time; a sheet of more rows
    than the limit is refused here, before openpyxl parses a row of it (the cheap way to
    answer a million-row file). Returns the number of cells of the sheet."""
    row = 1
    cells = 0
    total = 0
    carry = b""
    while True:
        chunk = stream.read(_CHUNK)
        data = carry + chunk
        cut = data.rfind(b"<") if chunk else -1
        # A tag cut off at the end of the chunk is counted with the next one.
        if cut == -1 or len(data) - cut > 64:
            cut = len(data)
        data, carry = data[:cut], data[cut:]
        segments = _ROW_END.split(data)
        for i, segment in enumerate(segments):
            found = _CELL.subn(b"", segment)[1]
            cells += found
            total += found
            if cells > MAX_ROW_CELLS:
                raise _too_wide(row)
            if i < len(segments) - 1:
                row += 1
                cells = 0
        if row > MAX_ROWS + 1:
            raise _too_many_rows()
        if not chunk:
            return total


def _too_many_rows() -> DomainError:
    return _rejected(
        [
            RowError(
                1,
                None,
                None,
                f"at most {MAX_ROWS} rows per file",
                "too_many_rows",
                {"max": MAX_ROWS},
            )
        ]
    )


def _too_wide(row: int) -> DomainError:
    return _rejected(
        [
            RowError(
                row,
                None,
                None,
                f"a row has more than {MAX_ROW_CELLS} cells",
                "row_too_wide",
                {"max": MAX_ROW_CELLS},
            )
        ]
    )


def _header_field(value: Any) -> str | None:
    """A header cell → field name; Chinese, English, or both ("户主姓名 head_name")."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    for field, zh in COLUMNS:
        if text in (field, zh):
            return field
    # Longest names first: "严重损坏间数 severe_rooms" is not `rooms` (损坏间数).
    for field, _zh in sorted(COLUMNS, key=lambda c: -len(c[0])):
        if text.endswith(field):
            return field
    for field, zh in sorted(COLUMNS, key=lambda c: -len(c[1])):
        if text.startswith(zh):
            return field
    return None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as text; whole numbers typed into Excel come back as int/float."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _integer(value: Any, low: int, high: int) -> int:
    def not_whole() -> CellError:
        return CellError("a whole number is required", "not_whole_number")

    if isinstance(value, bool):
        raise not_whole()
    if isinstance(value, float):
        if not value.is_integer():
            raise not_whole()
        value = int(value)
    if isinstance(value, str):
        # isdecimal, not isdigit: "²" is a digit that int() refuses (it was a 500).
        if not value.strip().removeprefix("-").isdecimal():
            raise not_whole()
        value = int(value.strip())
    if not isinstance(value, int) or not low <= value <= high:
        raise CellError(
            f"a whole number from {low} to {high} is required", "out_of_range", min=low, max=high
        )
    return value


def _word(value: Any, words: dict[str, str], what: str) -> str:
    text = _text(value)
    if text in words:
        return words[text]
    if text.lower() in words.values():
        return text.lower()
    choices = "/".join(words)
    raise CellError(
        f"{what} not recognised: {text!r} (use {choices} or {'/'.join(words.values())})",
        f"unknown_{what}",
        value=text,
    )


def _number_text(value: Any, what: str) -> str:
    """Long digit strings (ID, bank account) lose digits when Excel holds them as numbers."""
    if isinstance(value, float):
        raise CellError(
            f"the {what} was stored as a number and lost digits; format the column as text",
            "stored_as_number",
        )
    return _text(value)


def _id_number(value: Any) -> str:
    """The cell's ID number in canonical form; CellError with the reason's code if refused."""
    text = _number_text(value, "ID number")
    try:
        return normalise_id_number(text)
    except IdNumberError as exc:
        raise CellError(str(exc), f"id_{exc.code}") from None


# --- checking and importing ---------------------------------------------------------------


def import_households(
    session: Session,
    actor: Actor,
    event_id: int,
    filename: str | None,
    content: bytes,
    vault: IdNumberVault,
) -> int:
    """Check every row, then insert them all; DomainError `import_rejected` if any is bad."""
    event = service.find_event(session, event_id)
    if event is None:
        raise DomainError(
            "unknown_code", "unknown event: {event_id}", "event_id", params={"event_id": event_id}
        )
    rows_read = read_rows(filename, content)
    header = next(rows_read, None)
    if header is None:
        raise _rejected(
            [RowError(1, None, None, "the file is empty: the header row is missing", "empty_file")]
        )

    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        field = _header_field(value)
        if field and field not in columns:
            columns[field] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise _rejected(
            [
                RowError(1, None, f, f"missing column {HEADER_ZH[f]} ({f})", "missing_column")
                for f in missing
            ]
        )

    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any], str]] = []  # (spreadsheet row, values, number)
    for offset, cells in enumerate(rows_read, start=2):
        if offset - 1 > MAX_ROWS:  # stop reading here: the rest of the file is never parsed
            raise _too_many_rows()
        if len(errors) >= MAX_REPORTED or all(_is_blank(c) for c in cells):
            continue  # past MAX_REPORTED problems, rows are only counted
        row_errors, values, number = _parse_row(offset, cells, columns)
        errors.extend(row_errors)
        # Rows with a bad cell still get their region and ID checked, so that one pass
        # reports every problem of the file.
        parsed.append((offset, values, number))

    _codes_for_names(session, actor, parsed)
    regions = network.regions_and_ancestors(
        session, {v["region_code"] for _, v, _ in parsed if v.get("region_code")}
    )
    lowest = service.lowest_region_level(session)
    scoped = not sees_everything(actor)
    hashes = {number: vault.uniqueness_key(number) for _, _, number in parsed if number}
    in_database = service.existing_registrations(session, event.id, hashes.values())
    first_row: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    region_column = get_column_letter(columns["region_code"] + 1)
    id_column = get_column_letter(columns["id_number"] + 1)
    for row, values, number in parsed:
        code = values.get("region_code")
        problem = service.region_problem(code, regions, lowest, event) if code else None
        if problem:
            errors.append(
                RowError(
                    row,
                    region_column,
                    "region_code",
                    problem.message,
                    problem.reason,
                    problem.params,
                )
            )
        elif (
            code and scoped and not set(service.lineage_of(code, regions)) & set(actor.region_codes)
        ):
            errors.append(
                RowError(
                    row,
                    region_column,
                    "region_code",
                    f"region {code} is not in your scope",
                    "region_out_of_scope",
                    {"code": code},
                )
            )
        if not number:
            continue
        id_hash = hashes[number]
        if id_hash in first_row:
            errors.append(
                RowError(
                    row,
                    id_column,
                    "id_number",
                    f"duplicate of row {first_row[id_hash]} in this file",
                    "duplicate_in_file",
                    {"first_row": first_row[id_hash]},
                )
            )
            continue
        first_row[id_hash] = row
        if id_hash in in_database:
            errors.append(_already_registered(session, actor, row, id_column, in_database[id_hash]))
            continue
        account = values.pop("bank_account", None)
        rows.append(
            {
                **values,
                **vault.account_columns(account),
                "id_hash": id_hash,
                "id_cipher": vault.encrypt(number),
                "id_masked": mask_id_number(number),
            }
        )
    if errors:
        raise _rejected(sorted(errors, key=lambda e: (e.row, e.column or ""))[:MAX_REPORTED])
    if not rows:
        raise _rejected([RowError(2, None, None, "the file has no household rows", "no_rows")])
    return len(service.insert_households(session, actor, event.id, rows))


def _codes_for_names(session: Session, actor: Actor, parsed: list[tuple[int, dict, Any]]) -> None:
    """A clerk types 大青山乡 where the column wants 150102101 (issue 13 review #46): a name
    that is exactly one region's in the caller's scope stands for its code; any other name
    stays as typed and is reported as an unknown region."""
    from relief.network.models import RegionRow

    typed = {v["region_code"] for _, v, _ in parsed if v.get("region_code")}
    names = {t for t in typed if not t.isascii()}
    if not names:
        return
    found: dict[str, list[str]] = {}
    for row in session.exec(select(RegionRow).where(col(RegionRow.name).in_(sorted(names)))):
        if region_in_scope(session, actor, row.code):
            found.setdefault(row.name, []).append(row.code)
    for _, values, _ in parsed:
        codes = found.get(values.get("region_code") or "", [])
        if len(codes) == 1:
            values["region_code"] = codes[0]


def _already_registered(
    session: Session, actor: Actor, row: int, column: str, existing: tuple[int, str]
) -> RowError:
    """A number registered before: in the caller's scope the row names the household; from
    another county only that county (service.duplicate_registration)."""
    household_id, region_code = existing
    if region_in_scope(session, actor, region_code):
        return RowError(
            row,
            column,
            "id_number",
            f"already registered for this event as household {household_id}",
            "already_registered",
            {"household_id": household_id},
        )
    county = service.county_name(session, region_code)
    return RowError(
        row,
        column,
        "id_number",
        f"already registered for this event in another county ({county})",
        "registered_in_other_county",
        {"county": county},
    )


def _parse_row(
    row: int, cells: list[Any], columns: dict[str, int]
) -> tuple[list[RowError], dict[str, Any], str]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    number = ""

    def cell(field: str) -> Any:
        index = columns.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    def fail(name: str, message: str, code: str, **params: Any) -> None:
        column = get_column_letter(columns[name] + 1)
        errors.append(RowError(row, column, name, message, code, params))

    def refused(name: str, exc: CellError) -> None:
        fail(name, str(exc), exc.code, **exc.params)

    def fits(name: str, text: str, limit: int) -> bool:
        if len(text) > limit or CONTROL_CHARS.search(text):
            message = f"at most {limit} characters, no control characters"
            fail(name, message, "too_long_or_control", max=limit)
            return False
        return True

    for name in REQUIRED:
        if _is_blank(cell(name)):
            fail(name, f"{HEADER_ZH[name]} ({name}) is required", "required")
    if errors:
        return errors, values, number
    head = _text(cell("head_name"))
    if CONTROL_CHARS.search(head):
        fail("head_name", "must not contain control characters", "control_chars")
    if len(head) > 64:
        fail("head_name", "at most 64 characters", "too_long", max=64)
    values["head_name"] = head
    try:
        number = _id_number(cell("id_number"))
    except CellError as exc:
        number = ""
        refused("id_number", exc)
    try:
        values["size"] = _integer(cell("size"), 1, 100)
    except CellError as exc:
        refused("size", exc)
    code = _text(cell("region_code"))
    if fits("region_code", code, 64):
        values["region_code"] = code
    try:
        values["damage"] = _word(cell("damage"), DAMAGE_WORDS, "damage")
    except CellError as exc:
        refused("damage", exc)
    rooms = cell("rooms")
    try:
        values["rooms"] = 0 if _is_blank(rooms) else _integer(rooms, 0, 1000)
    except CellError as exc:
        refused("rooms", exc)
    category = cell("category")
    try:
        values["category"] = (
            "general" if _is_blank(category) else _word(category, CATEGORY_WORDS, "category")
        )
    except CellError as exc:
        refused("category", exc)
    address = cell("address")
    values["address"] = None
    if not _is_blank(address):
        text = _text(address)
        if fits("address", text, 200):
            values["address"] = text
    structure = cell("structure")
    try:
        values["structure"] = (
            None if _is_blank(structure) else _word(structure, STRUCTURE_WORDS, "structure")
        )
    except CellError as exc:
        refused("structure", exc)
    for name in ("collapsed_rooms", "severe_rooms", "general_rooms"):
        raw = cell(name)
        try:
            values[name] = None if _is_blank(raw) else _integer(raw, 0, 1000)
        except CellError as exc:
            refused(name, exc)
    # The damage class and the rooms by degree agree, as on the form (models.rooms_problem).
    if "damage" in values and not any(e.field in ROOM_FIELDS for e in errors):
        problem = rooms_problem(values["damage"], {n: values.get(n) for n in ROOM_FIELDS})
        if problem is not None:
            name, code, message, params = problem
            fail(name, message.format(**params), code, **params)
    for name, limit, what in (("phone", 32, "phone number"), ("bank_account", 64, "bank account")):
        raw = cell(name)
        if _is_blank(raw):
            values[name] = None
            continue
        try:
            text = _number_text(raw, what)
        except CellError as exc:
            refused(name, exc)
            continue
        if not fits(name, text, limit):
            continue
        try:
            values[name] = clean_phone(text) if name == "phone" else clean_bank_account(text)
        except ContactError as exc:
            fail(name, str(exc), exc.code)
    return errors, values, number


def _rejected(errors: list[RowError]) -> DomainError:
    rows = {e.row for e in errors}
    return DomainError(
        "import_rejected",
        "nothing was imported: {problems} problem(s) in {rows} row(s)",
        "file",
        extra={"rejected": RowErrors(e.as_dict() for e in errors)},
        params={"problems": len(errors), "rows": len(rows)},
    )


# --- the template ---------------------------------------------------------------------------


def template(fmt: str) -> bytes:
    """An empty sheet with the Chinese headers in the order the import expects."""
    headers = [zh for _, zh in COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(headers)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "受灾户登记"
    sheet.append(headers)
    sheet.freeze_panes = "A2"  # the headers stay in view (issue 13 review #24)
    # ID numbers and bank accounts as text, so Excel keeps every digit.
    for field in ("id_number", "bank_account", "phone", "region_code"):
        letter = get_column_letter([f for f, _ in COLUMNS].index(field) + 1)
        for row in range(2, 1002):
            sheet[f"{letter}{row}"].number_format = "@"
        sheet.column_dimensions[letter].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

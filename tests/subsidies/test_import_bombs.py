"""Hostile uploads (issue 12, point 7): a body over RELIEF_MAX_UPLOAD_MB is refused while it
streams in (413 `too_large`), and a spreadsheet built to expand in memory — a sheet that
declares A1:XFD1048576, a million rows, a part that unpacks to a gigabyte, a row of
millions of cells — is answered 413 or 422 with memory bounded by the limits, not by what
the file declares. Memory is measured with tracemalloc (the Python objects a reader
builds); no test measures time."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from relief.app import create_app
from relief.subsidies import imports
from tests.subsidies.conftest import id_number
from tests.subsidies.test_imports import ZH, as_csv, upload

MB = 1024 * 1024


def xlsx_from_sheet_xml(sheet_xml: bytes) -> bytes:
    """A minimal .xlsx written by hand (inline strings, no shared strings or styles)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _header_row() -> str:
    letters = "ABCDEFGHI"
    return (
        '<row r="1">'
        + "".join(_cell(f"{c}1", h) for c, h in zip(letters, ZH, strict=True))
        + "</row>"
    )


def sheet_xml(rows: str | bytes, dimension: str = "A1:I2") -> bytes:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>'
    ).encode()
    body = rows.encode() if isinstance(rows, str) else rows
    return head + body + b"</sheetData></worksheet>"


def _valid_row(r: int) -> str:
    values = ["户主", id_number(r), "3", "150102001", "倒塌"]
    return (
        f'<row r="{r}">'
        + "".join(_cell(f"{c}{r}", v) for c, v in zip("ABCDE", values, strict=True))
        + ("</row>")
    )


class Peak:
    """Peak of Python allocations (bytes) while the block runs, above where it started."""

    def __enter__(self) -> Peak:
        tracemalloc.start()
        self.start = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc) -> None:
        self.bytes = tracemalloc.get_traced_memory()[1] - self.start
        tracemalloc.stop()


@pytest.fixture
def small_limit_client(settings, engine) -> Iterator[TestClient]:
    """The app with RELIEF_MAX_UPLOAD_MB=1."""
    app = create_app(settings.model_copy(update={"max_upload_mb": 1}), engine)
    with TestClient(app) as client:
        yield client


# --- the size of the body ------------------------------------------------------------------


def test_upload_over_the_limit_is_413_too_large(small_limit_client, world):
    content = as_csv([ZH]) + b"x" * (2 * MB)
    reply = upload(small_limit_client, world, content, "big.csv")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"


def test_upload_over_the_limit_without_a_length_is_refused_while_it_streams(
    small_limit_client, world
):
    # No Content-Length (chunked): the bytes are counted as they arrive.
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(40):
            yield b"x" * 65536

    headers = {**world.clerk, "Content-Type": "multipart/form-data; boundary=b"}
    reply = small_limit_client.post("/api/v1/households/import", content=chunks(), headers=headers)
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"


def test_upload_over_the_limit_with_an_idempotency_key_is_413(small_limit_client, world):
    content = as_csv([ZH]) + b"x" * (2 * MB)
    headers = {**world.clerk, "Idempotency-Key": "big-1", "Accept-Language": "zh-CN"}
    reply = upload(small_limit_client, world, content, "big.csv", headers=headers)
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"
    assert "过大" in reply.json()["detail"]["message"]


def test_web_import_over_the_limit_is_413(small_limit_client, world):
    reply = small_limit_client.post(
        "/subsidies/import",
        files={"file": ("big.csv", b"x" * (2 * MB))},
        data={"event_id": str(world.event_id)},
        headers=world.clerk,
    )
    assert reply.status_code == 413


def test_json_body_over_the_limit_is_413(small_limit_client, world):
    reply = small_limit_client.post(
        "/api/v1/households",
        content=b'{"head_name": "' + b"x" * (2 * MB) + b'"}',
        headers={**world.clerk, "Content-Type": "application/json"},
    )
    assert reply.status_code == 413


def test_upload_under_the_limit_still_imports(small_limit_client, world):
    reply = upload(
        small_limit_client,
        world,
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))),
        "ok.xlsx",
    )
    assert reply.status_code == 201, reply.text


# --- spreadsheets built to expand ----------------------------------------------------------


def test_xlsx_declaring_the_whole_sheet_is_read_by_its_cells_not_its_dimension(client, world):
    # 1.7 KB that declares 16,384 columns × 1,048,576 rows, with one valid household.
    content = xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2), "A1:XFD1048576"))
    assert len(content) < 3000
    with Peak() as peak:
        reply = upload(client, world, content, "bomb.xlsx")
    assert reply.status_code == 201, reply.text
    assert reply.json()["created"] == 1
    assert peak.bytes < 150 * MB


def test_xlsx_with_a_cell_at_the_last_row_stops_at_the_row_limit(client, world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 1000)
    rows = _header_row() + _valid_row(2) + '<row r="1048576">' + _cell("XFD1048576", "x")
    content = xlsx_from_sheet_xml(sheet_xml(rows + "</row>", "A1:XFD1048576"))
    with Peak() as peak:
        reply = upload(client, world, content, "bomb.xlsx")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "too_many_rows"
    assert peak.bytes < 20 * MB


def test_xlsx_of_a_million_rows_is_refused_at_the_row_limit_without_reading_them_all(
    client, world, monkeypatch
):
    # Memory proportional to the row limit, not to the file: with a limit of 1,000 rows
    # the reader must not build the million rows it would otherwise hold.
    monkeypatch.setattr(imports, "MAX_ROWS", 1000)
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r)
        for r in range(2, 1_000_002)
    )
    content = xlsx_from_sheet_xml(sheet_xml(_header_row().encode() + rows, "A1:I1000001"))
    del rows
    with Peak() as peak:
        reply = upload(client, world, content, "million.xlsx")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "too_many_rows"
    assert peak.bytes < 30 * MB


def test_xlsx_whose_sheet_unpacks_to_hundreds_of_megabytes_is_413(client, world):
    padding = b" " * (imports.MAX_XLSX_UNPACKED + MB)
    content = xlsx_from_sheet_xml(sheet_xml(_header_row().encode() + padding))
    del padding
    assert len(content) < MB
    with Peak() as peak:
        reply = upload(client, world, content, "zipbomb.xlsx")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"
    assert peak.bytes < 50 * MB


def test_xlsx_row_of_millions_of_cells_is_422_row_too_wide(client, world):
    cells = b"<c/>" * 2_000_000
    content = xlsx_from_sheet_xml(
        sheet_xml(_header_row().encode() + b'<row r="2">' + cells + b"</row>")
    )
    del cells
    with Peak() as peak:
        reply = upload(client, world, content, "wide.xlsx")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "row_too_wide"
    assert peak.bytes < 50 * MB


def test_csv_line_of_millions_of_cells_is_422_row_too_wide(client, world):
    content = as_csv([ZH]) + b"," * (5 * MB) + b"\n"
    with Peak() as peak:
        reply = upload(client, world, content, "wide.csv")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "row_too_wide"
    assert peak.bytes < 60 * MB


def test_csv_of_junk_rows_lists_a_bounded_number_of_problems(client, world):
    # ~15 MB of rows of 100 two-letter cells: every row is bad, the reply lists the first
    # MAX_REPORTED problems and the reader keeps 64 cells of a row at most.
    line = b",".join([b"ab"] * 100) + b"\n"
    content = as_csv([ZH]) + line * 50_000
    with Peak() as peak:
        reply = upload(client, world, content, "junk.csv")
    assert reply.status_code == 422, reply.text
    assert len(reply.json()["detail"]["rejected"]) <= imports.MAX_REPORTED
    assert peak.bytes < 150 * MB


def test_an_upload_over_the_limit_from_the_import_page_gets_a_page_in_chinese(
    small_limit_client, world
):
    content = as_csv([ZH]) + b"x" * (2 * MB)
    reply = small_limit_client.post(
        "/subsidies/import",
        data={"event_id": str(world.event_id)},
        files={"file": ("big.csv", content, "text/csv")},
        headers={"Origin": "http://testserver"},
    )
    assert reply.status_code == 413
    assert reply.headers["content-type"].startswith("text/html")
    assert "文件过大" in reply.text and "1 MB" in reply.text
    small_limit_client.cookies.set("relief_lang", "en")
    reply = small_limit_client.post(
        "/subsidies/import",
        data={"event_id": str(world.event_id)},
        files={"file": ("big.csv", content, "text/csv")},
        headers={"Origin": "http://testserver"},
    )
    assert reply.status_code == 413 and "File too large" in reply.text


# --- parts the pre-scan must find where openpyxl finds them (fix12: N1, N2) ----------------


def _move_sheet(content: bytes, target: str) -> bytes:
    """The same .xlsx with its sheet stored at xl/`target` and the workbook's link (and the
    content types) pointing there: openpyxl follows the link wherever it leads."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            name = info.filename
            if name == "xl/worksheets/sheet1.xml":
                name = f"xl/{target}"
            elif name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(b"worksheets/sheet1.xml", target.encode())
            dst.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_shared_strings(content: bytes, sst: bytes) -> bytes:
    """The .xlsx with a shared-strings part declared in its content types."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
        dst.writestr("xl/sharedStrings.xml", sst, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sst(count: int, text: bytes = b"ab") -> bytes:
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    return head + (b"<si><t>" + text + b"</t></si>") * count + b"</sst>"


def test_xlsx_whose_sheet_is_moved_out_of_the_worksheets_folder_is_still_prescanned(client, world):
    # The attacker's wide_hidden.xlsx: a row of 1.5 M cells in a sheet stored at
    # xl/data/sheet1.xml, which a scan of xl/worksheets/ alone never looks at.
    cells = b'<c t="n"><v>1</v></c>' * 1_500_000
    content = _move_sheet(
        xlsx_from_sheet_xml(sheet_xml(b'<row r="1">' + cells + b"</row>")), "data/sheet1.xml"
    )
    del cells
    with Peak() as peak:
        reply = upload(client, world, content, "wide_hidden.xlsx")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "row_too_wide"
    assert peak.bytes < 50 * MB


def test_xlsx_of_a_million_rows_in_a_moved_sheet_is_refused_at_the_row_limit(
    client, world, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_ROWS", 1000)
    rows = b'<row><c t="n"><v>1</v></c></row>' * 200_000
    content = _move_sheet(xlsx_from_sheet_xml(sheet_xml(_header_row().encode() + rows)), "x.xml")
    del rows
    with Peak() as peak:
        reply = upload(client, world, content, "rows.xlsx")
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["rejected"][0]["code"] == "too_many_rows"
    assert peak.bytes < 30 * MB


def test_moved_sheet_that_is_legitimate_still_imports(client, world):
    content = _move_sheet(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))), "data/sheet1.xml"
    )
    reply = upload(client, world, content, "moved.xlsx")
    assert reply.status_code == 201, reply.text


def test_xlsx_whose_first_sheet_links_outside_the_zip_is_400(client, world):
    content = _move_sheet(xlsx_from_sheet_xml(sheet_xml(_header_row())), "../../etc/x.xml")
    reply = upload(client, world, content, "outside.xlsx")
    assert reply.status_code == 400, reply.text
    assert reply.json()["detail"]["code"] == "bad_request"


def test_xlsx_with_millions_of_shared_strings_is_413_before_openpyxl_loads_them(client, world):
    # The attacker's sst_bomb.xlsx: 5 M copies of <si><t>ab</t></si> (90 MB unpacked, under
    # the unpacked limit) that openpyxl would load before any row is checked.
    content = _with_shared_strings(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))), _sst(5_000_000)
    )
    assert len(content) < MB
    with Peak() as peak:
        reply = upload(client, world, content, "sst_bomb.xlsx")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"
    assert peak.bytes < 50 * MB


def test_xlsx_with_more_shared_strings_than_cells_is_413(client, world):
    content = _with_shared_strings(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))), _sst(50_000)
    )
    reply = upload(client, world, content, "sst.xlsx")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"


def test_xlsx_with_a_huge_shared_string_text_is_413(client, world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 10)  # text bound: MAX_ROWS × 128 characters
    content = _with_shared_strings(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))), _sst(3, b"x" * 2000)
    )
    reply = upload(client, world, content, "sst_text.xlsx")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"


def test_xlsx_with_a_few_shared_strings_still_imports(client, world):
    shared = '<c r="A2" t="s"><v>0</v></c>'
    row = _valid_row(2).replace(_cell("A2", "户主"), shared)
    content = _with_shared_strings(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + row)), _sst(1, "户主".encode())
    )
    reply = upload(client, world, content, "sst_ok.xlsx")
    assert reply.status_code == 201, reply.text


def test_xlsx_part_that_openpyxl_parses_whole_is_bounded(client, world):
    # styles.xml (or any part other than the sheets and the shared strings) is parsed into a
    # tree at once: a few megabytes of elements make hundreds of megabytes of objects.
    content = xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2)))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), zipfile.ZIP_DEFLATED)
        dst.writestr(
            "xl/styles.xml",
            b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<cellXfs>" + b"<xf/>" * 2_000_000 + b"</cellXfs></styleSheet>",
            zipfile.ZIP_DEFLATED,
        )
    with Peak() as peak:
        reply = upload(client, world, out.getvalue(), "styles.xlsx")
    assert reply.status_code == 413, reply.text
    assert reply.json()["detail"]["code"] == "too_large"
    assert peak.bytes < 50 * MB


def test_a_refused_import_leaves_no_workbook_behind(client, world):
    import gc

    content = _with_shared_strings(
        xlsx_from_sheet_xml(sheet_xml(_header_row() + _valid_row(2))), _sst(5_000_000)
    )
    upload(client, world, content, "sst_bomb.xlsx")
    gc.collect()
    from openpyxl.workbook.workbook import Workbook

    assert not [o for o in gc.get_objects() if isinstance(o, Workbook)]

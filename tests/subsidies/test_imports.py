"""Household import: xlsx and csv, Chinese or English headers and words, all-or-nothing with
row/column/field/message errors, and the template round trip; 10,000 rows quickly."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from relief.subsidies.imports import ROW_ERROR_CODES
from tests.subsidies.conftest import id_number, many_ids

ZH = [
    "户主姓名",
    "身份证号码",
    "家庭人口",
    "行政区划代码",
    "房屋损坏程度",
    "损坏间数",
    "户类别",
    "联系电话",
    "一卡通账号",
]
# The 倒损住房户台账's optional columns, at the end of the template (files without them import).
LEDGER_ZH = ["住址", "房屋结构", "倒塌间数", "严重损坏间数", "一般损坏间数"]


def as_csv(rows: list[list[object]], bom: bool = True) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def as_xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, world, content: bytes, name: str, headers=None):
    return client.post(
        "/api/v1/households/import",
        files={"file": (name, content)},
        data={"event_id": str(world.event_id)},
        headers=headers or world.clerk,
    )


def good_rows(count: int = 3) -> list[list[object]]:
    return [
        [f"户主{i}", id_number(i), 3, "150102001", "倒塌", 2, "低保户", "", ""]
        for i in range(1, count + 1)
    ]


def test_csv_with_chinese_headers_and_words_imports_every_row(client, world):
    reply = upload(client, world, as_csv([ZH, *good_rows(3)]), "households.csv")
    assert reply.status_code == 201, reply.text
    assert reply.json() == {"created": 3, "rejected": []}
    items = client.get("/api/v1/households", headers=world.clerk).json()["items"]
    assert {h["damage"] for h in items} == {"collapsed"}
    assert {h["category"] for h in items} == {"dibao"}
    assert all("********" in h["id_number"] for h in items)


def test_a_csv_saved_by_chinese_excel_in_gbk_imports_as_utf8_does(client, world):
    out = io.StringIO()
    csv.writer(out).writerows([ZH, *good_rows(2)])
    gbk = out.getvalue().encode("gbk")

    reply = upload(client, world, gbk, "households.csv")

    assert reply.status_code == 201, reply.text
    assert reply.json() == {"created": 2, "rejected": []}
    names = {
        h["head_name"]
        for h in client.get("/api/v1/households", headers=world.clerk).json()["items"]
    }
    assert {"户主1", "户主2"} <= names


def test_a_utf16_csv_is_refused_saying_how_to_save_it(client, world):
    out = io.StringIO()
    csv.writer(out).writerows([ZH, *good_rows(1)])

    reply = upload(client, world, out.getvalue().encode("utf-16"), "households.csv")

    assert reply.status_code == 400
    assert reply.json()["detail"]["field"] == "file"
    assert "UTF-16" in reply.json()["detail"]["message"]


def test_xlsx_with_english_headers_and_numbers_in_cells_imports(client, world):
    rows = [
        [
            "head_name",
            "id_number",
            "size",
            "region_code",
            "damage",
            "rooms",
            "category",
            "bank_account",
        ],
        ["王五", id_number(8), 5, 150102002, "severe", None, None, "6228480012345678901"],
        ["赵六", id_number(9).lower(), 2.0, "150102002", "一般损坏", 1, "general", None],
    ]
    reply = upload(client, world, as_xlsx(rows), "households.xlsx")
    assert reply.status_code == 201, reply.text
    assert reply.json()["created"] == 2


def _mixed_rows() -> list[list[object]]:
    """One good row, then one row of each kind of problem (household 50 is registered
    first by the tests that use these)."""
    return [
        ["好人", id_number(1), 3, "150102001", "倒塌", 2, "", "", ""],
        ["坏校验", "150102199001011231", 3, "150102001", "倒塌", 2, "", "", ""],
        ["未知区划", id_number(2), 3, "990000001", "倒塌", 2, "", "", ""],
        ["重复", id_number(1), 3, "150102001", "倒塌", 2, "", "", ""],
        ["已登记", id_number(50), 3, "150102001", "倒塌", 2, "", "", ""],
        ["损坏不明", id_number(3), 3, "150102001", "冲毁", 2, "", "", ""],
        ["十五位", "150102900101123", 3, "150102001", "倒塌", 2, "", "", ""],
        ["他县", id_number(4), 3, "150103001", "倒塌", 2, "", "", ""],
    ]


def test_any_bad_row_rejects_the_file_and_names_every_problem(client, world, register):
    register(50)  # already in the database
    rows = [
        ZH,
        *_mixed_rows(),
        ["两处错", id_number(5), 3, "990000002", "冲毁", 2, "", "", ""],
    ]
    reply = upload(client, world, as_csv(rows), "bad.csv")
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert detail["code"] == "import_rejected"
    problems = {(r["row"], r["column"], r["field"]) for r in detail["rejected"]}
    assert problems == {
        (3, "B", "id_number"),
        (4, "D", "region_code"),
        (5, "B", "id_number"),
        (6, "B", "id_number"),
        (7, "E", "damage"),
        (8, "B", "id_number"),
        (9, "D", "region_code"),
        (10, "D", "region_code"),
        (10, "E", "damage"),
    }
    messages = {r["row"]: r["message"] for r in detail["rejected"]}
    assert "check digit" in messages[3]
    assert "row 2" in messages[5]
    assert "already registered" in messages[6]
    assert "scope" in messages[9]
    # Nothing was created, not even the good row.
    assert client.get("/api/v1/households", headers=world.admin).json()["total"] == 1


def test_missing_columns_and_unreadable_files(client, world):
    reply = upload(client, world, as_csv([["户主姓名", "家庭人口"], ["张三", 3]]), "x.csv")
    assert reply.status_code == 422
    fields = {r["field"] for r in reply.json()["detail"]["rejected"]}
    assert fields == {"id_number", "region_code", "damage"}
    assert upload(client, world, b"PK\x03\x04garbage", "x.xlsx").status_code == 400
    assert upload(client, world, b"\xff\xfe\x00", "x.csv").status_code == 400  # UTF-16
    assert upload(client, world, b"\x81\x30\xff", "x.csv").status_code == 400  # neither
    assert upload(client, world, b"", "x.csv").status_code == 422
    assert (
        upload(client, world, as_csv([ZH, *good_rows(1)]), "x.csv", world.approver).status_code
        == 403
    )
    reply = client.post(
        "/api/v1/households/import",
        files={"file": ("x.csv", as_csv([ZH, *good_rows(1)]))},
        data={"event_id": "999999"},
        headers=world.clerk,
    )
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "event_id"


def test_the_template_has_the_chinese_headers_and_imports_back(client, world):
    reply = client.get("/api/v1/households/import-template?format=xlsx", headers=world.clerk)
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert sheet.title == "受灾户登记"  # households hit by the disaster, not a census register
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    assert headers == ZH + LEDGER_ZH
    sheet.append(
        [
            "李四",
            id_number(11),
            4,
            "150102001",
            "严重损坏",
            3,
            "特困供养",
            "13900000000",
            "6228480000000012345",
        ]
    )
    out = io.BytesIO()
    sheet.parent.save(out)
    assert upload(client, world, out.getvalue(), "filled.xlsx").status_code == 201
    text = client.get("/api/v1/households/import-template?format=csv", headers=world.clerk)
    assert text.content.startswith("\ufeff".encode())
    assert text.content.decode("utf-8-sig").strip().split(",") == ZH + LEDGER_ZH


def test_ten_thousand_rows_import_in_one_request(client, world):
    ids = many_ids(10_000)
    rows = [ZH] + [
        [
            f"户主{i}",
            number,
            1 + i % 6,
            "150102001" if i % 2 else "150102002",
            "倒塌",
            1,
            "",
            "",
            "",
        ]
        for i, number in enumerate(ids)
    ]
    content = as_csv(rows)
    # Speed is measured by `relief bench import` (docs/benchmarks.md), not asserted here.
    reply = upload(client, world, content, "big.csv")
    assert reply.status_code == 201, reply.text[:500]
    assert reply.json()["created"] == 10_000
    assert client.get("/api/v1/households?limit=1", headers=world.clerk).json()["total"] == 10_000


def test_every_row_error_carries_a_stable_code_and_the_params_its_words_need(
    client, world, register
):
    first = register(50)["id"]
    rows = [
        ZH,
        *_mixed_rows(),
        ["", id_number(5), "三", "150102001", "倒塌", -1, "富户", "", ""],
        ["人多", id_number(6), 300, "150102", "倒塌", 2, "", "", ""],
    ]
    reply = upload(client, world, as_csv(rows), "bad.csv")
    assert reply.status_code == 422
    got = [
        (r["row"], r["field"], r["code"], r["params"]) for r in reply.json()["detail"]["rejected"]
    ]
    assert got == [
        (3, "id_number", "id_check_digit", {}),
        (4, "region_code", "unknown_region", {"code": "990000001"}),
        (5, "id_number", "duplicate_in_file", {"first_row": 2}),
        (6, "id_number", "already_registered", {"household_id": first}),
        (7, "damage", "unknown_damage", {"value": "冲毁"}),
        (8, "id_number", "id_fifteen_digits", {}),
        (9, "region_code", "region_out_of_scope", {"code": "150103001"}),
        (10, "head_name", "required", {}),
        (11, "size", "out_of_range", {"min": 1, "max": 100}),
        (
            11,
            "region_code",
            "region_level",
            {"code": "150102", "level": "county", "lowest": "township"},
        ),
    ]
    # Each code is one of the documented kinds, with exactly the params it promises.
    for _, _, code, params in got:
        assert set(params) == set(ROW_ERROR_CODES[code])


def test_an_import_row_registered_in_another_county_names_only_that_county(client, world, register):
    register(1, head_name="王秀兰")
    rows = [ZH, ["另一人", id_number(1), 2, "150103001", "倒塌", 1, "一般户", "", ""]]
    reply = upload(client, world, as_csv(rows), "other.csv", headers=world.other_clerk)
    assert reply.status_code == 422
    [problem] = reply.json()["detail"]["rejected"]
    assert (problem["row"], problem["field"], problem["code"]) == (
        2,
        "id_number",
        "registered_in_other_county",
    )
    assert problem["params"] == {"county": "新城区"}
    assert set(problem["params"]) == set(ROW_ERROR_CODES[problem["code"]])
    assert "新城区" in problem["message"]
    for leaked in ("王秀兰", "150102001", "household_id"):
        assert leaked not in reply.text


def test_row_errors_of_one_row_name_each_bad_cell_with_its_code(client, world):
    rows = [ZH, ["某户", id_number(5), "三", "150102001", "倒塌", -1, "富户", "", ""]]
    reply = upload(client, world, as_csv(rows), "bad.csv")
    got = {(r["field"], r["code"]) for r in reply.json()["detail"]["rejected"]}
    assert got == {
        ("size", "not_whole_number"),
        ("rooms", "out_of_range"),
        ("category", "unknown_category"),
    }


def test_a_superscript_or_other_non_decimal_digit_is_a_row_error_not_a_500(client, world):
    rows = [ZH, ["某户", id_number(6), "²", "150102001", "倒塌", "1", "一般户", "", ""]]
    reply = upload(client, world, as_csv(rows), "sup.csv")
    assert reply.status_code == 422
    got = {(r["field"], r["code"]) for r in reply.json()["detail"]["rejected"]}
    assert got == {("size", "not_whole_number")}


def test_every_reason_the_id_check_gives_has_its_own_code():
    from datetime import date

    from relief.subsidies.ids import IdNumberError, normalise_id_number

    samples = {
        "": "id_missing",
        "150102900101123": "id_fifteen_digits",
        "15010219900101123": "id_format",
        "150102199002301234": "id_birth_invalid",
        "150102180001011234": "id_birth_early",
        f"150102{date.today().year + 1}01011234": "id_birth_future",
        "150102199001011231": "id_check_digit",
    }
    for text, code in samples.items():
        try:
            normalise_id_number(text)
        except IdNumberError as exc:
            assert f"id_{exc.code}" == code, text
            assert code in ROW_ERROR_CODES  # the import page has words for it
        else:
            raise AssertionError(f"{text!r} was accepted")


def test_an_account_excel_turned_into_1_23e18_and_a_formula_phone_are_row_errors(client, world):
    """Issue 13 review #45: 1.23E+18 is what Excel shows of a 19-digit account held as a
    number (its digits are gone); `=1+2` is no phone number. Good ones are kept as digits."""
    rows = [
        ZH,
        ["甲", id_number(1), 3, "150102001", "倒塌", 2, "一般户", "=1+2", "1.23E+18"],
        ["乙", id_number(2), 3, "150102001", "倒塌", 2, "一般户", "0471-1234567", "6217 12"],
    ]
    reply = upload(
        client, world, as_csv(rows), "acc.csv", headers={**world.clerk, "Accept-Language": "zh-CN"}
    )
    assert reply.status_code == 422
    got = {(r["row"], r["field"], r["code"]) for r in reply.json()["detail"]["rejected"]}
    assert got == {
        (2, "phone", "phone_format"),
        (2, "bank_account", "account_scientific"),
        (3, "bank_account", "account_format"),
    }
    scientific = next(
        r for r in reply.json()["detail"]["rejected"] if r["code"] == "account_scientific"
    )
    assert "Excel" in scientific["message"] and "文本格式" in scientific["message"]
    for _, _, code in got:
        assert ROW_ERROR_CODES[code] == ()
    rows = [
        ZH,
        [
            "甲",
            id_number(1),
            3,
            "150102001",
            "倒塌",
            2,
            "一般户",
            "139 0000 0000",
            "6217 0000 1234 5678 901",
        ],
    ]
    assert upload(client, world, as_csv(rows), "ok.csv").status_code in (200, 201)


def test_a_township_name_in_the_code_column_stands_for_its_code_when_it_is_unique(client, world):
    """Issue 13 review #46: 海拉尔东路街道 is 150102001; an unknown name asks for the code."""
    rows = [ZH, ["甲", id_number(21), 3, "海拉尔东路街道", "倒塌", 2, "一般户", "", ""]]
    assert upload(client, world, as_csv(rows), "names.csv").status_code == 201
    listed = client.get("/api/v1/households", headers=world.clerk).json()["items"]
    assert [h["region_code"] for h in listed] == ["150102001"]
    rows = [ZH, ["乙", id_number(22), 3, "没有这个乡", "倒塌", 2, "一般户", "", ""]]
    reply = upload(
        client, world, as_csv(rows), "bad.csv", headers={**world.clerk, "Accept-Language": "zh-CN"}
    )
    [problem] = reply.json()["detail"]["rejected"]
    assert problem["code"] == "unknown_region"
    assert "9 位代码或准确的乡镇名称" in problem["message"]

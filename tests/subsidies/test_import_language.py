"""An import's rejection in the `Accept-Language` language (issue 13): the summary and each
row error's message; row, column, field and code stay as they are."""

from __future__ import annotations

import csv
import io

from tests.subsidies.conftest import id_number
from tests.test_error_messages import english_words

HEADER = [
    "户主姓名",
    "身份证号码",
    "家庭人口",
    "行政区划代码",
    "房屋损坏程度",
    "损坏间数",
    "户类别",
]


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_import_rejected_in_chinese_and_english(client, world):
    content = _csv(
        [
            HEADER,
            ["好人", id_number(1), 3, "150102001", "倒塌", 2, ""],
            ["坏校验", "150102199001011231", 3, "150102001", "倒塌", 2, ""],
            ["未知区划", id_number(2), 3, "990000001", "冲毁", 2, ""],
        ]
    )

    def send(lang: str):
        return client.post(
            "/api/v1/households/import",
            files={"file": ("bad.csv", content)},
            data={"event_id": str(world.event_id)},
            headers={**world.clerk, "Accept-Language": lang},
        )

    zh, en = send("zh-CN").json()["detail"], send("en").json()["detail"]
    assert zh["code"] == en["code"] == "import_rejected"
    assert en["message"] == "nothing was imported: 3 problem(s) in 2 row(s)"
    assert zh["message"] == "未导入任何记录：2 行共 3 处问题"

    def key(row: dict) -> tuple:
        return (row["row"], row["column"], row["field"], row["code"])

    assert [key(r) for r in zh["rejected"]] == [key(r) for r in en["rejected"]]
    assert len(zh["rejected"]) == 3
    for zh_row, en_row in zip(zh["rejected"], en["rejected"], strict=True):
        assert zh_row["message"] != en_row["message"]
        assert english_words(zh_row["message"]) == [], zh_row
    assert "校验位不正确" in [r["message"] for r in zh["rejected"]]

"""What statistics reports are due (issue 14, Deadlines) on the event page and in the county
staff's inbox; the duty officer declares the disaster stable; a 零报告 from the page."""

from __future__ import annotations

import re

import pytest

from relief.db import transaction
from relief.emergency import service as emergency
from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures


@pytest.fixture
def snowstorm(engine, hohhot) -> int:
    with transaction(engine) as session:
        return emergency.event_by_key(session, "snowstorm").id


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="due-row" data-kind="(\w+)" data-status="(\w+)"', html)


def test_the_event_page_shows_what_is_due_and_the_duty_officer_declares_stable(
    client, sign_in, snowstorm
):
    sign_in("duty")
    html = client.get(f"/events/{snowstorm}").text
    assert "报告时限" in html and "县级 09:00、市级 10:00、省级 12:00" in html
    rows = _rows(html)
    assert rows[0] == ("initial", "late")  # started 20:00, first report 08:00 next day
    assert ("final", "waiting") in rows
    assert "已逾期" in html  # the daily updates nobody filed
    assert 'data-testid="stable-form"' in html

    reply = client.post(f"/events/{snowstorm}/stable", data={"at": ""}, follow_redirects=True)
    assert reply.status_code == 200
    assert 'data-testid="stable-at"' in reply.text
    assert 'data-testid="stable-form"' not in reply.text
    assert not any(status == "waiting" for _, status in _rows(reply.text))


def test_county_staff_see_what_they_owe_in_the_inbox_and_file_a_zero_report(
    client, sign_in, snowstorm
):
    sign_in("county")
    inbox = client.get("/inbox").text
    owed = inbox.split('data-testid="inbox-reporting"')[1].split("</section>")[0]
    assert f'href="/events/{snowstorm}#reporting"' in owed and "续报" in owed

    page = client.get(f"/events/{snowstorm}").text
    assert 'data-testid="zero-form"' in page and 'data-testid="stable-form"' not in page
    reply = client.post(
        f"/events/{snowstorm}/reports/zero",
        data={"region_code": "150102101"},
        follow_redirects=True,
    )
    assert reply.status_code == 200
    reports = reply.text.split('data-testid="reports"')[1]
    assert "零报告" in reports
    # Out of scope: the 403 page.
    refused = client.post(f"/events/{snowstorm}/reports/zero", data={"region_code": "150125101"})
    assert refused.status_code == 403


def test_county_staff_download_the_quick_form_and_import_it_all_or_nothing(
    client, sign_in, engine, snowstorm
):
    sign_in("county")
    page = client.get(f"/events/{snowstorm}").text
    assert 'data-testid="quick-xlsx"' in page and 'data-testid="quick-import-form"' in page
    sheet = client.get(f"/api/v1/events/{snowstorm}/statistics?table=quick&format=csv")
    assert sheet.status_code == 200
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith("自然灾害损失情况统计快报表（分乡镇）")
    assert [line.split(",")[0] for line in lines[3:]] == ["150102101"]  # the clerk's county

    bad = "乡镇代码,乡镇名称,因灾受伤人口,其中重伤人口\n150102101,x,1,2\n".encode()
    reply = client.post(
        f"/events/{snowstorm}/statistics/import", files={"file": ("quick.csv", bad, "text/csv")}
    )
    assert reply.status_code == 422
    errors = reply.text.split('data-testid="row-errors"')[1].split("</table>")[0]
    assert "<td>2</td><td>D</td>" in errors and "不能超过" in errors

    good = (
        "报告类型：续报\n乡镇代码,乡镇名称,因灾受伤人口,其中重伤人口,数字变动原因\n"
        "150102101,保合少镇,2,1,补报两人受伤\n"
    ).encode()
    reply = client.post(
        f"/events/{snowstorm}/statistics/import",
        files={"file": ("quick.csv", good, "text/csv")},
        follow_redirects=True,
    )
    assert reply.status_code == 200, re.findall(r'<p class="error"[^>]*>([^<]*)', reply.text)
    assert 'data-testid="imported"' in reply.text and "已导入 1 份报告" in reply.text


def test_a_refused_quick_form_names_each_problem_in_chinese_on_the_page(
    client, sign_in, engine, snowstorm
):
    sign_in("county")
    bad = (
        "乡镇代码,备注,因灾死亡人口,受灾人口\n"
        "150102101,x,=1+1,10\n"
        "150125101,x,1,10\n"
        "1.50125E+11,x,1,10\n"
    ).encode("gbk")
    reply = client.post(
        f"/events/{snowstorm}/statistics/import", files={"file": ("quick.csv", bad, "text/csv")}
    )
    assert reply.status_code == 422
    errors = reply.text.split('data-testid="row-errors"')[1].split("</table>")[0]
    assert "<td>1</td><td>B</td>" in errors and "不是快报表的列" in errors
    assert "<td>2</td><td>C</td>" in errors and "这是公式" in errors
    assert "<td>3</td><td>A</td>" in errors and "不在您的管辖范围内" in errors
    assert "<td>4</td><td>A</td>" in errors and "存成了数字" in errors


@pytest.mark.browser
def test_county_staff_see_what_is_due_download_and_import_the_form(visit, snowstorm, tmp_path):  # noqa: F811
    visit.sign_in("county")
    page = visit.page
    page.goto(f"{visit.origin}/events/{snowstorm}")
    assert page.get_by_test_id("reporting-due").is_visible()
    assert page.locator('[data-testid="due-row"][data-kind="update"]').count() >= 1
    with page.expect_download() as download:
        page.get_by_test_id("quick-xlsx").click()
    saved = tmp_path / "quick.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"

    page.get_by_label("快报表文件（.xlsx 或 .csv）").set_input_files(str(saved))
    page.get_by_role("button", name="导入快报表").click()
    assert page.get_by_test_id("imported").is_visible()

"""Goods to households (发放到户, issue 16) in a real browser, from a received order to a
household's fulfilment: the township's staff find the page on their home, see the rice and
quilts they signed for, issue more rice than they hold (refused next to the rice, what was
typed kept), correct it, and see the household given its share while the other has nothing
yet; then the photo of the signed list with an issue, and the roster downloaded, signed and
imported back once. Fixtures as in test_browser.py."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, visit  # noqa: F401 - fixtures
from tests.web.test_distribution_pages import PAGE, delivered  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def test_from_a_received_order_to_goods_signed_for_by_a_household(visit, delivered):  # noqa: F811
    visit.sign_in("township")
    page = visit.page
    page.goto(visit.origin + "/")
    with page.expect_navigation():
        page.locator('[data-testid="distribution-link"]').click()
    assert page.url.split("?")[0].endswith(PAGE)
    holdings = page.locator('[data-testid="holdings"]')
    assert "大米" in holdings.inner_text() and "20" in holdings.inner_text()

    form = page.locator('[data-testid="issue-form"]')
    form.get_by_label("受灾户").select_option(str(delivered["first"]))
    form.get_by_label("大米（kg）").fill("25")
    form.get_by_label("棉被（床）").fill("3")
    form.get_by_label("领取人签字").fill("王建国")
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "不能发放 25" in page.locator("#issue-q-rice-error").inner_text()
    form = page.locator('[data-testid="issue-form"]')
    assert form.get_by_label("领取人签字").input_value() == "王建国"
    assert form.get_by_label("棉被（床）").input_value() == "3"

    form.get_by_label("大米（kg）").fill("5")
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "已登记发放" in page.locator('[data-testid="done"]').inner_text()
    rows = page.locator('[data-testid="fulfilment"] tbody tr')
    first = rows.filter(has_text="王建国").inner_text()
    assert "大米 5/5" in first and "棉被 3/3" in first and "已发放" in first
    assert "尚未发放" in rows.filter(has_text="李秀英").inner_text()
    assert "大米" in page.locator('[data-testid="issues"]').inner_text()
    assert page.locator('[data-testid="roster-pdf"]').is_visible()


def test_the_signed_list_photo_and_the_signed_roster_go_through_the_page(visit, delivered):  # noqa: F811
    """The photo of the signed list goes with an issue (a file that is not a photo comes back
    next to the file, with what was typed kept); the roster is downloaded, signed, imported
    back once (the same file again is refused row by row) and the household is given its
    share."""
    import io
    from datetime import date

    from openpyxl import load_workbook

    visit.sign_in("township")
    page = visit.page
    page.goto(visit.origin + PAGE)
    form = page.locator('[data-testid="issue-form"]')
    form.get_by_label("受灾户").select_option(str(delivered["first"]))
    form.get_by_label("大米（kg）").fill("5")
    form.get_by_label("领取人签字").fill("王建国")
    form.get_by_label("签字单扫描件").set_input_files(
        files=[{"name": "签字单.exe", "mimeType": "image/png", "buffer": b"MZ\x90\x00" * 16}]
    )
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "扫描件须为照片" in page.locator("#issue-scan-error").inner_text()
    form = page.locator('[data-testid="issue-form"]')
    assert form.get_by_label("领取人签字").input_value() == "王建国"
    assert form.get_by_label("大米（kg）").input_value() == "5"
    form.get_by_label("签字单扫描件").set_input_files(
        files=[
            {
                "name": "签字单.png",
                "mimeType": "image/png",
                "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 64,
            }
        ]
    )
    with page.expect_navigation():
        form.get_by_role("button", name="登记发放").click()
    assert "已登记发放" in page.locator('[data-testid="done"]').inner_text()
    issues = page.locator('[data-testid="issues"]')
    assert issues.get_by_role("link", name="查看扫描件").count() == 1

    # The roster: downloaded, signed for the second household, imported back.
    with page.expect_download() as got:
        page.locator('[data-testid="roster-xlsx"]').click()
    book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    second = next(i for i, r in enumerate(rows) if r[1] == delivered["second"]) + 1
    first = next(i for i, r in enumerate(rows) if r[1] == delivered["first"]) + 1
    for column in range(7, len(header) - 1):
        sheet.cell(first, column).value = None  # the first was given hers on the form
    sheet.cell(second, header.index("领取日期") + 1).value = date.today().isoformat()
    sheet.cell(second, header.index("领取人签字") + 1).value = "李秀英"
    out = io.BytesIO()
    book.save(out)
    signed = {
        "name": "已签花名册.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": out.getvalue(),
    }
    roster = page.locator('[data-testid="roster-form"]')
    roster.get_by_label("已签字的花名册（电子表格）").set_input_files(files=[signed])
    with page.expect_navigation():
        roster.get_by_role("button", name="导入签字花名册").click()
    assert "共登记发放 1 户" in page.locator('[data-testid="done"]').inner_text()
    assert "已发放" in (
        page.locator('[data-testid="fulfilment"] tbody tr').filter(has_text="李秀英").inner_text()
    )
    roster = page.locator('[data-testid="roster-form"]')
    roster.get_by_label("已签字的花名册（电子表格）").set_input_files(files=[signed])
    with page.expect_navigation():
        roster.get_by_role("button", name="导入签字花名册").click()
    assert "重复导入" in page.locator('[data-testid="rejected"]').inner_text()

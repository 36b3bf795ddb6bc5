"""County staff's and approvers' pages through TestClient: registering and importing
households, moving a case through review, notice and approval, payments and reversals, and
the refusals a clerk of another county meets (relief/web/subsidies.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from stdnum.cn import ric

from relief import clock
from relief.db import transaction
from relief.subsidies.models import Case, Household, Payment, Programme
from tests.web.test_warehouse_pages import _error_after, _input_value

PROGRAMME = "HHHT-REBUILD-2026-FLOOD"  # scenarios/hohhot/policy.yaml
TOWNSHIP = "150102101"  # 保合少镇, in 新城区 and in the flash flood's area


def _today() -> str:
    # A payment is dated no earlier than its case's approval (issue 13 review #13).
    return clock.to_cst(clock.now()).date().isoformat()


def _id_number(seq: int, born: str = "19800101") -> str:
    body = f"150102{born}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


@pytest.fixture
def event_id(engine, web_users) -> int:
    with transaction(engine) as session:
        programme = session.get(Programme, PROGRAMME)
        assert programme is not None and programme.event_id is not None
        return programme.event_id


@pytest.fixture
def more_users(make_user, web_users) -> None:
    """An approver of the clerk's county and a clerk of the next county (回民区)."""
    make_user("xc_approver", "approver", regions=["150102"])
    make_user("hm_clerk", "county_staff", regions=["150103"])


def _household_form(event_id: int, seq: int, **overrides: str) -> dict[str, str]:
    return {
        "event_id": str(event_id),
        "region_code": TOWNSHIP,
        "head_name": f"张建国{seq}",
        "id_number": _id_number(seq),
        "size": "4",
        "damage": "collapsed",
        "rooms": "3",
        "category": "general",
        "phone": "13904710001",
        "bank_account": "6228480010000000011",
        **overrides,
    }


def _households(engine) -> list[Household]:
    with transaction(engine) as session:
        return list(session.exec(select(Household).order_by(Household.id)).all())


def _case(engine, case_id: int) -> Case:
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def _register_and_open(client, event_id: int, seq: int) -> int:
    """A household registered and a case opened through the pages; the case's id."""
    reply = client.post(
        "/subsidies/households", data=_household_form(event_id, seq), follow_redirects=False
    )
    assert reply.status_code == 303, reply.text
    page = client.get(reply.headers["location"]).text
    household_id = re.findall(r'data-household="(\d+)"', page)[-1]
    reply = client.post(
        "/subsidies/cases",
        data={"household_id": household_id, "programme_code": PROGRAMME},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return int(re.search(r"/subsidies/cases/(\d+)", reply.headers["location"])[1])


def _act(client, case_id: int, action: str, **form: str):
    return client.post(
        f"/subsidies/cases/{case_id}/transitions",
        data={"action": action, "note": "", **form},
        follow_redirects=False,
    )


# --- the county home: cases by status ------------------------------------------------------


def test_county_home_counts_their_cases_by_status_and_links_to_each_list(
    client, sign_in, event_id, more_users
):
    sign_in("county")
    first = _register_and_open(client, event_id, 1)
    _register_and_open(client, event_id, 2)
    assert _act(client, first, "village_review").status_code == 303

    def counts(page: str) -> dict[str, str]:
        row = re.search(rf'<tr data-programme="{PROGRAMME}">(.*?)</tr>', page, re.S)
        assert row is not None
        return dict(re.findall(r'data-status="(\w+)">(?:<a [^>]*>)?(\d+)', row.group(1)))

    home = client.get("/").text
    assert "补助案件（按状态）" in home
    assert counts(home) == {
        "registered": "1",
        "village_reviewed": "1",
        "published": "0",
        "township_reviewed": "0",
        "approved": "0",
        "rejected": "0",
        "stuck": "0",
    }
    link = f"/subsidies/cases?programme={PROGRAMME}&amp;status=village_reviewed"
    assert f'href="{link}"' in home
    listed = client.get(link.replace("&amp;", "&")).text
    assert len(re.findall(r"<tr data-case=", listed)) == 1

    # Two weeks on, nothing has moved: both count as stuck.
    later = clock.now() + timedelta(days=15)
    clock.set_clock(lambda: later)
    sign_in("county")
    assert counts(client.get("/").text)["stuck"] == "2"

    # The next county's clerk counts none of them.
    client.cookies.clear()
    sign_in("hm_clerk")
    assert set(counts(client.get("/").text).values()) == {"0"}


# --- households ---------------------------------------------------------------------------


def test_clerk_registers_a_household_and_a_bad_id_number_is_refused_next_to_the_field(
    client, engine, sign_in, event_id
):
    sign_in("county")
    good = _id_number(7)
    form = _household_form(event_id, 7, id_number=_wrong_check_digit(good))
    reply = client.post("/subsidies/households", data=form)
    assert reply.status_code == 422
    assert _error_after("hh-id_number", reply.text) == "身份证号码校验位错误，请核对"
    # What was typed stays in the form, the wrong number included, so it can be corrected.
    assert _input_value("hh-head_name", reply.text) == "张建国7"
    assert f'<option value="{TOWNSHIP}" selected>' in reply.text  # the region picker
    assert _input_value("hh-id_number", reply.text) == _wrong_check_digit(good)
    assert 'value="collapsed" selected' in reply.text
    assert _households(engine) == []

    reply = client.post(
        "/subsidies/households", data=_household_form(event_id, 7), follow_redirects=False
    )
    assert reply.status_code == 303
    (household,) = _households(engine)
    assert household.head_name == "张建国7" and household.created_by == "county"
    page = client.get(reply.headers["location"]).text
    assert "已登记受灾户。" in page
    # Lists show the masked number only.
    assert f"{good[:6]}********{good[-4:]}" in page
    assert good not in page
    # A case is offered only in the programmes of the household's event (not the snow one).
    assert f'<option value="{PROGRAMME}">' in page
    assert "HHHT-GRAIN-2026-SNOW" not in page


def test_a_region_outside_the_clerks_county_is_refused_under_the_field_keeping_the_form(
    client, engine, sign_in, event_id
):
    sign_in("county")
    # 150103001 lies in 回民区, outside the clerk's 新城区: the service refuses it, and the
    # form comes back with the message under the region and everything typed (issue 13).
    reply = client.post(
        "/subsidies/households", data=_household_form(event_id, 8, region_code="150103001")
    )
    assert reply.status_code == 422
    assert _error_after("hh-region_code", reply.text) == (
        "该区划不在您的管辖范围内，请选择本县的乡镇/村"
    )
    assert _input_value("hh-head_name", reply.text) == "张建国8"
    assert _input_value("hh-id_number", reply.text) == _id_number(8)
    assert _households(engine) == []


def test_import_with_a_bad_row_lists_the_row_error_and_imports_nothing(
    client, engine, sign_in, event_id
):
    sign_in("county")
    page = client.get("/subsidies/import").text
    assert 'href="/api/v1/households/import-template?format=xlsx"' in page
    assert 'href="/api/v1/households/import-template?format=csv"' in page
    template = client.get("/api/v1/households/import-template?format=csv")
    assert template.status_code == 200  # the link works with the UI's cookie

    header = (
        "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,损坏间数,户类别,联系电话,一卡通账号"
    )
    good_row = f"李四,{_id_number(21)},3,{TOWNSHIP},倒塌,2,一般户,,"
    bad_row = f"王五,{_wrong_check_digit(_id_number(22))},5,{TOWNSHIP},倒塌,1,低保户,,"
    content = "\n".join([header, good_row, bad_row]).encode("utf-8")
    reply = client.post(
        "/subsidies/import",
        data={"event_id": str(event_id)},
        files={"file": ("households.csv", content, "text/csv")},
    )
    assert reply.status_code == 422
    table = re.search(r'<table data-testid="row-errors">.*?</table>', reply.text, re.S)[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([A-Z]*)</td><td>([^<]*)</td></tr>", table)
    assert rows == [("3", "B", "第 3 行「身份证号码」：校验位不正确")]
    assert _households(engine) == []  # all or nothing

    fixed = "\n".join([header, good_row, f"王五,{_id_number(22)},5,{TOWNSHIP},倒塌,1,低保户,,"])
    reply = client.post(
        "/subsidies/import",
        data={"event_id": str(event_id)},
        files={"file": ("households.csv", fixed.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert "已导入 2 户。" in client.get(reply.headers["location"]).text
    assert [h.head_name for h in _households(engine)] == ["李四", "王五"]

    def listed(query: str) -> list[str]:
        page = client.get(f"/subsidies/households?{query}").text
        return re.findall(r'<td data-testid="hh-name">([^<]*)</td>', page)

    assert listed(f"event_id={event_id}&region_code={TOWNSHIP}") == ["李四", "王五"]
    assert listed("region_code=150102001") == []  # another township of the county
    with transaction(engine) as session:
        snow = session.get(Programme, "HHHT-GRAIN-2026-SNOW").event_id
    assert snow != event_id and listed(f"event_id={snow}") == []


IMPORT_HEADER = (
    "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,损坏间数,户类别,联系电话,一卡通账号"
)


def _bad_import(client, event_id: int):
    """A file with one row of each common mistake, and a good row that must not go in."""
    lines = [
        IMPORT_HEADER,
        f"李四,{_id_number(31)},3,{TOWNSHIP},倒塌,2,一般户,,",  # row 2: good
        f"王五,{_wrong_check_digit(_id_number(32))},5,{TOWNSHIP},倒塌,1,,,",  # 3: check digit
        f"李四妻,{_id_number(31)},2,{TOWNSHIP},倒塌,1,,,",  # 4: same number as row 2
        f",{_id_number(33)},2,{TOWNSHIP},倒塌,1,,,",  # 5: no name
        f"赵六,{_id_number(34)},三口,{TOWNSHIP},倒塌,1,,,",  # 6: size not a number
        f"钱七,{_id_number(35)},4,990000001,倒塌,1,,,",  # 7: unknown region
        f"孙八,{_id_number(36)},4,{TOWNSHIP},倒塌,1000000,,,",  # 8: rooms out of range
    ]
    return client.post(
        "/subsidies/import",
        data={"event_id": str(event_id)},
        files={"file": ("households.csv", "\n".join(lines).encode("utf-8"), "text/csv")},
    )


def _row_errors(page: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table data-testid="row-errors">.*?</table>', page, re.S)[0]
    return re.findall(r"<tr><td>(\d+)</td><td>([A-Z]*)</td><td>([^<]*)</td></tr>", table)


def test_the_import_form_asks_for_a_busy_state_from_the_local_script(client, sign_in, event_id):
    sign_in("county")
    page = client.get("/subsidies/import").text
    form = re.search(r'<form [^>]*data-testid="import-form"[^>]*>', page)[0]
    assert 'data-busy="正在导入…"' in form
    assert '<script src="/static/web/busy.js" defer></script>' in page
    script = client.get("/static/web/busy.js")
    assert script.status_code == 200
    assert "data-busy" in script.text and "aria-busy" in script.text
    client.get("/lang?to=en&next=/", follow_redirects=False)
    assert 'data-busy="Importing…"' in client.get("/subsidies/import").text


def test_import_row_errors_read_in_chinese_with_the_template_column_names(
    client, engine, sign_in, event_id
):
    sign_in("county")
    reply = _bad_import(client, event_id)
    assert reply.status_code == 422
    assert _row_errors(reply.text) == [
        ("3", "B", "第 3 行「身份证号码」：校验位不正确"),
        ("4", "B", "第 4 行「身份证号码」：与本文件第 2 行的号码重复"),
        ("5", "A", "第 5 行「户主姓名」：必须填写"),
        ("6", "C", "第 6 行「家庭人口」：应为整数"),
        (
            "7",
            "D",
            "第 7 行「行政区划代码」：没有代码为 990000001 的行政区划：请填写 9 位代码或准确的乡镇名称",
        ),
        ("8", "F", "第 8 行「损坏间数」：应为 0 到 1000 之间的整数"),
    ]
    # No English word is left in any message: only Chinese, digits and codes.
    for _, _, message in _row_errors(reply.text):
        assert re.findall(r"[A-Za-z]{2,}", message) == [], message
    assert "check digit" not in reply.text and "duplicate" not in reply.text
    # The event the clerk chose stays selected for the next try.
    assert f'<option value="{event_id}" selected>' in reply.text
    assert _households(engine) == []  # all or nothing: not even row 2


def test_import_row_errors_read_in_english_after_the_switch(client, engine, sign_in, event_id):
    sign_in("county")
    client.get("/lang?to=en&next=/", follow_redirects=False)
    reply = _bad_import(client, event_id)
    assert reply.status_code == 422
    messages = [m for _, _, m in _row_errors(reply.text)]
    assert messages == [
        "Row 3, “ID number”: the check digit is wrong",
        "Row 4, “ID number”: the same number as row 2 of this file",
        "Row 5, “Head of household”: required",
        "Row 6, “Household size”: a whole number is required",
        "Row 7, “Region code”: no region has the code 990000001: give the 9-digit code or the exact township name",
        "Row 8, “Damaged rooms”: a whole number from 0 to 1000 is required",
    ]
    assert not any(re.search(r"[\u4e00-\u9fff]", m) for m in messages)
    assert _households(engine) == []


def test_import_words_a_region_outside_the_event_a_known_number_and_an_unknown_damage(
    client, engine, sign_in, event_id
):
    sign_in("county")
    assert (
        client.post(
            "/subsidies/households", data=_household_form(event_id, 41), follow_redirects=False
        ).status_code
        == 303
    )
    (existing,) = _households(engine)
    lines = [
        IMPORT_HEADER,
        f"张三,{_id_number(41)},3,{TOWNSHIP},倒塌,2,一般户,,",
        f"李四,{_id_number(42)},3,150103001,倒塌,2,一般户,,",
        f"王五,{_id_number(43)},3,{TOWNSHIP},冲毁,2,一般户,,",
    ]
    reply = client.post(
        "/subsidies/import",
        data={"event_id": str(event_id)},
        files={"file": ("h.csv", "\n".join(lines).encode("utf-8"), "text/csv")},
    )
    assert reply.status_code == 422
    assert _row_errors(reply.text) == [
        (
            "2",
            "B",
            f"第 2 行「身份证号码」：该号码已在本次灾害事件中登记（受灾户编号 {existing.id}）",
        ),
        ("3", "D", "第 3 行「行政区划代码」：区划 150103001 不在本次灾害事件的受灾范围内"),
        (
            "4",
            "E",
            "第 4 行「房屋损坏程度」：无法识别“冲毁”，请填写 倒塌、严重损坏、一般损坏 或 未损坏",
        ),
    ]
    assert len(_households(engine)) == 1


# --- cases ----------------------------------------------------------------------------------


def test_clerk_moves_a_case_through_village_review_and_publish(client, engine, sign_in, event_id):
    sign_in("county")
    case_id = _register_and_open(client, event_id, 31)
    page = client.get(f"/subsidies/cases/{case_id}").text
    # The amount and the standard it came from (2025 collapsed, general household).
    assert 'data-testid="case-amount">25,000.00 元' in page
    assert re.search(r'data-testid="case-standard">\s*#\d+ · 起始日期 2025-01-01', page)
    # A clerk is offered the clerk's actions only.
    assert 'data-testid="action-village_review"' in page
    assert 'data-testid="action-approve"' not in page
    # Only the form that rejects asks before sending; the review steps go straight through.
    assert re.search(r'data-testid="tr-form"\s*>', page)
    assert re.search(r'data-testid="dec-form"\s*data-confirm="[^"]+"', page)

    # Publishing before the village review is refused on the page, and nothing changes.
    reply = _act(client, case_id, "publish")
    assert reply.status_code == 409
    assert "案件当前状态不允许此操作" in reply.text
    assert _case(engine, case_id).status == "registered"

    reply = _act(client, case_id, "village_review", note="村民代表会议评议通过")
    assert reply.status_code == 303
    assert _case(engine, case_id).status == "village_reviewed"
    reply = _act(client, case_id, "publish")
    assert reply.status_code == 303
    case = _case(engine, case_id)
    assert case.status == "published" and case.notice_ends_at is not None

    page = client.get(reply.headers["location"]).text
    assert "已张榜公示。" in page
    assert 'data-testid="case-status">公示中' in page
    assert "公示截止" in page
    history = re.search(r'<table data-testid="history">.*?</table>', page, re.S)[0]
    assert "村民代表会议评议通过" in history and history.count("<tr>") == 3  # header + 2


def test_an_objection_without_a_note_is_refused_next_to_the_note(client, engine, sign_in, event_id):
    sign_in("county")
    case_id = _register_and_open(client, event_id, 32)
    assert _act(client, case_id, "village_review").status_code == 303
    assert _act(client, case_id, "publish").status_code == 303
    reply = _act(client, case_id, "object")
    assert reply.status_code == 409
    assert _error_after("tr-note", reply.text) == "异议和驳回须填写意见"
    assert _case(engine, case_id).status == "published"


def _to_township_review(client, event_id: int, seq: int) -> int:
    case_id = _register_and_open(client, event_id, seq)
    for action in ("village_review", "publish", "township_review"):
        assert _act(client, case_id, action).status_code == 303, action
    return case_id


def test_approver_approves_after_the_notice_window_and_records_and_reverses_a_payment(
    client, engine, sign_in, event_id, more_users
):
    # One case published today, one published eight days ago (7-day notice). The clock
    # goes back rather than forward: a token's `iat` may not lie in the future.
    sign_in("county")
    recent = _to_township_review(client, event_id, 41)
    clock.set_clock(lambda: datetime.now(UTC) - timedelta(days=8))
    try:
        sign_in("county")
        earlier = _to_township_review(client, event_id, 42)
    finally:
        clock.set_clock(None)

    sign_in("xc_approver")
    page = client.get(f"/subsidies/cases/{recent}").text
    assert 'data-testid="action-approve"' in page
    assert 'data-confirm="确定提交吗？审批和驳回不能撤销。"' in page
    reply = _act(client, recent, "approve")
    assert reply.status_code == 409
    assert "公示期尚未结束，公示期满后才能审批" in reply.text
    assert _case(engine, recent).status == "township_reviewed"

    reply = _act(client, earlier, "approve", note="同意")
    assert reply.status_code == 303
    assert _case(engine, earlier).status == "approved"

    # An overpayment is refused next to the amount, with what was typed kept.
    reply = client.post(
        f"/subsidies/cases/{earlier}/payments",
        data={"amount": "30000.00", "paid_on": _today(), "reference": "NX-001"},
    )
    assert reply.status_code == 422
    assert _error_after("pay-amount", reply.text) == "支付总额将超过审批金额"
    assert _input_value("pay-ref", reply.text) == "NX-001"

    reply = client.post(
        f"/subsidies/cases/{earlier}/payments",
        data={"amount": "10000.00", "paid_on": _today(), "reference": "NX-001"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = client.get(reply.headers["location"]).text
    assert "已登记支付。" in page
    assert "已支付 10,000.00 元 / 25,000.00 元" in page
    with transaction(engine) as session:
        (payment,) = session.exec(select(Payment).where(Payment.case_id == earlier)).all()
        payment_id = payment.id

    # A reason of 10,000 characters says how long it may be, not "fill in a reason".
    long = client.post(f"/subsidies/payments/{payment_id}/reversal", data={"reason": "退" * 10_000})
    assert long.status_code == 409
    assert _error_after(f"rev-{payment_id}", long.text) == "最多 1000 字"
    reply = client.post(
        f"/subsidies/payments/{payment_id}/reversal",
        data={"reason": "一卡通账号错误，银行退回"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = client.get(reply.headers["location"]).text
    assert f"已被第 {payment_id + 1} 笔冲正" in page
    assert "已支付 0.00 元 / 25,000.00 元" in page

    summary = client.get(f"/subsidies/programmes/{PROGRAMME}").text
    assert 'data-testid="summary-approved">25,000.00 元' in summary
    assert f'href="/api/v1/public-notice?programme={PROGRAMME}&amp;format=csv"' in summary
    notice = client.get(f"/api/v1/public-notice?programme={PROGRAMME}&format=csv")
    assert notice.status_code == 200 and "张建国42" in notice.content.decode("utf-8-sig")


def test_a_clerk_of_another_county_gets_the_403_page_and_nothing_changes(
    client, engine, sign_in, event_id, more_users
):
    sign_in("county")
    case_id = _register_and_open(client, event_id, 51)
    sign_in("hm_clerk")
    reply = client.get(f"/subsidies/cases/{case_id}")
    assert reply.status_code == 403 and "无权访问" in reply.text
    reply = _act(client, case_id, "village_review")
    assert reply.status_code == 403 and "无权访问" in reply.text
    assert _case(engine, case_id).status == "registered"
    # Lists leave the other county's households and cases out.
    assert "张建国51" not in client.get("/subsidies/households").text
    assert f'data-case="{case_id}"' not in client.get("/subsidies/cases").text
    # The programme's summary counts only the clerk's own county (回民区).
    summary = client.get(f"/subsidies/programmes/{PROGRAMME}").text
    assert 'data-testid="summary-committed">0.00 元' in summary
    assert "回民区（150103）" in summary
    # A rebuild programme without a rule; the snowstorm's grain programme has one.
    assert "救助对象：本项目不限房屋损坏程度和户类别。" in summary
    grain = client.get("/subsidies/programmes/HHHT-GRAIN-2026-SNOW").text
    assert "救助对象：房屋倒塌、严重损坏。" in grain


def test_the_header_links_the_subsidy_pages_for_county_staff_and_not_for_managers(client, sign_in):
    sign_in("county")
    assert 'href="/subsidies/cases"' in client.get("/").text
    sign_in("manager")
    assert 'href="/subsidies/cases"' not in client.get("/").text
    assert client.get("/subsidies/cases").status_code == 403


def test_approving_past_the_budget_asks_for_a_reason_and_keeps_it_in_the_history(
    client, engine, sign_in, event_id, more_users
):
    clock.set_clock(lambda: datetime.now(UTC) - timedelta(days=8))
    try:
        sign_in("county")
        case_id = _to_township_review(client, event_id, 71)
    finally:
        clock.set_clock(None)
    with transaction(engine) as session:
        programme = session.get(Programme, PROGRAMME)
        programme.budget_fen = 1_000_000  # 10,000 yuan: less than this case's 25,000
        session.add(programme)

    sign_in("xc_approver")
    reply = _act(client, case_id, "approve", note="同意")
    assert reply.status_code == 409
    assert _error_after("dec-override", reply.text) == (
        "审批后将超出项目预算；确需审批请填写超预算理由"
    )
    assert "同意</textarea>" in reply.text  # the note typed is kept
    assert _case(engine, case_id).status == "township_reviewed"

    reply = _act(client, case_id, "approve", note="同意", override_reason="市政府追加资金已批复")
    assert reply.status_code == 303
    assert _case(engine, case_id).status == "approved"
    page = client.get(reply.headers["location"]).text
    history = re.search(r'<table data-testid="history">.*?</table>', page, re.S)[0]
    assert "市政府追加资金已批复" in history


def test_a_form_posted_from_another_site_is_refused_and_changes_nothing(
    client, engine, sign_in, event_id
):
    sign_in("county")
    case_id = _register_and_open(client, event_id, 81)
    reply = client.post(
        f"/subsidies/cases/{case_id}/transitions",
        data={"action": "village_review", "note": ""},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert reply.status_code == 403
    assert _case(engine, case_id).status == "registered"


def test_a_case_without_a_standard_is_refused_on_the_household_list(
    client, engine, sign_in, event_id
):
    sign_in("county")
    form = _household_form(event_id, 91, damage="none", rooms="0")
    assert (
        client.post("/subsidies/households", data=form, follow_redirects=False).status_code == 303
    )
    (household,) = _households(engine)
    reply = client.post(
        "/subsidies/cases", data={"household_id": str(household.id), "programme_code": PROGRAMME}
    )
    assert reply.status_code == 422
    assert re.search(r'data-testid="problem">没有适用的补助标准', reply.text)
    with transaction(engine) as session:
        assert session.exec(select(Case)).all() == []


def test_the_case_list_filters_by_status_region_and_stuck_days(client, engine, sign_in, event_id):
    sign_in("county")
    published = _register_and_open(client, event_id, 101)
    assert _act(client, published, "village_review").status_code == 303
    assert _act(client, published, "publish").status_code == 303
    registered = _register_and_open(client, event_id, 102)

    def listed(query: str) -> set[int]:
        page = client.get(f"/subsidies/cases?{query}").text
        return {int(n) for n in re.findall(r'data-case="(\d+)"', page)}

    assert listed("") == {published, registered}
    assert listed("status=published") == {published}
    assert listed(f"programme={PROGRAMME}&region_code={TOWNSHIP}") == {published, registered}
    assert listed("region_code=150102001") == set()
    # Nothing has stood still for a day yet; both have stood still for 0 days.
    assert listed("stuck_days=1") == set()
    assert listed("stuck_days=0") == {published, registered}


def test_the_pages_speak_english_after_the_switch(client, sign_in, event_id):
    sign_in("county")
    client.get("/lang?to=en&next=/", follow_redirects=False)
    page = client.get("/subsidies/households/new").text
    assert "Register a household" in page and "登记受灾户" not in page
    reply = client.post(
        "/subsidies/households", data=_household_form(event_id, 111, id_number="12345")
    )
    assert _error_after("hh-id_number", reply.text) == (
        "An ID number is 17 digits followed by a digit or X"
    )


# --- long lists a page at a time --------------------------------------------------------------


def _import_many(client, event_id: int, count: int, start: int = 200) -> None:
    lines = [IMPORT_HEADER] + [
        f"户主{n},{_id_number(n)},3,{TOWNSHIP},倒塌,1,一般户,," for n in range(start, start + count)
    ]
    reply = client.post(
        "/subsidies/import",
        data={"event_id": str(event_id)},
        files={"file": ("many.csv", "\n".join(lines).encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text


def _listed_households(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-household="(\d+)"', html)]


def _next_link(html: str) -> str:
    return re.search(r'href="([^"]*)" rel="next"', html)[1].replace("&amp;", "&")


def test_the_household_list_is_paged_and_keeps_its_filters(client, engine, sign_in, event_id):
    sign_in("county")
    _import_many(client, event_id, 60)
    query = f"/subsidies/households?event_id={event_id}&region_code={TOWNSHIP}"
    page1 = client.get(query).text
    first = _listed_households(page1)
    assert len(first) == 50
    assert "第 1 / 2 页，共 60 条" in page1
    link = _next_link(page1)
    assert link == f"/subsidies/households?event_id={event_id}&region_code={TOWNSHIP}&page=2"
    page2 = client.get(link).text
    second = _listed_households(page2)
    assert len(second) == 10 and not set(first) & set(second)
    assert sorted(first + second) == [h.id for h in _households(engine)]
    assert f'value="{TOWNSHIP}"' in page2  # the filter form still shows the filter
    assert 'rel="prev"' in page2 and 'rel="next"' not in page2
    # The filter applies on every page: another township has nothing on page 2 either.
    other = client.get("/subsidies/households?region_code=150102001&page=2")
    assert other.status_code == 200 and _listed_households(other.text) == []

    past = client.get(f"{query}&page=3").text
    assert _listed_households(past) == []
    assert "第 3 页没有记录（共 2 页）。" in past
    assert "没有符合条件的受灾户。" not in past
    for bad in ("abc", "", "0", "-1", "2e3"):
        reply = client.get(f"{query}&page={bad}")
        assert reply.status_code == 200, bad
        assert _listed_households(reply.text) == first, bad


def test_the_case_list_is_paged_and_keeps_its_filters(client, engine, sign_in, event_id):
    from relief.auth.models import SYSTEM
    from relief.subsidies import service

    sign_in("county")
    _import_many(client, event_id, 55)
    with transaction(engine) as session:
        for household in session.exec(select(Household)).all():
            service.create_case(session, SYSTEM, household.id, PROGRAMME)

    def listed(html: str) -> list[int]:
        return [int(n) for n in re.findall(r'data-case="(\d+)"', html)]

    page1 = client.get(f"/subsidies/cases?programme={PROGRAMME}&status=registered").text
    first = listed(page1)
    assert len(first) == 50 and "第 1 / 2 页，共 55 条" in page1
    link = _next_link(page1)
    assert link == f"/subsidies/cases?programme={PROGRAMME}&status=registered&page=2"
    second = listed(client.get(link).text)
    assert len(second) == 5 and not set(first) & set(second)
    assert listed(client.get("/subsidies/cases?status=published&page=2").text) == []
    past = client.get("/subsidies/cases?page=99").text
    assert listed(past) == [] and "第 99 页没有记录（共 2 页）。" in past
    assert listed(client.get("/subsidies/cases?page=abc").text) == first


def test_the_programme_page_lists_its_payments_a_page_at_a_time(
    client, engine, sign_in, event_id, more_users
):
    from relief.auth.models import SYSTEM
    from relief.subsidies import service
    from relief.subsidies.models import PaymentIn

    clock.set_clock(lambda: datetime.now(UTC) - timedelta(days=8))
    try:
        sign_in("county")
        case_id = _to_township_review(client, event_id, 61)
    finally:
        clock.set_clock(None)
    sign_in("xc_approver")
    assert _act(client, case_id, "approve").status_code == 303
    with transaction(engine) as session:
        for n in range(1, 56):
            body = PaymentIn(amount="1.00", paid_on=_today(), reference=f"TR-{n:03d}")
            service.record_payment(session, SYSTEM, case_id, body)

    def listed(html: str) -> list[str]:
        return re.findall(r"<td>(TR-\d{3})</td>", html)

    page1 = client.get(f"/subsidies/programmes/{PROGRAMME}").text
    assert listed(page1) == [f"TR-{n:03d}" for n in range(1, 51)]
    assert "第 1 / 2 页，共 55 条" in page1
    link = _next_link(page1)
    assert link == f"/subsidies/programmes/{PROGRAMME}?page=2"
    assert listed(client.get(link).text) == [f"TR-{n:03d}" for n in range(51, 56)]
    past = client.get(f"/subsidies/programmes/{PROGRAMME}?page=5").text
    assert listed(past) == [] and "第 5 页没有记录（共 2 页）。" in past
    assert listed(client.get(f"/subsidies/programmes/{PROGRAMME}?page=abc").text) == listed(page1)
    # A clerk of another county sees none of these payments.
    sign_in("hm_clerk")
    other = client.get(f"/subsidies/programmes/{PROGRAMME}")
    assert other.status_code == 200, other.status_code
    assert listed(other.text) == []


def test_the_programme_and_case_pages_name_the_kind_and_the_amount_basis(
    client, engine, sign_in, event_id
):
    """Issue 15: 过渡期, 冬春 and 临时救助 in Chinese on the programme page with how each
    standard sets the amount; a case of a new kind opened from the household list shows
    its kind and basis; the English pages say the same without Chinese."""
    sign_in("county")
    temporary = client.get("/subsidies/programmes/HHHT-TEMP").text
    assert "救助类别：临时救助" in temporary
    assert (
        "呼和浩特市城市居民最低生活保障标准 × 100% × 6 个月，按户计（不乘人数），每户最多 20,000.00 元"
        in temporary
    )
    winter = client.get("/subsidies/programmes/HHHT-WINTER-2026").text
    assert "救助类别：冬春生活救助" in winter and "每人 150.00 元" in winter
    assert "列入2026—2027年度冬春生活需救助台账的户" in winter  # the programme's season
    snow = client.get("/subsidies/programmes/HHHT-GRAIN-2026-SNOW").text
    assert "救助类别：过渡期生活救助" in snow and "每人每月 900.00 元 × 3 个月" in snow

    reply = client.post("/subsidies/households", data=_household_form(event_id, 81, size="2"))
    assert reply.status_code in (200, 303), reply.text
    with transaction(engine) as session:
        household = session.exec(select(Household).where(Household.head_name == "张建国81")).one()
    reply = client.post(
        "/subsidies/cases",
        data={"household_id": str(household.id), "programme_code": "HHHT-TEMP"},
        follow_redirects=True,
    )
    assert reply.status_code == 200, reply.text
    page = reply.text
    assert 'data-testid="case-kind">临时救助<' in page
    # 1,000.00 × 100 % × 6 months, once per household (the standard's months by default)
    assert 'data-testid="case-amount">6,000.00 元' in page
    assert "（参照标准 1,000.00 元/人·月）" in page

    client.cookies.set("relief_lang", "en")
    english = client.get("/subsidies/programmes/HHHT-TEMP").text
    assert "Kind：temporary assistance" in english
    assert "100 % of dibao_urban × 6 months" in english
    assert "呼和浩特市城市居民" not in english

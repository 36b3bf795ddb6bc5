"""Issue 13, the county office's pages through TestClient (no JavaScript): corrections and
deletions of households, bulk case opening, the server's own check of a payment dated in
the future, and both languages (relief/web/subsidy_office.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from relief import clock
from relief.db import transaction
from relief.subsidies.models import Case, Household, Payment
from tests.web.test_subsidy_browser import TOWNSHIP
from tests.web.test_subsidy_office_browser import (
    PROGRAMME,
    _approved_case,
    _open_case,
    _register,
)
from tests.web.test_warehouse_pages import _error_after

SNAKE = re.compile(r">[^<]*\b[a-z]+_[a-z_]+\b[^<]*<")


def test_a_household_with_a_case_is_not_deleted_and_one_without_is_with_its_reason(
    client, engine, app, sign_in
):
    kept = _register(engine, app, 51, "有案户")
    _open_case(engine, kept)
    gone = _register(engine, app, 52, "误登户")
    sign_in("county")
    refused = client.post(f"/subsidies/households/{kept}/delete", data={"reason": "重复"})
    assert refused.status_code == 409
    assert "该户已有补助案件，不能删除" in refused.text
    blank = client.post(f"/subsidies/households/{gone}/delete", data={"reason": " "})
    assert blank.status_code == 409 and "删除前请填写原因" in blank.text
    done = client.post(
        f"/subsidies/households/{gone}/delete", data={"reason": "误登"}, follow_redirects=False
    )
    assert done.status_code == 303
    with transaction(engine) as session:
        assert [h.id for h in session.exec(select(Household))] == [kept]


def test_a_correction_needs_a_reason_and_keeps_the_registered_id_when_left_blank(
    client, engine, app, sign_in
):
    household = _register(engine, app, 53, "刘错字")
    with transaction(engine) as session:
        masked = session.get(Household, household).id_masked
    sign_in("county")
    form = {"region_code": TOWNSHIP, "head_name": "刘正字", "size": "3", "damage": "severe"}
    reply = client.post(f"/subsidies/households/{household}/edit", data=form)
    assert reply.status_code == 422
    assert _error_after("hh-reason", reply.text) == "请填写更正原因"
    assert 'data-testid="error-summary"' in reply.text
    ok = client.post(
        f"/subsidies/households/{household}/edit",
        data={**form, "reason": "核对户口本"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with transaction(engine) as session:
        row = session.get(Household, household)
        assert (row.head_name, row.size, row.damage) == ("刘正字", 3, "severe")
        assert row.id_masked == masked  # the ID number left blank: unchanged


def test_bulk_opening_for_ticked_households_reports_the_counts(client, engine, app, sign_in):
    first = _register(engine, app, 54, "甲")
    second = _register(engine, app, 55, "乙")
    _open_case(engine, second)
    sign_in("county")
    reply = client.post(
        "/subsidies/cases/bulk",
        data={
            "programme_code": PROGRAMME,
            "selection": "selected",
            "household_ids": [str(first), str(second)],
        },
    )
    assert reply.status_code == 200  # after the redirect
    assert "已建立 1 个案件；已有案件跳过 1 户；不符合条件 0 户。" in reply.text
    with transaction(engine) as session:
        assert len(session.exec(select(Case)).all()) == 2
    nothing = client.post(
        "/subsidies/cases/bulk", data={"programme_code": PROGRAMME, "selection": "selected"}
    )
    assert nothing.status_code == 422 and "请先勾选受灾户" in nothing.text


def test_without_javascript_the_server_refuses_a_future_payment_date_under_the_field(
    client, engine, app, sign_in
):
    case_id = _approved_case(engine, _register(engine, app, 56, "陈"))
    sign_in("county")
    tomorrow = (clock.to_cst(clock.now()).date() + timedelta(days=1)).isoformat()
    form = {"amount": "8,100.00", "paid_on": tomorrow, "reference": "ZF-9"}
    reply = client.post(f"/subsidies/cases/{case_id}/payments", data=form)
    assert reply.status_code == 422
    assert _error_after("pay-on", reply.text) == "支付日期晚于今天；如确需登记，请填写原因"
    assert 'value="8,100.00"' in reply.text
    with_reason = client.post(
        f"/subsidies/cases/{case_id}/payments",
        data={**form, "future_reason": "银行约定代发日"},
        follow_redirects=False,
    )
    assert with_reason.status_code == 303
    with transaction(engine) as session:
        (payment,) = session.exec(select(Payment)).all()
        assert payment.amount_fen == 810000 and payment.reason == "银行约定代发日"


def test_the_new_words_exist_in_both_languages_and_chinese_shows_no_code(
    client, engine, app, sign_in
):
    household = _register(engine, app, 57, "周")
    _open_case(engine, _register(engine, app, 58, "吴"))
    sign_in("county")
    pages = [
        "/subsidies/households",
        f"/subsidies/households/{household}/edit",
        "/subsidies/households/new",
        "/subsidies/cases?sort=-amount",
    ]
    for url in pages:
        text = client.get(url).text
        assert not re.search(r"\boffice\.[a-z]", text.replace("office.js", "")), url
        assert not SNAKE.search(text), (url, SNAKE.search(text))
    client.get("/lang?to=en&next=/", follow_redirects=False)
    english = client.get("/subsidies/households").text
    assert "Correct / delete" in english and "office.bulk" not in english
    assert "Notice ends" in client.get("/subsidies/cases").text

"""Issue 13, the review's form findings (/tmp/attack-13.md): a refused form's page links its
language switch to the page's GET address and a GET of a POST-only address goes to its page
(#1); one-time form tokens (#9, #35, #50); stale household corrections (#33); one number
parser (#10, #52, #15); a too-long search on the lists (#55)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.web.conftest import MANAGED_WAREHOUSE
from tests.web.test_duty_pages import snowstorm  # noqa: F401 - fixture
from tests.web.test_subsidy_pages import event_id  # noqa: F401 - fixture


def _switch(html: str) -> str:
    match = re.search(r'href="(/lang\?to=\w+&amp;next=[^"]*)"', html)
    assert match, "no language switch on the page"
    return unquote(match.group(1).replace("&amp;", "&"))


def test_a_refused_sign_in_links_the_language_switch_to_the_sign_in_page(client, web_users):
    reply = client.post("/login", data={"username": "duty", "password": "wrong"})
    assert reply.status_code == 401
    assert _switch(reply.text).endswith("next=/")


def test_a_refused_form_links_the_language_switch_to_its_page(client, sign_in):
    sign_in("manager")
    path = f"/warehouses/{MANAGED_WAREHOUSE}/adjustments"
    reply = client.post(path, data={"item_code": "water", "delta": "十箱", "reason": ""})
    assert reply.status_code == 422
    assert _switch(reply.text).endswith(f"next=/warehouses/{MANAGED_WAREHOUSE}")


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/login", "/"),
        (f"/warehouses/{MANAGED_WAREHOUSE}/receipts", f"/warehouses/{MANAGED_WAREHOUSE}"),
        ("/orders/1/dispatch", "/orders/1"),
        ("/subsidies/cases/2/transitions", "/subsidies/cases/2"),
        ("/responses/1/demand", "/responses/1"),
    ],
)
def test_a_get_of_a_post_only_address_goes_to_its_page(client, sign_in, path, page):
    sign_in("manager")
    reply = client.get(path, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == page


def test_the_api_keeps_its_405(client, sign_in):
    sign_in("manager")
    assert client.get("/api/v1/auth/token").status_code == 405


# --- one-time form tokens (#9, #35, #50) -----------------------------------------------------


def _token(html: str, testid: str) -> str:
    form = re.search(rf'<form[^>]*data-testid="{testid}".*?</form>', html, re.S)
    assert form, testid
    match = re.search(r'name="form_token" value="([^"]+)"', form.group(0))
    assert match, f"no form token in {testid}"
    return match.group(1)


def _receipts(engine, reference: str) -> int:
    from sqlmodel import select

    from relief.db import transaction
    from relief.stock.models import StockMovement

    with transaction(engine) as session:
        rows = session.exec(select(StockMovement).where(StockMovement.reference == reference))
        return len(rows.all())


def test_a_receipt_form_submitted_twice_registers_once_and_says_so(client, engine, sign_in):
    sign_in("manager")
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    token = _token(page, "receipt-form")
    data = {
        "form_token": token,
        "reference": "RK-DUP-1",
        "item_code": ["water"],
        "quantity": ["600"],
        "lot": ["SN2601"],
        "expires_on": ["2027-04-30"],
    }
    path = f"/warehouses/{MANAGED_WAREHOUSE}/receipts"
    first = client.post(path, data=data, follow_redirects=False)
    assert first.status_code == 303
    assert _receipts(engine, "RK-DUP-1") == 1
    again = client.post(path, data=data, follow_redirects=False)  # Back + submit again
    assert again.status_code == 303
    assert again.headers["location"].startswith(first.headers["location"].split("#")[0])
    assert "notice=resubmitted" in again.headers["location"]
    assert _receipts(engine, "RK-DUP-1") == 1
    assert "该表单已提交，未重复登记" in client.get(again.headers["location"]).text
    # A fresh render has a fresh token: the next receipt registers.
    fresh = _token(client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text, "receipt-form")
    assert fresh != token
    reply = client.post(
        path, data={**data, "form_token": fresh, "reference": "RK-DUP-2"}, follow_redirects=False
    )
    assert reply.status_code == 303 and "notice" not in reply.headers["location"]
    assert _receipts(engine, "RK-DUP-2") == 1
    # A fresh form with the same 入库单号 is a second receipt of one note: refused, said why.
    token = _token(client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text, "receipt-form")
    same = client.post(path, data={**data, "form_token": token}, follow_redirects=False)
    assert same.status_code == 422 and "RK-DUP-1" in same.text
    assert _receipts(engine, "RK-DUP-1") == 1


def test_a_refused_form_keeps_its_token_usable_and_a_token_is_per_form(client, engine, sign_in):
    sign_in("manager")
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    token = _token(page, "receipt-form")
    path = f"/warehouses/{MANAGED_WAREHOUSE}/receipts"
    data = {"form_token": token, "reference": "RK-TOK-2", "item_code": ["water"]}
    refused = client.post(path, data={**data, "quantity": ["十"]})
    assert refused.status_code == 422  # nothing stored: the corrected form goes through
    reply = client.post(path, data={**data, "quantity": ["10"]}, follow_redirects=False)
    assert reply.status_code == 303 and "notice" not in reply.headers["location"]
    assert _receipts(engine, "RK-TOK-2") == 1
    # The same token on another form's address is another form.
    adjust = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/adjustments",
        data={"form_token": token, "item_code": "water", "delta": "-1", "reason": "破损"},
        follow_redirects=False,
    )
    assert adjust.status_code == 303 and "notice" not in adjust.headers["location"]


def test_every_create_style_form_carries_a_one_time_token(client, sign_in):
    sign_in("manager")
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    for testid in ("receipt-form", "adjust-form", "stocktake-form", "disposal-form"):
        _token(page, testid)
    transfer = client.get(f"/warehouses/{MANAGED_WAREHOUSE}/transfer").text
    _token(transfer, "transfer-form")
    sign_in("duty")
    _token(client.get("/events").text, "event-form")


# --- a household corrected from a stale tab (#33) ------------------------------------------


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    assert match, name
    return match.group(1)


def _edit_form(engine, household: int, html: str) -> dict[str, str]:
    """What a tab opened now would send: the registered values and the page's version."""
    from relief.db import transaction
    from relief.subsidies.models import Household

    with transaction(engine) as session:
        row = session.get(Household, household)
        names = ("region_code", "head_name", "size", "damage", "rooms", "category", "phone")
        values = {
            name: "" if getattr(row, name) is None else str(getattr(row, name)) for name in names
        }
    values["version"] = _hidden(html, "version")
    return values


def test_a_correction_from_a_stale_tab_is_refused_with_who_changed_what(
    client, engine, app, sign_in
):
    from relief.db import transaction
    from relief.subsidies.models import Household
    from tests.web.test_subsidy_office_browser import _register

    household = _register(engine, app, 61, "王大山")
    sign_in("county")
    path = f"/subsidies/households/{household}/edit"
    tab_a = _edit_form(engine, household, client.get(path).text)
    tab_b = _edit_form(engine, household, client.get(path).text)
    assert tab_a["version"] == tab_b["version"] == "0"
    with transaction(engine) as session:
        size = session.get(Household, household).size
    saved = client.post(
        path, data={**tab_b, "size": "6", "reason": "户口本核对"}, follow_redirects=False
    )
    assert saved.status_code == 303
    stale = client.post(path, data={**tab_a, "phone": "13904719999", "reason": "补电话"})
    assert stale.status_code == 409
    assert f"家庭人口 {size}→6" in stale.text and "修改" in stale.text
    assert 'value="13904719999"' in stale.text  # what was typed is kept
    with transaction(engine) as session:
        row = session.get(Household, household)
        assert row.size == 6 and row.phone != "13904719999"  # B's correction stays
    # The page now carries the current version: saving again, knowingly, goes through.
    again = client.post(
        path,
        data={
            **tab_a,
            "size": "6",
            "phone": "13904719999",
            "reason": "补电话",
            "version": _hidden(stale.text, "version"),
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    with transaction(engine) as session:
        row = session.get(Household, household)
        assert (row.size, row.phone) == (6, "13904719999")


def test_the_api_patch_works_without_a_version_and_refuses_a_stale_one(
    client, engine, app, sign_in
):
    from tests.web.test_subsidy_office_browser import _register

    household = _register(engine, app, 62, "李小河")
    sign_in("county")
    headers = {"Origin": "http://testserver"}
    api = f"/api/v1/households/{household}"
    assert client.get(api).json()["version"] == 0
    plain = client.patch(api, json={"size": 5, "reason": "核对"}, headers=headers)
    assert plain.status_code == 200 and plain.json()["version"] == 1
    stale = client.patch(api, json={"size": 2, "reason": "x", "version": 0}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["detail"]["code"] == "household_stale"
    fresh = client.patch(api, json={"size": 2, "reason": "x", "version": 1}, headers=headers)
    assert fresh.status_code == 200 and fresh.json()["version"] == 2


# --- one number reading for every form (#10, #14, #15, #52) ----------------------------------


@pytest.mark.parametrize(
    ("typed", "decimals", "read"),
    [
        ("４", 0, "4"),
        ("8,100", 0, "8100"),
        ("8，100", 0, "8100"),
        ("８１００.５０", 2, "8100.50"),
        (" -5 ", 0, "-5"),
        ("1_0", 0, None),
        ("5_000", 2, None),
        ("1e3", 2, None),
        ("١٢٣", 0, None),
        ("4.0", 0, None),
        ("1.234", 2, None),
        ("8,10", 2, None),
        ("NaN", 2, None),
    ],
)
def test_one_number_reading(typed, decimals, read):
    from relief.web.forms import NumberError, number_text

    if read is None:
        with pytest.raises(NumberError):
            number_text(typed, decimals=decimals)
    else:
        assert number_text(typed, decimals=decimals) == read


def test_the_household_form_reads_full_width_and_refuses_underscores_and_fractions(
    client,
    engine,
    sign_in,
    event_id,  # noqa: F811
):
    from sqlmodel import select

    from relief.db import transaction
    from relief.subsidies.models import Household
    from tests.web.test_subsidy_pages import _household_form
    from tests.web.test_warehouse_pages import _error_after

    sign_in("county")
    for size in ("1_0", "4.0", "١٢٣"):
        reply = client.post("/subsidies/households", data=_household_form(event_id, 71, size=size))
        assert reply.status_code == 422, size
        assert _error_after("hh-size", reply.text) == "请填写 1 至 100 之间的整数"
    reply = client.post(
        "/subsidies/households",
        data=_household_form(event_id, 72, size="４"),
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    with transaction(engine) as session:
        assert (
            session.exec(select(Household.size).where(Household.head_name == "张建国72")).one() == 4
        )


def test_a_too_long_name_says_so_and_an_emoji_name_is_refused(
    client,
    sign_in,
    event_id,  # noqa: F811
):
    from tests.web.test_subsidy_pages import _household_form
    from tests.web.test_warehouse_pages import _error_after

    sign_in("county")
    long = client.post(
        "/subsidies/households", data=_household_form(event_id, 73, head_name="李" * 10_000)
    )
    assert long.status_code == 422
    assert _error_after("hh-head_name", long.text) == "最多 64 字"
    emoji = client.post(
        "/subsidies/households", data=_household_form(event_id, 74, head_name="👨‍👩‍👧 李🙂")
    )
    assert emoji.status_code == 422
    assert _error_after("hh-head_name", emoji.text) == "姓名不能含符号或表情"
    dotted = client.post(
        "/subsidies/households",
        data=_household_form(event_id, 75, head_name="阿力·木合买提"),
        follow_redirects=False,
    )
    assert dotted.status_code == 303


def test_the_receipt_refuses_an_underscored_quantity(client, engine, sign_in):
    sign_in("manager")
    reply = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/receipts",
        data={"reference": "RK-U", "item_code": ["water"], "quantity": ["1_0"]},
    )
    assert reply.status_code == 422
    assert _receipts(engine, "RK-U") == 0


# --- every error of a form at once (#17, #25, #36, #42) ---------------------------------------


def test_the_dispatch_form_shows_every_line_problem_at_once(client, engine, sign_in):
    from tests.web.test_warehouse_pages import TRUCK_FORM, _error_after, _transfer

    sign_in("manager")
    order = _transfer(client, quantity=30)
    form = {"item_code": ["water", "quilt"], "quantity": ["25", "11"], "reason": ["", ""]}
    reply = client.post(f"{order}/dispatch", data={**form, **TRUCK_FORM, "plate": ""})
    assert reply.status_code == 422
    assert _error_after("d0-reason", reply.text) == "调拨单数量为 30，只发运 25，请说明原因"
    assert _error_after("d1-quantity", reply.text).startswith("超过调拨数量（10")
    assert _error_after("dispatch-plate", reply.text)  # the model's own problem, same round
    assert 'data-status="reserved"' in client.get(order).text


def test_the_receipt_form_shows_every_problem_at_once(client, engine, sign_in):
    from tests.web.test_warehouse_pages import _error_after

    sign_in("manager")
    before = _receipts(engine, "")
    reply = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/receipts",
        data={
            "reference": "",
            "item_code": ["water", "rice", "", "quilt"],
            "quantity": ["0", "十", "5", "1_0"],
            "lot": ["", "", "", ""],
            "expires_on": ["", "", "", ""],
        },
    )
    assert reply.status_code == 422
    for field in ("receipt-reference", "r0-quantity", "r1-quantity", "r2-item", "r3-quantity"):
        assert _error_after(field, reply.text), field
    assert _receipts(engine, "") == before


def test_the_payment_form_shows_amount_date_and_reference_at_once(client, engine, app, sign_in):
    from tests.web.test_subsidy_office_browser import _approved_case, _register
    from tests.web.test_warehouse_pages import _error_after

    case_id = _approved_case(engine, _register(engine, app, 81, "赵支付"))
    sign_in("county")
    reply = client.post(
        f"/subsidies/cases/{case_id}/payments",
        data={"amount": "1e3", "paid_on": "", "reference": ""},
    )
    assert reply.status_code == 422
    assert _error_after("pay-amount", reply.text) == "请填写大于 0 的金额（元，最多两位小数）"
    assert _error_after("pay-on", reply.text)
    assert _error_after("pay-ref", reply.text) == "请填写单据号"
    large = client.post(
        f"/subsidies/cases/{case_id}/payments",
        data={"amount": "9999999999999999999999", "paid_on": "2026-08-05", "reference": "X"},
    )
    assert _error_after("pay-amount", large.text) == "数额过大，请核对"


# --- a search too long for the lists (#55) ----------------------------------------------------


@pytest.mark.parametrize("path", ["/subsidies/households", "/subsidies/cases"])
def test_a_too_long_search_is_a_message_on_the_list_page_not_json(client, sign_in, path):
    sign_in("county")
    long = "呼和浩特市新城区保合少镇" * 6
    for query in (f"?q={long}", f"?region_code={long}"):
        reply = client.get(path + query)
        assert reply.status_code == 200, query
        assert reply.headers["content-type"].startswith("text/html")
        assert "validation_error" not in reply.text
    assert "查找内容最多 64 字" in client.get(f"{path}?q={long}").text


def test_the_household_list_filters_by_a_place_chosen_by_name(client, sign_in):
    sign_in("county")
    page = client.get("/subsidies/households").text
    picker = re.search(r'<select id="hh-region".*?</select>', page, re.S)
    assert picker, "the region filter is a picker"
    assert 'name="region_code" type="text"' not in page
    assert "保合少镇" in picker.group(0)
    chosen = client.get("/subsidies/households?region_code=150102101").text
    assert re.search(r'<option value="150102101" selected>', chosen)


def test_the_report_figures_are_text_inputs_a_chinese_ime_can_type_into(
    client,
    sign_in,
    snowstorm,  # noqa: F811
):
    sign_in("duty")
    page = client.get(f"/events/{snowstorm}").text
    form = re.search(r'<form[^>]*data-testid="report-form".*?</form>', page, re.S).group(0)
    assert 'type="number"' not in form
    assert re.search(
        r'id="rp-relocated" name="relocated" type="text"[^>]*inputmode="numeric"', form
    )


def test_a_case_step_from_a_stale_tab_says_what_the_case_is_now_and_who_moved_it(
    client, engine, app, sign_in
):
    from tests.web.test_subsidy_office_browser import _open_case, _register

    case_id = _open_case(engine, _register(engine, app, 91, "钱过期"))
    sign_in("county")
    path = f"/subsidies/cases/{case_id}/transitions"
    seen = {"action": "village_review", "note": "", "status": "registered"}
    assert client.post(path, data=seen, follow_redirects=False).status_code == 303
    stale = client.post(path, data=seen)  # the other tab, opened while it was registered
    assert stale.status_code == 409
    assert "村级评议通过" in stale.text and "现为“村级评议”" in stale.text
    assert "由 " in stale.text and "请刷新页面" not in stale.text


# --- the demand editor: names, not codes; a stale tab (#29, #31, #32) -------------------------


def test_the_demand_editor_names_places_and_items_and_refuses_a_stale_save(
    client,
    sign_in,
    snowstorm,  # noqa: F811
    engine,
):
    from tests.web.test_duty_pages import _recommended, _trigger

    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    response_id = int(location.rsplit("/", 1)[1])
    page = client.get(location).text
    editor = re.search(r'<table data-testid="demand">.*?</table>', page, re.S).group(0)
    # Lines in force: names shown, codes only in hidden inputs; no code text box.
    assert not re.search(r'<input id="dm-\d+-(region|item)"', editor)
    assert 'data-testid="demand-region-name"' in editor
    assert re.search(r'<select id="dm-\d+-region" name="region_code"', editor)  # a new line
    version = re.search(r'name="version" value="(\d+)" data-testid="demand-version"', page)
    seen = version.group(1)
    first = re.search(r'name="key" value="([^"|]+)\|([^"]+)"', editor)
    region, item = first.group(1), first.group(2)
    row = {"key": f"{region}|{item}", "region_code": region, "item_code": item, "priority": ""}
    tab_b = {**{k: [v] for k, v in row.items()}, "quantity": ["1100"], "partial": "1"}
    saved = client.post(
        f"/responses/{response_id}/demand", data={**tab_b, "version": seen}, follow_redirects=False
    )
    assert saved.status_code == 303
    tab_a = {**tab_b, "quantity": ["1200"], "version": seen}
    stale = client.post(f"/responses/{response_id}/demand", data=tab_a)
    assert stale.status_code == 409
    assert "→1100" in stale.text and "修改" in stale.text
    assert 'value="1200"' in stale.text  # what was typed here stays
    newer = re.search(r'name="version" value="(\d+)" data-testid="demand-version"', stale.text)
    assert newer.group(1) != seen
    again = client.post(
        f"/responses/{response_id}/demand",
        data={**tab_a, "version": newer.group(1)},
        follow_redirects=False,
    )
    assert again.status_code == 303


def test_a_new_event_chooses_its_places_by_name(client, sign_in, engine):
    sign_in("duty")
    page = client.get("/events").text
    picker = re.search(
        r'<select id="ev-regions" name="region_codes" multiple.*?</select>', page, re.S
    )
    assert picker and "武川县" in picker.group(0)
    assert 'name="region_codes" type="text"' not in page
    reply = client.post(
        "/events",
        data={
            "name": "暴雪演练",
            "hazard": "snowstorm",
            "started_at": "2026-01-18T08:00",
            "region_codes": ["150125", "150102"],
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text


def test_a_too_long_reason_says_how_long_it_may_be(client, sign_in):
    from tests.web.test_warehouse_pages import _error_after

    sign_in("manager")
    reply = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/adjustments",
        data={"item_code": "water", "delta": "-1", "reason": "破" * 10_000},
    )
    assert reply.status_code == 422
    assert re.fullmatch(r"最多 \d+ 字", _error_after("adjust-reason", reply.text))


# --- long lists: the warehouse ledger filters and sorts (#53) --------------------------------


def test_the_warehouse_ledger_filters_by_item_kind_and_reference_and_sorts(client, sign_in):
    sign_in("manager")
    path = f"/warehouses/{MANAGED_WAREHOUSE}/receipts"
    client.post(path, data={"reference": "RK-LEDGER-7", "item_code": ["water"], "quantity": ["5"]})
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}?ref=LEDGER-7").text
    ledger = re.search(r'<table data-testid="ledger">.*?</table>', page, re.S).group(0)
    assert ledger.count("<tr>") == 2 and "RK-LEDGER-7" in ledger  # header + the one row
    only = client.get(f"/warehouses/{MANAGED_WAREHOUSE}?kind=receipt&item=water").text
    rows = re.search(r'<table data-testid="ledger">.*?</table>', only, re.S).group(0)
    assert "入库" in rows and "调拨出库" not in rows
    sorted_page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}?lsort=-delta").text
    assert 'aria-sort="descending"' in sorted_page
    assert re.search(r'<select id="lg-item" name="item">', page)


def test_the_demand_is_read_only_for_those_who_may_not_save_it(
    client,
    sign_in,
    snowstorm,  # noqa: F811
    engine,
):
    from tests.web.test_duty_pages import _recommended, _trigger

    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    assert 'name="quantity"' in client.get(location).text.split('data-testid="demand"')[1]
    sign_in("manager")
    page = client.get(location).text
    assert 'data-testid="demand"' not in page and 'name="quantity"' not in page
    table = page.split('data-testid="demand-readonly"')[1].split("</table>")[0]
    assert table.count("<tr>") > 10  # the header and the demand's lines, read only

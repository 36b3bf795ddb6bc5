"""Relief funds on the pages without a browser (issue 16): the programme's own page flags a
budget beyond the funds that reached its region (as the funds summary does), and the split
form of the province works out shares for its cities. Hohhot scenario."""

from __future__ import annotations

ORIGIN = {"Origin": "http://testserver"}
DOC = {"document_no": "财社〔2026〕12号", "document_date": "2026-07-21", "purpose": "救灾"}
PROGRAMME = "HHHT-REBUILD-2026-FLOOD"  # at 呼和浩特市, budget 30,000,000 元


def test_the_programme_page_flags_a_budget_beyond_the_funds_received(client, sign_in):
    sign_in("admin")
    page = client.get(f"/subsidies/programmes/{PROGRAMME}").text
    assert 'data-testid="summary-funds"' not in page  # no funds recorded: nothing to say
    body = {"region_code": "150000", "source": "central", "amount": "500000", **DOC}
    assert client.post("/api/v1/funds/receipts", json=body, headers=ORIGIN).status_code == 201
    body = {"from_code": "150000", "to_code": "150100", "source": "central", "amount": "300000"}
    reply = client.post("/api/v1/funds/allocations", json=body | DOC, headers=ORIGIN)
    assert reply.status_code == 201, reply.text
    page = client.get(f"/subsidies/programmes/{PROGRAMME}").text
    funds = page.split('data-testid="summary-funds"', 1)[1].split("</p>", 1)[0]
    assert "已到位救灾资金 300,000.00 元" in funds
    assert 'data-testid="budget-beyond-funds"' in funds and "/funds/150100" in funds


def test_the_province_splits_a_sum_among_its_cities(client, sign_in):
    sign_in("admin")
    reply = client.post(
        "/funds/150000/proposal",
        data={"source": "central", "total": "100000", "floor": "", "cap": ""},
        headers=ORIGIN,
    )
    assert reply.status_code == 200, reply.text
    proposal = reply.text.split('data-testid="proposal"', 1)[1]
    assert "呼和浩特市" in proposal and 'name="share_150100"' in proposal


def _budget_form(page: str) -> str:
    return page.split('data-testid="budget-form"', 1)[1].split("</form>", 1)[0]


def test_the_administrator_changes_the_budget_on_the_programme_page(client, sign_in):
    sign_in("admin")
    body = {"region_code": "150000", "source": "central", "amount": "5000000", **DOC}
    assert client.post("/api/v1/funds/receipts", json=body, headers=ORIGIN).status_code == 201
    body = {"from_code": "150000", "to_code": "150100", "source": "central", "amount": "4000000"}
    reply = client.post("/api/v1/funds/allocations", json=body | DOC, headers=ORIGIN)
    assert reply.status_code == 201, reply.text
    url = f"/subsidies/programmes/{PROGRAMME}"
    page = client.get(url).text
    assert 'value="30000000.00"' in _budget_form(page)
    assert 'data-testid="budget-beyond-funds"' in page

    # The city's four programmes within the 4,000,000 元 that reached 呼和浩特市: no flag.
    reply = client.post(
        f"{url}/budget", data={"budget": "250,000"}, headers=ORIGIN, follow_redirects=False
    )
    assert reply.status_code == 303 and reply.headers["location"].startswith(f"{url}?done=budget")
    page = client.get(reply.headers["location"]).text
    assert "已修改预算" in page
    assert "250,000.00 元" in page.split('data-testid="summary-budget"', 1)[1].split("</dd>", 1)[0]
    assert 'data-testid="budget-beyond-funds"' not in page

    # Beyond them again: flagged, not refused.
    reply = client.post(
        f"{url}/budget", data={"budget": "600000.00"}, headers=ORIGIN, follow_redirects=False
    )
    assert reply.status_code == 303
    assert 'data-testid="budget-beyond-funds"' in client.get(url).text

    # Refused: shown next to the field with what was typed; the budget stays.
    for typed in ("-5", "abc", ""):
        reply = client.post(f"{url}/budget", data={"budget": typed}, headers=ORIGIN)
        assert reply.status_code == 422, (typed, reply.text)
        form = _budget_form(reply.text)
        assert f'value="{typed}"' in form and 'aria-invalid="true"' in form
        assert 'data-testid="error-summary"' in form
    page = client.get(url).text
    assert "600,000.00 元" in page.split('data-testid="summary-budget"', 1)[1].split("</dd>", 1)[0]


def test_only_the_administrator_sees_and_posts_the_budget_form(client, sign_in):
    sign_in("county")
    url = f"/subsidies/programmes/{PROGRAMME}"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="budget-form"' not in page.text
    reply = client.post(f"{url}/budget", data={"budget": "1"}, headers=ORIGIN)
    assert reply.status_code == 403


def test_a_refused_allocation_names_the_region_and_source_in_words_and_yuan(client, sign_in):
    sign_in("admin")
    body = {"region_code": "150000", "source": "central", "amount": "12345", **DOC}
    assert client.post("/api/v1/funds/receipts", json=body, headers=ORIGIN).status_code == 201
    data = {"to_code": "150100", "source": "province", "amount": "20000", **DOC}
    page = client.post("/funds/150000/allocations", data=data, headers=ORIGIN).text
    assert "内蒙古自治区的省(自治区)级救灾资金余额为 0.00 元，不能拨付 20,000.00 元" in page
    data = {"to_code": "150100", "source": "central", "amount": "20000", **DOC}
    page = client.post("/funds/150000/allocations", data=data, headers=ORIGIN).text
    assert "余额为 12,345.00 元" in page
    data = {"to_code": "150102", "source": "central", "amount": "1", **DOC}
    page = client.post("/funds/150000/allocations", data=data, headers=ORIGIN).text
    assert "新城区不是内蒙古自治区的直接下级，资金须逐级下拨" in page
    body = {"region_code": "150000", "source": "county", "amount": "1", **DOC}
    reply = client.post(
        "/api/v1/funds/receipts", json=body, headers=ORIGIN | {"Accept-Language": "zh"}
    )
    assert "county" not in reply.json()["detail"]["message"]


def test_a_funds_form_submitted_twice_books_once_and_says_so(client, sign_in):
    from tests.web.test_form_fixes_pages import _token

    sign_in("admin")
    page = client.get("/funds/150000").text
    data = {"source": "central", "amount": "500", **DOC, "form_token": _token(page, "receipt-form")}
    for _ in range(2):
        reply = client.post(
            "/funds/150000/receipts", data=data, headers=ORIGIN, follow_redirects=False
        )
        assert reply.status_code == 303, reply.text
    assert "notice=resubmitted" in reply.headers["location"]
    data = {"to_code": "150100", "source": "central", "amount": "100", **DOC}
    data["form_token"] = _token(page, "allocation-form")
    for _ in range(2):
        reply = client.post(
            "/funds/150000/allocations", data=data, headers=ORIGIN, follow_redirects=False
        )
        assert reply.status_code == 303, reply.text
    assert "notice=resubmitted" in reply.headers["location"]
    split = {"source": "central", "total": "50", "floor": "", "cap": ""}
    page = client.post("/funds/150000/proposal", data=split, headers=ORIGIN).text
    data = {"source": "central", "share_150100": "50", **DOC}
    data["form_token"] = _token(page, "approve-form")
    reply = client.post(
        "/funds/150000/proposal/approve", data=data, headers=ORIGIN, follow_redirects=False
    )
    again = client.post(
        "/funds/150000/proposal/approve", data=data, headers=ORIGIN, follow_redirects=False
    )
    assert reply.status_code == again.status_code == 303
    assert "notice=resubmitted" in again.headers["location"]
    account = client.get("/api/v1/funds/regions/150000", headers=ORIGIN).json()
    assert account["balance"] == "350.00" and account["total"] == 3


def test_the_english_funds_page_has_no_chinese_brackets_or_colons(client, sign_in):
    from relief.web.shell import LANG_COOKIE

    sign_in("admin")
    body = {"region_code": "150000", "source": "central", "amount": "500", **DOC}
    assert client.post("/api/v1/funds/receipts", json=body, headers=ORIGIN).status_code == 201
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get("/funds/150000").text
    assert "（" not in page and "）" not in page and "：" not in page
    assert "Amount (yuan)" in page and "Central funds: 500.00 yuan" in page

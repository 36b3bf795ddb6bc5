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

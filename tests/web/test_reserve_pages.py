"""The township reserve fund page (备用金, issue 15) without a browser: linked from the homes
of county staff and township staff, money as the page shows it (8,100), a refused form kept
with the message next to its field, scopes as in the API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from relief.subsidies import service as subsidies
from relief.subsidies.ids import vault_for
from relief.subsidies.models import HouseholdIn
from tests.subsidies.conftest import EVENT_STARTED, id_number
from tests.web.conftest import TOWNSHIP

PAGE = f"/townships/{TOWNSHIP}/reserve"


@pytest.fixture
def household(engine, web_users, settings) -> int:
    """A household of the township, registered through the service."""
    with transaction(engine) as session:
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年7月山洪",
                hazard="flood",
                started_at=EVENT_STARTED,
                region_codes=["150102"],
            ),
        )
        body = HouseholdIn(
            event_id=event.id,
            region_code=TOWNSHIP,
            head_name="王建国",
            id_number=id_number(1),
            size=3,
            damage="collapsed",
        )
        row = subsidies.create_household(session, SYSTEM, body, vault_for(settings.secret_key))
        return row.id


def test_county_staff_and_township_staff_find_the_fund_on_their_home(client, sign_in):
    sign_in("county")
    home = client.get("/")
    assert home.status_code == 200
    assert f'href="{PAGE}"' in home.text
    sign_in("township")
    home = client.get("/")
    assert home.status_code == 200, home.text
    assert f'href="{PAGE}"' in home.text
    assert re.findall(r'href="(/townships/[^"]+)"', home.text) == [PAGE]


def test_top_up_and_pay_on_the_page(client, sign_in, household):
    sign_in("county")
    reply = client.post(
        f"{PAGE}/top-ups",
        data={"amount": "8100", "document_no": "新民发〔2026〕12号", "note": ""},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    page = client.get(PAGE)
    # The scenario's policy starts each township of 新城区 with 20,000 (assumed).
    assert '<p class="big" data-testid="reserve-balance">28,100.00 元</p>' in page.text
    assert '<td class="num">8,100.00 元</td>' in page.text
    sign_in("township")
    refused = client.post(
        f"{PAGE}/payments",
        data={"amount": "30000", "household_id": str(household), "reason": "先行救助"},
        headers={"Origin": "http://testserver"},
    )
    assert refused.status_code == 422
    assert 'id="pay-amount-error"' in refused.text and "备用金" in refused.text
    # The refusal's amounts are written as the page writes money.
    assert "备用金余额为 28,100.00 元，不能支付 30,000.00 元" in refused.text
    assert 'value="30000"' in refused.text
    paid = client.post(
        f"{PAGE}/payments",
        data={"amount": "1500.5", "household_id": str(household), "reason": "先行救助"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert paid.status_code == 303, paid.text
    page = client.get(PAGE)
    assert "26,599.50 元" in page.text and "-1,500.50 元" in page.text
    # Township staff do not top up: no form, and the post is refused.
    assert 'data-testid="top-up-form"' not in page.text
    assert "reserve-payment-form" in page.text


def test_other_townships_and_roles_are_refused(client, sign_in):
    sign_in("township")
    assert client.get("/townships/150102002/reserve").status_code == 403
    sign_in("manager")
    assert client.get(PAGE).status_code == 403


def test_a_top_up_or_payment_submitted_twice_books_once_and_says_so(client, sign_in, household):
    from tests.web.test_form_fixes_pages import _token

    origin = {"Origin": "http://testserver"}
    sign_in("county")
    url = f"/api/v1/townships/{TOWNSHIP}/reserve"
    before = client.get(url, headers=origin).json()["balance"]
    token = _token(client.get(PAGE).text, "top-up-form")
    data = {"amount": "8100", "document_no": "新民发〔2026〕12号", "note": "", "form_token": token}
    for _ in range(2):
        reply = client.post(f"{PAGE}/top-ups", data=data, headers=origin, follow_redirects=False)
        assert reply.status_code == 303, reply.text
    assert "notice=resubmitted" in reply.headers["location"]
    sign_in("township")
    token = _token(client.get(PAGE).text, "reserve-payment-form")
    data = {"amount": "100", "household_id": str(household), "reason": "先行救助"}
    data["form_token"] = token
    for _ in range(2):
        reply = client.post(f"{PAGE}/payments", data=data, headers=origin, follow_redirects=False)
        assert reply.status_code == 303, reply.text
    assert "notice=resubmitted" in reply.headers["location"]
    fund = client.get(url, headers=origin).json()
    assert Decimal(fund["balance"]) == Decimal(before) + 8000

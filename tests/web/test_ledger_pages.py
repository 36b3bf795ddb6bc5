"""The deaths and missing ledger page through TestClient: the event page's flag and link,
the entry form's inline errors with the input kept, the entry listed masked, scope, and the
downloads of both ledgers."""

from __future__ import annotations

import re

import pytest
from stdnum.cn import ric

from relief.db import transaction
from relief.emergency import service as emergency
from tests.web.test_duty_pages import _field_error


def _number(seq: int) -> str:
    body = f"150102198507{seq:02d}123"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def flashflood(engine, hohhot) -> int:
    with transaction(engine) as session:
        event = emergency.event_by_key(session, "flashflood")
        assert event is not None
        return event.id


def _entry(**overrides: str) -> dict[str, str]:
    return {
        "name": "王小明",
        "sex": "male",
        "age": "",
        "id_number": _number(3),
        "status": "dead",
        "occurred_on": "2026-07-28",
        "region_code": "150102101",
        "cause": "山洪冲走",
        **overrides,
    }


def test_the_event_page_flags_reports_that_differ_from_the_ledger(client, sign_in, flashflood):
    sign_in("county")
    page = client.get(f"/events/{flashflood}").text
    # The scenario reports dead and missing in 新城区 and the ledger is still empty.
    flag = re.search(r'data-testid="ledger-flag">([^<]*)', page)
    assert flag and "新城区" in flag.group(1)
    assert f'href="/events/{flashflood}/casualties"' in page


def test_an_entry_is_refused_inline_with_the_input_kept_then_added(client, sign_in, flashflood):
    sign_in("county")
    url = f"/events/{flashflood}/casualties"
    page = client.get(url).text
    assert "保合少镇（150102101）" in page
    assert "150121101" not in page  # another county's township is not offered
    houses = f"/api/v1/events/{flashflood}/statistics?table=houses&amp;format=xlsx"
    assert f'href="{houses}"' in page

    wrong = _number(3)[:-1] + ("0" if _number(3)[-1] != "0" else "1")
    reply = client.post(url, data=_entry(id_number=wrong, cause=""), follow_redirects=False)
    assert reply.status_code == 422
    assert _field_error(reply.text, "cs-id") == "身份证号码校验位错误，请核对"
    assert _field_error(reply.text, "cs-cause") != ""
    assert 'value="王小明"' in reply.text and f'value="{wrong}"' in reply.text

    reply = client.post(url, data=_entry(), follow_redirects=False)
    assert reply.status_code == 303, reply.text
    page = client.get(url).text
    masked = _number(3)[:6] + "********" + _number(3)[-4:]
    assert masked in page and _number(3) not in page
    assert "王小明" in page and "死亡" in page

    duplicate = client.post(url, data=_entry(name="王小明二"), follow_redirects=False)
    assert duplicate.status_code == 422
    assert _field_error(duplicate.text, "cs-id") == "该身份证号码已在本次事件的台账中"


def test_the_ledger_page_is_for_county_staff_and_duty_officers(client, sign_in, flashflood):
    sign_in("manager")
    assert client.get(f"/events/{flashflood}/casualties").status_code == 403
    client.cookies.clear()
    sign_in("duty")
    assert client.get(f"/events/{flashflood}/casualties").status_code == 200


def test_the_household_form_takes_the_ledger_fields_and_links_the_one_household_form(
    client, sign_in, engine
):
    from tests.web.test_subsidy_pages import _household_form, _households

    sign_in("county")
    with transaction(engine) as session:
        event = emergency.event_by_key(session, "flashflood")
        assert event is not None
        event_id = event.id
    bad = client.post(
        "/subsidies/households",
        data=_household_form(event_id, 1, structure="stone", collapsed_rooms="two"),
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert _field_error(bad.text, "hh-collapsed_rooms") != ""
    assert 'value="two"' in bad.text
    reply = client.post(
        "/subsidies/households",
        data=_household_form(
            event_id, 1, address="保合少镇一村5号", structure="earth_wood", collapsed_rooms="2"
        ),
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    household = _households(engine)[-1]
    assert (household.address, household.structure, household.collapsed_rooms) == (
        "保合少镇一村5号",
        "earth_wood",
        2,
    )
    assert household.severe_rooms is None
    listing = client.get(f"/subsidies/households?event_id={event_id}").text
    assert f'href="/subsidies/households/{household.id}/form"' in listing
    form = client.get(f"/subsidies/households/{household.id}/form").text
    assert "保合少镇一村5号" in form and "土木" in form

    edited = client.post(
        f"/subsidies/households/{household.id}/edit",
        data={
            **_household_form(event_id, 1, address="", structure="brick_wood"),
            "reason": "核实",
            "id_number": "",
            "bank_account": "",
            "collapsed_rooms": "2",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    household = _households(engine)[-1]
    assert household.address is None and household.structure == "brick_wood"

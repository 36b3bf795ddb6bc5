"""The page of goods to households (发放到户, issue 16) without a browser: linked from the
township's home, holdings from a received order, an issue that asks for more than is held
refused next to the item with what was typed kept, a reversal, the fulfilment table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from relief.subsidies import service as subsidies
from relief.subsidies.ids import vault_for
from relief.subsidies.models import HouseholdIn
from tests.subsidies.conftest import EVENT_STARTED, id_number
from tests.web.conftest import MANAGED_WAREHOUSE, TOWNSHIP

PAGE = f"/regions/{TOWNSHIP}/distribution"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def delivered(engine, web_users, settings) -> dict[str, int]:
    """An event with two households of the township, and an order of 20 bags of rice and 10
    quilts from the county depot that the township has signed for (through the services)."""
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
        ids = []
        for n, (name, size) in enumerate((("王建国", 3), ("李秀英", 2)), start=1):
            body = HouseholdIn(
                event_id=event.id,
                region_code=TOWNSHIP,
                head_name=name,
                id_number=id_number(n),
                size=size,
                damage="collapsed",
            )
            ids.append(
                subsidies.create_household(session, SYSTEM, body, vault_for(settings.secret_key)).id
            )
        order = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=MANAGED_WAREHOUSE,
            destination_code=TOWNSHIP,
            destination_kind="region",
            lines=[dispatch.OrderLine("rice", 20), dispatch.OrderLine("quilt", 10)],
            route=[MANAGED_WAREHOUSE, "150102", TOWNSHIP],
            eta_h=Decimal("0.1"),
            distance_km=Decimal("4.4"),
            reference="plan 1",
        )
        dispatch.dispatch_order(
            session, SYSTEM, order.id, vehicle="货车", driver="王师傅", plate="蒙A12345"
        )
        dispatch.receive_order(
            session,
            SYSTEM,
            order.id,
            lines=[
                {"item_code": "rice", "received": 20},
                {"item_code": "quilt", "received": 10},
            ],
        )
        return {"event": event.id, "first": ids[0], "second": ids[1], "order": order.id}


def test_the_township_finds_the_page_on_its_home_and_sees_what_it_holds(client, sign_in, delivered):
    sign_in("township")
    home = client.get("/")
    assert f'href="{PAGE}"' in home.text
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    assert "发放到户 · 海拉尔东路街道" in page.text
    assert 'data-item="rice"' in page.text and "王建国" in page.text


def test_an_issue_beyond_what_is_held_comes_back_with_the_message_at_the_item(
    client, sign_in, delivered
):
    sign_in("township")
    form = {
        "event_id": str(delivered["event"]),
        "household_id": str(delivered["first"]),
        "issued_on": "2026-07-21",
        "q_rice": "25",
        "q_quilt": "3",
        "signed_by": "王建国",
    }
    refused = client.post(f"{PAGE}/issues", data=form, headers=ORIGIN)
    assert refused.status_code == 409, refused.text
    assert 'id="issue-q-rice-error"' in refused.text
    assert "海拉尔东路街道 现有大米 20，不能发放 25" in refused.text
    assert 'value="25"' in refused.text and 'value="王建国"' in refused.text
    done = client.post(
        f"{PAGE}/issues", data=form | {"q_rice": "6"}, headers=ORIGIN, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert "已登记发放" in page.text
    # Hohhot's norms: 1.5 bags of rice and 1 quilt a person; a yurt is 0.01 a person, so
    # no household's share (0.03) rounds to one.
    assert "大米 6/5；" in page.text and "棉被 3/3" in page.text and "尚未发放" in page.text
    assert "蒙古包" not in page.text.split('data-testid="fulfilment"')[1].split("</table>")[0]
    issue_id = page.text.split('data-issue="')[1].split('"')[0]
    back = client.post(
        f"{PAGE}/issues/{issue_id}/reversal",
        data={"event_id": str(delivered["event"]), "reason": "登记错户"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text
    assert "已冲销" in client.get(back.headers["location"]).text


def test_county_staff_of_another_county_get_the_error_page(
    client, sign_in, delivered, make_user, login
):
    make_user("other", "county_staff", regions=("150103",))
    reply = client.post(
        "/login",
        data={"username": "other", "password": __import__("tests.conftest").conftest.PASSWORD},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert client.get(PAGE).status_code == 403

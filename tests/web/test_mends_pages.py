"""The last review's mends on the pages: the header names the signed-in person."""

from __future__ import annotations

import re

from relief.auth import service as auth
from relief.db import transaction
from relief.i18n import unit
from tests.web.test_duty_pages import snowstorm  # noqa: F401 - fixture


def _header_name(html: str) -> str:
    return re.search(r'data-testid="username" data-username="[^"]*">([^<]*)<', html).group(1)


def test_the_header_shows_the_full_name_and_the_username_without_one(client, engine, sign_in):
    with transaction(engine) as session:
        user = auth.user_by_username(session, "duty")
        user.full_name = "张值班"
        session.add(user)

    sign_in("duty")
    named = client.get("/").text
    sign_in("manager")
    plain = client.get("/").text

    assert _header_name(named) == "张值班"
    assert 'data-username="duty"' in named
    assert _header_name(plain) == "manager"


def test_a_query_id_is_ascii_digits_in_range_and_anything_else_is_no_filter():
    from relief.web.forms import MAX_QUERY_ID, query_id

    assert [query_id(t) for t in ("7", " 14 ", "0", str(MAX_QUERY_ID))] == [7, 14, 0, MAX_QUERY_ID]
    odd = ("", None, "abc", "-1", "+3", "1_000", "１２", "1e3", str(MAX_QUERY_ID + 1), "9" * 5000)
    assert [query_id(t) for t in odd] == [None] * len(odd)


def test_a_hand_edited_case_filter_lists_every_case_instead_of_failing(client, sign_in):
    sign_in("county")

    for stuck in ("1_000", "9" * 5000, "１２"):
        page = client.get("/subsidies/cases", params={"stuck_days": stuck})
        assert page.status_code == 200


def test_a_household_row_offers_its_events_programmes_and_names_those_it_has_cases_in(
    client, engine, app, sign_in
):
    from relief.auth.models import SYSTEM
    from relief.subsidies import service, winter
    from relief.subsidies.winter_models import SurveyEntryIn
    from tests.web.test_subsidy_office_browser import PROGRAMME, _register

    fresh = _register(engine, app, 61, "新登户")
    helped = _register(engine, app, 62, "冬春户")
    with transaction(engine) as session:
        # 冬春 asks for the needs survey first (issue 15)
        season = winter.season_of(winter.today())
        winter.add_entry(
            session, SYSTEM, SurveyEntryIn(household_id=helped, season=season, people=1)
        )
        service.create_case(session, SYSTEM, helped, "HHHT-WINTER-2026")
        winter = service.programme_names(session)["HHHT-WINTER-2026"]
    sign_in("county")

    page = client.get("/subsidies/households").text

    def row(household: int) -> str:
        return re.search(rf'<tr data-household="{household}">.*?</tr>', page, re.S).group(0)

    offered = re.findall(r'<option value="([^"]+)"', row(fresh))
    assert offered == [PROGRAMME]  # not 冬春 or 临时救助, which belong to no event
    assert winter in row(helped) and 'data-testid="has-case"' in row(helped)
    bulk = re.search(r'<select id="bulk-programme".*?</select>', page, re.S).group(0)
    assert "HHHT-WINTER-2026" in bulk and "HHHT-TEMP" in bulk


def test_a_plan_card_gives_each_items_quantities_with_its_unit(
    client,
    sign_in,
    snowstorm,  # noqa: F811
    engine,
):
    from tests.web.test_duty_pages import _recommended, _trigger

    sign_in("duty")
    location = _trigger(client, snowstorm, _recommended(engine, snowstorm))
    assert client.post(f"{location}/plans", follow_redirects=False).status_code == 303

    page = client.get(location).text

    card = re.search(r'data-testid="plan-optimal".*?</details>', page, re.S).group(0)
    water = re.search(r'<tr[^>]*data-item="water">.*?</tr>', card, re.S).group(0)
    litres = unit("L", "zh")
    assert re.search(
        rf'\d+ <span class="muted small" data-testid="plan-unit">{litres}</span>', water
    )
    assert card.count('data-testid="plan-unit"') == card.count("data-item=")

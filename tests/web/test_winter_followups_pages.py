"""冬春 follow-ups (issue 15 part D) on the pages: the county's totals owed to the city in
the /inbox page. Hohhot scenario, the real clock (as test_winter_pages)."""

from __future__ import annotations

from relief import clock

ORIGIN = {"Origin": "http://testserver"}


def test_the_inbox_page_lists_the_county_totals_owed_until_they_are_sent(client, sign_in):
    sign_in("county")
    today = clock.to_cst(clock.now()).date()
    season = today.year if today.month >= 8 else today.year - 1
    page = client.get("/inbox")
    assert page.status_code == 200
    if (today.month, today.day) >= (9, 20) or today.month < 8:  # the survey is open
        assert 'data-testid="winter-due-150102"' in page.text
        assert "新城区" in page.text and f"{season}-10-15" in page.text
    reply = client.post(
        "/winter-spring/counties/150102/totals",
        data={"season": str(season)},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert 'data-testid="winter-due-150102"' not in client.get("/inbox").text


def test_township_staff_see_their_townships_part_of_the_totals_on_the_survey_page(client, sign_in):
    sign_in("township")
    today = clock.to_cst(clock.now()).date()
    season = today.year if today.month >= 8 else today.year - 1
    page = client.get(f"/winter-spring/survey?season={season}")
    assert page.status_code == 200, page.text
    assert 'data-testid="winter-totals"' in page.text
    assert 'data-testid="totals-part"' in page.text and "本乡镇部分" in page.text
    assert 'data-testid="submit-totals"' not in page.text

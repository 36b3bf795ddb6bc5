"""What statistics reports are due (issue 14, Deadlines) on the event page and in the county
staff's inbox; the duty officer declares the disaster stable; a 零报告 from the page."""

from __future__ import annotations

import re

import pytest

from relief.db import transaction
from relief.emergency import service as emergency


@pytest.fixture
def snowstorm(engine, hohhot) -> int:
    with transaction(engine) as session:
        return emergency.event_by_key(session, "snowstorm").id


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="due-row" data-kind="(\w+)" data-status="(\w+)"', html)


def test_the_event_page_shows_what_is_due_and_the_duty_officer_declares_stable(
    client, sign_in, snowstorm
):
    sign_in("duty")
    html = client.get(f"/events/{snowstorm}").text
    assert "报告时限" in html and "县级 09:00、市级 10:00、省级 12:00" in html
    rows = _rows(html)
    assert rows[0] == ("initial", "late")  # started 20:00, first report 08:00 next day
    assert ("final", "waiting") in rows
    assert "已逾期" in html  # the daily updates nobody filed
    assert 'data-testid="stable-form"' in html

    reply = client.post(f"/events/{snowstorm}/stable", data={"at": ""}, follow_redirects=True)
    assert reply.status_code == 200
    assert 'data-testid="stable-at"' in reply.text
    assert 'data-testid="stable-form"' not in reply.text
    assert not any(status == "waiting" for _, status in _rows(reply.text))


def test_county_staff_see_what_they_owe_in_the_inbox_and_file_a_zero_report(
    client, sign_in, snowstorm
):
    sign_in("county")
    inbox = client.get("/inbox").text
    owed = inbox.split('data-testid="inbox-reporting"')[1].split("</section>")[0]
    assert f'href="/events/{snowstorm}#reporting"' in owed and "续报" in owed

    page = client.get(f"/events/{snowstorm}").text
    assert 'data-testid="zero-form"' in page and 'data-testid="stable-form"' not in page
    reply = client.post(
        f"/events/{snowstorm}/reports/zero",
        data={"region_code": "150102101"},
        follow_redirects=True,
    )
    assert reply.status_code == 200
    reports = reply.text.split('data-testid="reports"')[1]
    assert "零报告" in reports
    # Out of scope: the 403 page.
    refused = client.post(f"/events/{snowstorm}/reports/zero", data={"region_code": "150125101"})
    assert refused.status_code == 403

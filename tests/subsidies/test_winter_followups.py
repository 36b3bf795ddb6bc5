"""Issue 15 part D follow-ups of 冬春: the county totals in the inbox, the survey tied to
the programme's season, township staff reading their township's rounds, ledger and totals."""

from __future__ import annotations

from tests.subsidies import test_winter as base
from tests.subsidies.test_winter import survey

# The fixtures of the 冬春 tests: the clock at 2026-10-01 and the policy with W-2026.
now = base.now
winter = base.winter


def winter_rows(client, headers):
    reply = client.get("/api/v1/inbox", headers=headers)
    assert reply.status_code == 200, reply.text
    return [r for r in reply.json() if r["kind"] == "winter_totals_due"]


def test_the_county_totals_due_then_late_appear_in_the_inbox_until_sent(
    client, world, winter, register, now
):
    survey(client, world.clerk, register(1, size=3)["id"], people=3)
    rows = winter_rows(client, world.clerk)
    assert [(r["unit"], r["status"], r["due_at"][:10]) for r in rows] == [
        ("150102", "due", "2026-10-15")
    ]
    assert "新城区" in rows[0]["message"] and "2026-10-15" in rows[0]["message"]
    assert rows[0]["id"] is None
    now.advance(days=20)  # 2026-10-21
    rows = winter_rows(client, world.clerk)
    assert [r["status"] for r in rows] == ["late"]
    assert "逾期" in rows[0]["message"]
    sent = client.post(
        "/api/v1/winter-spring/counties/150102/totals?season=2026", headers=world.clerk
    )
    assert sent.status_code == 201, sent.text
    assert winter_rows(client, world.clerk) == []


def test_other_counties_get_no_winter_totals_row(client, world, winter, now):
    rows = winter_rows(client, world.other_clerk)
    assert all(r["unit"] != "150102" for r in rows)

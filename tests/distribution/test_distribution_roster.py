"""The 发放花名册 of one village (`&village=`, xlsx and PDF), the import of a village's signed
roster (all or nothing, row errors, never booked twice), and the policy's `distribution:`
section through the policies API (issue 16)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.network import service as network
from relief.network.records import Region
from tests.distribution.test_distribution_api import ISSUES, T1, TODAY, _import, held

# Two villages of 海拉尔东路街道 and one of 锡林路街道: households are then registered in
# villages (the lowest level).
VILLAGES = (
    ("150102001201", "东村", "150102001"),
    ("150102001202", "西村", "150102001"),
    ("150102002201", "南村", "150102002"),
)


@pytest.fixture
def villages(world, engine) -> None:
    with transaction(engine) as session:
        for code, name, parent in VILLAGES:
            network.create_region(
                session, SYSTEM, Region(code, name, "village", parent, 40.8, 111.7, None)
            )


@pytest.fixture
def people(villages, received, register) -> dict[str, dict]:
    received(rice=40, quilt=20)
    return {
        "east1": register(1, region_code="150102001201", size=3),
        "east2": register(2, region_code="150102001201", size=2),
        "west": register(3, region_code="150102001202", size=1),
        "south": register(4, region_code="150102002201", size=2),
    }


def roster(client, world, village=None, fmt="xlsx", who=None):
    url = f"/api/v1/regions/{T1}/roster?event_id={world.event_id}&format={fmt}"
    if village:
        url += f"&village={village}"
    return client.get(url, headers=who or world.township)


def sheet_rows(reply) -> list[list]:
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(io.BytesIO(reply.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def pdf_text(reply) -> str:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.content)).pages)


def test_a_villages_roster_lists_exactly_its_households_with_their_shares(client, world, people):
    rows = sheet_rows(roster(client, world, "150102001201"))
    # Per person 1 quilt and 2 bags of rice (tests/distribution/conftest.py).
    assert [(r[1], r[2], r[5], r[6], r[7]) for r in rows[1:]] == [
        (people["east1"]["id"], "户主1", "东村", 3, 6),
        (people["east2"]["id"], "户主2", "东村", 2, 4),
    ]
    west = sheet_rows(roster(client, world, "150102001202"))
    assert [(r[1], r[6], r[7]) for r in west[1:]] == [(people["west"]["id"], 1, 2)]
    # The township's roster has all three of its households, not the other township's.
    whole = sheet_rows(roster(client, world))
    assert sorted(r[1] for r in whole[1:]) == sorted(
        people[k]["id"] for k in ("east1", "east2", "west")
    )


def test_a_villages_roster_as_pdf_names_the_village_and_only_its_households(client, world, people):
    reply = roster(client, world, "150102001201", fmt="pdf", who=world.clerk)
    assert (
        "东村" in reply.headers["content-disposition"]
        or "%E4%B8%9C%E6%9D%91" in (reply.headers["content-disposition"])
    )
    text = pdf_text(reply)
    assert "东村救灾物资发放花名册" in text
    assert "户主1" in text and "户主2" in text
    assert "户主3" not in text and "户主4" not in text and "西村" not in text


@pytest.mark.parametrize(
    ("village", "status", "field"),
    [
        ("150102999999", 404, "village"),  # no such region
        ("150102002201", 422, "village"),  # a village of the other township
        ("150102", 422, "village"),  # the county above, not below
        ("东村", 422, "village"),  # not a code
    ],
)
def test_a_village_not_below_the_township_is_a_clear_4xx(
    client, world, people, village, status, field
):
    for fmt in ("xlsx", "pdf"):
        reply = roster(client, world, village, fmt=fmt)
        assert reply.status_code == status, reply.text
        assert reply.json()["detail"]["field"] == field
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0


def test_the_other_townships_staff_cannot_print_a_village_of_this_township(client, world, people):
    assert roster(client, world, "150102001201", who=world.other_township).status_code == 403
    assert roster(client, world, "150102001201", who=world.other_clerk).status_code == 403


def _signed_village(client, world, village="150102001201"):
    rows = sheet_rows(roster(client, world, village))
    for row in rows[1:]:
        row[8:10] = [TODAY, f"{row[2]}本人"]
    return rows


def test_a_villages_signed_roster_imports_all_or_nothing(client, world, people):
    rows = _signed_village(client, world)
    rows[2][9] = None  # the second household's signature is missing
    rows.append([3, people["south"]["id"], "户主4", "", 2, "南村", 2, 4, TODAY, "户主4"])
    rows.append([4, 99_999_999_999, "无此户", "", 1, "", 1, 1, TODAY, "某人"])
    rows.append([5, people["west"]["id"], "户主3", "", 1, "西村", -1, 2, TODAY, "户主3"])
    reply = _import(client, world, rows)
    assert reply.status_code == 422, reply.text
    problems = {(p["row"], p["column"], p["code"]) for p in reply.json()["detail"]["rejected"]}
    assert problems == {
        (3, "J", "not_signed"),
        (4, "B", "not_in_roster"),  # a household of the other township
        (5, "B", "out_of_range"),  # an id no household can have
        (6, "G", "out_of_range"),  # a negative quantity
    }
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0
    assert held(client, world) == 40 and held(client, world, "quilt") == 20

    good = _signed_village(client, world)
    reply = _import(client, world, good)
    assert reply.status_code == 201, reply.text
    assert reply.json()["created"] == 2
    assert held(client, world) == 40 - 6 - 4 and held(client, world, "quilt") == 20 - 3 - 2
    # Printed again, the village's roster owes them nothing more.
    again = sheet_rows(roster(client, world, "150102001201"))
    assert [r[6:8] for r in again[1:]] == [[0, 0], [0, 0]]


def test_the_same_signed_roster_imported_twice_is_booked_once(client, world, people):
    rows = _signed_village(client, world)
    first = _import(client, world, rows)
    assert first.status_code == 201, first.text
    second = _import(client, world, rows)
    assert second.status_code == 422, second.text
    problems = [(p["row"], p["code"]) for p in second.json()["detail"]["rejected"]]
    assert problems == [(2, "roster_already_booked"), (3, "roster_already_booked")]
    assert second.json()["detail"]["rejected"][0]["params"]["issue_id"] in first.json()["issue_ids"]
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 2
    assert held(client, world) == 40 - 6 - 4
    # Once the issue is reversed, the same row may be booked again (a corrected import).
    issue_id = first.json()["issue_ids"][0]
    back = client.post(
        f"/api/v1/issues/{issue_id}/reversal", json={"reason": "重复"}, headers=world.clerk
    )
    assert back.status_code == 201, back.text
    rows[2][6:8] = [None, None]  # the second household's row is left blank this time
    assert _import(client, world, rows).status_code == 201


def test_a_huge_quantity_on_a_roster_row_is_a_row_error_not_a_500(client, world, people):
    rows = _signed_village(client, world)
    rows[1][7] = 10**30
    reply = _import(client, world, rows)
    assert reply.status_code == 422, reply.text
    assert [(p["row"], p["column"]) for p in reply.json()["detail"]["rejected"]] == [(2, "H")]


# --- the policy's distribution: section through the API --------------------------------


def policy_body(**extra):
    return {
        "source": "api-dist",
        "effective_from": "2026-01-01",
        "thresholds": {},
        "deadlines_h": {"1": 8, "2": 10, "3": 12, "4": 12},
        "norms": [
            {"item": "rice", "basis": "needing_aid", "per_person": "2", "priority_weight": 10}
        ],
        **extra,
    }


def test_the_days_before_a_household_is_listed_are_set_through_the_policies_api(
    client, world, received, register
):
    received()
    register(1)
    url = f"/api/v1/regions/{T1}/fulfilment?event_id={world.event_id}"
    assert client.get(url, headers=world.clerk).json()["nothing_after_days"] == 3
    reply = client.post(
        "/api/v1/policies",
        json=policy_body(distribution={"nothing_after_days": 5}),
        headers=world.admin,
    )
    assert reply.status_code == 201, reply.text
    policy = reply.json()
    assert policy["distribution"] == {"nothing_after_days": 5}
    assert client.get(url, headers=world.clerk).json()["nothing_after_days"] == 5
    got = client.get(f"/api/v1/policies/{policy['id']}", headers=world.admin).json()
    assert got["distribution"] == {"nothing_after_days": 5}
    # Left out of a PUT, it is kept; given, it replaces the stored one.
    kept = client.put(f"/api/v1/policies/{policy['id']}", json=policy_body(), headers=world.admin)
    assert kept.status_code == 200 and kept.json()["distribution"] == {"nothing_after_days": 5}
    changed = client.put(
        f"/api/v1/policies/{policy['id']}",
        json=policy_body(distribution={"nothing_after_days": 0}),
        headers=world.admin,
    )
    assert changed.status_code == 200 and changed.json()["distribution"] == {
        "nothing_after_days": 0
    }
    assert client.get(url, headers=world.clerk).json()["nothing_after_days"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"nothing_after_days": -1},
        {"nothing_after_days": 367},
        {"nothing_after_days": "3"},
        {"nothing_after_days": 2.5},
        {"nothing_after_days": True},
        {"nothing_after_days": None},
        {"days": 3},
        "3",
        [3],
    ],
)
def test_a_bad_distribution_section_is_422_naming_the_field(client, world, bad):
    reply = client.post("/api/v1/policies", json=policy_body(distribution=bad), headers=world.admin)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"].startswith("distribution")
    assert client.get("/api/v1/policies", headers=world.admin).json() == [] or all(
        p["source"] != "api-dist" for p in _policies(client, world)
    )


def _policies(client, world):
    body = client.get("/api/v1/policies", headers=world.admin).json()
    return body["items"] if isinstance(body, dict) else body


def test_the_page_offers_the_roster_of_each_village_and_an_empty_choice_is_the_township(
    client, world, people, make_user
):
    from tests.conftest import PASSWORD

    assert (
        client.post(
            "/login", data={"username": "township", "password": PASSWORD}, follow_redirects=False
        ).status_code
        == 303
    )
    page = client.get(f"/regions/{T1}/distribution?event_id={world.event_id}")
    assert page.status_code == 200, page.text
    form = page.text.split('data-testid="roster-village-form"')[1].split("</form>")[0]
    assert '<option value="150102001201">东村</option>' in form
    assert '<option value="150102001202">西村</option>' in form
    assert "南村" not in form  # the other township's village
    client.cookies.clear()
    whole = sheet_rows(
        client.get(
            f"/api/v1/regions/{T1}/roster?event_id={world.event_id}&village=&format=xlsx",
            headers=world.township,
        )
    )
    assert len(whole) == 1 + 3


# --- what an attacker or a careless hand may send ---------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"lines": [{"item_code": "rice", "quantity": -3}]}, "lines", 422),
        ({"lines": [{"item_code": "rice", "quantity": 10**30}]}, "lines", 422),
        ({"lines": [{"item_code": "rice", "quantity": 1_000_000_000}]}, "lines[0].quantity", 409),
        ({"lines": [{"item_code": "rice", "quantity": "3"}]}, None, None),
        ({"household_id": 10**30}, "household_id", 422),
        ({"issued_on": "2016-07-21"}, "issued_on", 422),  # before the event (2026-07-20)
        ({"issued_on": "0001-01-01"}, "issued_on", 422),
    ],
)
def test_bad_quantities_and_dates_through_the_api_are_4xx_and_change_nothing(
    client, world, people, change, field, status
):
    body = {
        "event_id": world.event_id,
        "household_id": people["east1"]["id"],
        "issued_on": TODAY,
        "signed_by": "户主1",
        "lines": [{"item_code": "rice", "quantity": 2}],
        **change,
    }
    reply = client.post(f"/api/v1/regions/{T1}/issues", json=body, headers=world.township)
    if status is None:  # a number as text is read as the number (pydantic's lax mode)
        assert reply.status_code in (201, 422), reply.text
        return
    assert reply.status_code == status, reply.text
    assert field in str(reply.json()["detail"]), reply.text
    assert held(client, world) == 40


def test_a_household_of_another_township_cannot_be_given_goods_here(client, world, people):
    body = {
        "event_id": world.event_id,
        "household_id": people["south"]["id"],
        "issued_on": TODAY,
        "signed_by": "户主4",
        "lines": [{"item_code": "rice", "quantity": 2}],
    }
    reply = client.post(f"/api/v1/regions/{T1}/issues", json=body, headers=world.township)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "household_id"
    # Nor through the other township's page of goods, which holds none of this one's.
    other = client.post("/api/v1/regions/150102002/issues", json=body, headers=world.township)
    assert other.status_code == 403
    assert held(client, world) == 40


def test_a_roster_row_dated_before_the_event_is_a_row_error(client, world, people):
    rows = _signed_village(client, world)
    rows[1][8] = "2016-07-21"
    reply = _import(client, world, rows)
    assert reply.status_code == 422, reply.text
    assert [(p["row"], p["column"], p["code"]) for p in reply.json()["detail"]["rejected"]] == [
        (2, "I", "date_before_event")
    ]
    assert held(client, world) == 40


def test_a_scan_of_ten_megabytes_or_not_an_image_is_refused_and_keeps_nothing(
    client, world, people
):
    body = {
        "event_id": world.event_id,
        "household_id": people["east1"]["id"],
        "issued_on": TODAY,
        "signed_by": "户主1",
        "lines": [{"item_code": "rice", "quantity": 2}],
    }
    given = client.post(f"/api/v1/regions/{T1}/issues", json=body, headers=world.township)
    url = f"/api/v1/issues/{given.json()['id']}/scan"
    big = b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024)
    reply = client.put(url, files={"file": ("big.jpg", big, "image/jpeg")}, headers=world.township)
    assert reply.status_code == 413 and reply.json()["detail"]["field"] == "scan"
    for name, content in (("a.html", b"<html><script>alert(1)</script>"), ("e.exe", b"MZ\x90")):
        reply = client.put(url, files={"file": (name, content, "image/png")}, headers=world.clerk)
        assert reply.status_code == 422 and reply.json()["detail"]["field"] == "scan"
    assert client.get(url, headers=world.clerk).status_code == 404
    assert (
        client.get(f"/api/v1/issues/{given.json()['id']}", headers=world.clerk).json()["has_scan"]
        is False
    )


def test_a_ten_megabyte_file_as_a_roster_is_a_4xx_and_books_nothing(client, world, people):
    junk = b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024)
    reply = client.post(
        f"/api/v1/regions/{T1}/roster/import",
        data={"event_id": str(world.event_id)},
        files={"file": ("roster.xlsx", junk, "application/octet-stream")},
        headers=world.township,
    )
    assert 400 <= reply.status_code < 500, reply.text
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0


@pytest.mark.db
def test_the_same_roster_imported_twice_at_once_is_booked_once(
    client, world, people, live_server, parallel
):
    import httpx

    from tests.distribution.test_distribution_api import _xlsx

    content = _xlsx(_signed_village(client, world))
    url = f"{live_server}/api/v1/regions/{T1}/roster/import"
    township, clerk = world.township, world.clerk  # signed in before the threads start

    def send(headers):
        def call() -> int:
            return httpx.post(
                url,
                data={"event_id": str(world.event_id)},
                files={"file": ("roster.xlsx", content, "application/octet-stream")},
                headers=headers,
                timeout=60,
            ).status_code

        return call

    assert sorted(parallel([send(township), send(clerk)])) == [201, 422]
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 2
    assert held(client, world) == 40 - 6 - 4

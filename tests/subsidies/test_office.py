"""Issue 13, the county office's parts of the subsidy API: households corrected (audited,
with a reason) and deleted while they have no case, searched and sorted; cases opened in
bulk; the case list searched and sorted with the programme's name; payments dated in the
future refused without a reason, and amounts typed the way clerks type them."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import text

from relief.subsidies.models import parse_fen
from tests.subsidies.conftest import id_number
from tests.subsidies.test_cases import act, approve_case, now, open_case  # noqa: F401

API = "/api/v1"


def _audit(engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT before, after FROM audit_records WHERE entity = 'household' AND action = :a"
            ),
            {"a": action},
        ).all()

    def parsed(value):
        return json.loads(value) if isinstance(value, str) else value

    return [{"before": parsed(b), "after": parsed(a)} for b, a in rows]


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("8100", 810000),
        ("8,100", 810000),
        ("8100.00", 810000),
        ("8,100.00", 810000),
        ("８１００", 810000),
        ("８，１００．５", 810050),
        ("1,234,567.89", 123456789),
        ("8100元", 810000),
    ],
)
def test_amounts_accept_thousands_commas_and_full_width_digits(typed, fen):
    assert parse_fen(typed) == fen


@pytest.mark.parametrize("typed", ["8.100,00", "8,10", "81,00", ",100", "8,,100"])
def test_an_amount_with_a_comma_that_might_be_a_decimal_comma_is_refused(typed):
    with pytest.raises(ValueError):
        parse_fen(typed)


# --- payments --------------------------------------------------------------------------------


def test_a_payment_dated_after_today_needs_a_reason_and_keeps_it(
    client,
    world,
    rebuild,
    register,
    now,  # noqa: F811
):
    cid = open_case(client, world, register(1)["id"])["id"]
    assert approve_case(client, world, now, cid).status_code == 200  # today: 2026-08-08
    url = f"{API}/cases/{cid}/payments"
    pay = {"amount": "8,100", "paid_on": "2026-08-09", "reference": "ZF-1"}
    refused = client.post(url, json=pay, headers=world.clerk)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert (detail["code"], detail["field"]) == ("paid_on_future", "paid_on")
    assert client.get(url, headers=world.clerk).json() == []
    today = client.post(url, json={**pay, "paid_on": "2026-08-08"}, headers=world.clerk)
    assert today.status_code == 201 and today.json()["amount"] == "8100.00"
    later = client.post(
        url,
        json={**pay, "amount": "８１００", "reference": "ZF-2", "future_reason": "银行代发日"},
        headers=world.clerk,
    )
    assert later.status_code == 201, later.text
    assert later.json()["reason"] == "银行代发日" and later.json()["amount"] == "8100.00"


# --- households: correction, deletion, search, sort ------------------------------------------


def test_a_household_is_corrected_with_a_reason_and_the_audit_keeps_masked_before_and_after(
    engine, client, world, register
):
    household = register(1, head_name="张建囯")
    url = f"{API}/households/{household['id']}"
    assert client.patch(url, json={"head_name": "张建国"}, headers=world.clerk).status_code == 422
    new_number = id_number(7)
    reply = client.patch(
        url,
        json={"head_name": "张建国", "id_number": new_number, "size": 5, "reason": "录入错字"},
        headers=world.clerk,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["head_name"], body["size"]) == ("张建国", 5)
    assert body["id_number"] == new_number[:6] + "********" + new_number[-4:]
    (record,) = _audit(engine, "update")
    assert record["before"]["head_name"] == "张建囯" and record["after"]["head_name"] == "张建国"
    assert record["after"]["reason"] == "录入错字"
    assert new_number not in str(record) and id_number(1) not in str(record)
    full = client.get(url, headers=world.clerk).json()
    assert full["id_number"] == new_number


def test_a_correction_refuses_the_event_a_duplicate_number_and_other_counties(
    client, world, register
):
    first, second = register(1), register(2)
    url = f"{API}/households/{second['id']}"
    moved = client.patch(url, json={"event_id": 99, "reason": "x"}, headers=world.clerk)
    assert moved.status_code == 422
    duplicate = client.patch(
        url, json={"id_number": id_number(1), "reason": "x"}, headers=world.clerk
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"]["code"] == "duplicate_registration"
    assert duplicate.json()["detail"]["existing_id"] == first["id"]
    other = client.patch(url, json={"size": 2, "reason": "x"}, headers=world.other_clerk)
    assert other.status_code == 403
    away = client.patch(url, json={"region_code": "150103001", "reason": "x"}, headers=world.clerk)
    assert away.status_code == 403 and away.json()["detail"]["field"] == "region_code"
    assert client.get(url, headers=world.clerk).json()["size"] == 4


def test_a_household_without_a_case_is_deleted_and_one_with_a_case_is_not(
    engine, client, world, rebuild, register
):
    keep, drop = register(1), register(2)
    open_case(client, world, keep["id"])
    refused = client.delete(f"{API}/households/{keep['id']}?reason=重复", headers=world.clerk)
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "household_has_cases"
    no_reason = client.delete(f"{API}/households/{drop['id']}?reason=%20", headers=world.clerk)
    assert no_reason.status_code == 422
    gone = client.delete(f"{API}/households/{drop['id']}?reason=重复登记", headers=world.clerk)
    assert gone.status_code == 204
    assert client.get(f"{API}/households/{drop['id']}", headers=world.clerk).status_code == 404
    (record,) = _audit(engine, "delete")
    assert record["before"]["id_masked"] == drop["id_number"]
    assert record["after"] == {"reason": "重复登记"}


def test_households_are_found_by_name_by_township_and_by_the_ids_last_four(client, world, register):
    register(1, head_name="王秀英")
    register(2, head_name="李明", region_code="150102002", size=2)
    register(3, head_name="王明", size=6)

    def found(q: str, **params) -> list[str]:
        reply = client.get(f"{API}/households", params={"q": q, **params}, headers=world.clerk)
        assert reply.status_code == 200, reply.text
        return [h["head_name"] for h in reply.json()["items"]]

    assert found("王") == ["王秀英", "王明"]
    assert found("锡林路") == ["李明"]
    assert found(id_number(2)[-4:]) == ["李明"]
    assert found("%") == []
    assert found("明", sort="-size") == ["王明", "李明"]
    assert found("明", sort="size") == ["李明", "王明"]
    assert found("明", damage="collapsed") == ["李明", "王明"]
    assert found("明", damage="general") == []
    assert client.get(f"{API}/households?sort=bogus", headers=world.clerk).status_code == 422


# --- cases: bulk opening, the list ----------------------------------------------------------


def test_cases_open_in_bulk_for_a_filter_skipping_existing_and_counting_refusals(
    client, world, rebuild, register
):
    a = register(1)
    register(2)
    register(3, damage="none")  # a rebuild programme refuses an undamaged house
    register(4, region_code="150102002")
    open_case(client, world, a["id"])
    reply = client.post(
        f"{API}/cases/bulk",
        json={
            "programme_code": "HHHT-REBUILD",
            "filter": {"region_code": "150102001", "without_case": False},
        },
        headers=world.clerk,
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["created"], body["skipped_existing"], body["not_eligible"]) == (1, 1, 1)
    assert body["refused"][0]["code"] == "no_standard"
    listed = client.get(f"{API}/cases", headers=world.clerk).json()
    assert listed["total"] == 2


def test_bulk_opening_of_named_households_is_all_or_nothing_on_scope(
    client, world, rebuild, register
):
    mine = register(1)
    theirs = client.post(
        f"{API}/households",
        json={
            "event_id": world.event_id,
            "region_code": "150103001",
            "head_name": "外县",
            "id_number": id_number(9, "150103"),
            "size": 2,
            "damage": "collapsed",
        },
        headers=world.other_clerk,
    ).json()
    reply = client.post(
        f"{API}/cases/bulk",
        json={"programme_code": "HHHT-REBUILD", "household_ids": [mine["id"], theirs["id"]]},
        headers=world.clerk,
    )
    assert reply.status_code == 403
    assert client.get(f"{API}/cases", headers=world.clerk).json()["total"] == 0
    both = client.post(
        f"{API}/cases/bulk",
        json={"programme_code": "HHHT-REBUILD", "household_ids": [mine["id"]], "filter": {}},
        headers=world.clerk,
    )
    assert both.status_code == 422


def test_the_case_list_searches_sorts_and_names_the_programme(client, world, rebuild, register):
    first = open_case(client, world, register(1, head_name="赵一")["id"])
    open_case(client, world, register(2, head_name="钱二", damage="general", rooms=2)["id"])
    assert act(client, world.clerk, first["id"], "village_review").status_code == 200
    assert act(client, world.clerk, first["id"], "publish").status_code == 200
    reply = client.get(f"{API}/cases", params={"sort": "-amount"}, headers=world.clerk).json()
    assert [c["head_name"] for c in reply["items"]] == ["赵一", "钱二"]
    assert reply["items"][0]["programme_name"] == rebuild["name"]
    assert reply["items"][0]["notice_ends_at"] is not None
    named = client.get(f"{API}/cases", params={"q": "钱"}, headers=world.clerk).json()
    assert [c["head_name"] for c in named["items"]] == ["钱二"]
    ascending = client.get(f"{API}/cases", params={"sort": "amount"}, headers=world.clerk).json()
    assert [c["head_name"] for c in ascending["items"]] == ["钱二", "赵一"]


# --- races (run on PostgreSQL too: RELIEF_TEST_DATABASE_URL, -m db) ---------------------------


def test_deleting_a_household_while_a_case_is_opened_for_it_lets_exactly_one_through(
    client, world, rebuild, register, live_server, engine, parallel
):
    for seq in range(4):
        household = register(seq + 1)
        delete_url = f"{live_server}{API}/households/{household['id']}?reason=重复"

        def delete(url=delete_url) -> int:
            return httpx.delete(url, headers=world.clerk, timeout=60).status_code

        def open_one(hid=household["id"]) -> int:
            body = {"household_id": hid, "programme_code": "HHHT-REBUILD"}
            return httpx.post(
                f"{live_server}{API}/cases", json=body, headers=world.clerk, timeout=60
            ).status_code

        deleted, opened = parallel([delete, open_one])
        assert (deleted, opened) in ((204, 422), (409, 201)), (deleted, opened)
        with engine.connect() as conn:
            households = conn.execute(
                text("SELECT count(*) FROM households WHERE id = :i"), {"i": household["id"]}
            ).scalar()
        assert households == (0 if deleted == 204 else 1)


def test_two_bulk_openings_at_once_open_each_households_case_once(
    client, world, rebuild, register, live_server, parallel
):
    for seq in range(6):
        register(seq + 1)
    body = {"programme_code": "HHHT-REBUILD", "filter": {"without_case": False}}

    def bulk() -> dict:
        reply = httpx.post(
            f"{live_server}{API}/cases/bulk", json=body, headers=world.clerk, timeout=60
        )
        assert reply.status_code == 201, reply.text
        return reply.json()

    first, second = parallel([bulk, bulk])
    assert first["created"] + second["created"] == 6
    assert first["created"] + first["skipped_existing"] == 6
    assert client.get(f"{API}/cases", headers=world.clerk).json()["total"] == 6
